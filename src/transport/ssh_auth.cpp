// Authentication: ssh-agent first, then identity files (passphrase-protected keys only
// through the agent). Never a password: nothing here can prompt.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "clustertop/transport/ssh_session.hpp"

namespace clustertop::ssh {
namespace {

// A server that hangs up (sshd after MaxAuthTries failed keys) leaves libssh answering
// "again" for ever: that is an error now, not a wait for the whole deadline.
template <typename Step> int drive_auth(ssh_session s, const Deadline &deadline, Step step) {
  for (;;) {
    const int rc = step();
    if (rc != SSH_AUTH_AGAIN) return rc;
    if (session_closed(s)) return SSH_AUTH_ERROR;
    if (!wait_socket(s, deadline)) return SSH_AUTH_AGAIN;
  }
}

std::string methods_text(int methods) {
  std::vector<std::string> names;
  if ((methods & SSH_AUTH_METHOD_PUBLICKEY) != 0) names.emplace_back("publickey");
  if ((methods & SSH_AUTH_METHOD_PASSWORD) != 0) names.emplace_back("password");
  if ((methods & SSH_AUTH_METHOD_INTERACTIVE) != 0) names.emplace_back("keyboard-interactive");
  if ((methods & SSH_AUTH_METHOD_GSSAPI_MIC) != 0) names.emplace_back("gssapi");
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

} // namespace

Status authenticate(ssh_session s, const NodeSpec &node, const SshOptions &options,
                    const Deadline &deadline) {
  // The ssh config read (none with --ssh-config none), named where advice points at it.
  const bool no_config = options.ssh_config == "none";
  const std::string config = options.own_ssh_config() ? options.ssh_config : "~/.ssh/config";
  const std::string where = "node " + node.name;
  int rc = drive_auth(s, deadline, [&] { return ssh_userauth_none(s, nullptr); });
  if (rc == SSH_AUTH_SUCCESS) return ok_status();
  if (rc == SSH_AUTH_ERROR || rc == SSH_AUTH_AGAIN)
    return Error{"authentication failed", rc == SSH_AUTH_AGAIN ? "timed out" : last_error(s), where,
                 "check the network path and sshd on the node"};
  const int methods = ssh_userauth_list(s, nullptr);
  std::vector<std::string> tried;
  const bool agent = std::getenv("SSH_AUTH_SOCK") != nullptr;
  tried.emplace_back(agent ? "ssh-agent" : "ssh-agent (SSH_AUTH_SOCK not set)");
  if (!node.identity_file.empty()) {
    const bool readable = ::access(node.identity_file.c_str(), R_OK) == 0;
    tried.push_back("identity file " + node.identity_file + (readable ? "" : " (not readable)"));
  }
  tried.emplace_back(no_config ? "default identity files (--ssh-config none: no IdentityFile read)"
                               : "default identity files and IdentityFile from " + config);
  if ((methods & SSH_AUTH_METHOD_PUBLICKEY) != 0) {
    // Agent keys first, then the identity list (explicit file prepended by new_session);
    // encrypted keys fail here instead of prompting, which is what we want in a TUI.
    rc = drive_auth(s, deadline, [&] { return ssh_userauth_publickey_auto(s, nullptr, nullptr); });
    if (rc == SSH_AUTH_SUCCESS) return ok_status();
    if (rc == SSH_AUTH_AGAIN)
      return Error{"authentication failed",
                   "timed out while trying " + fmt::format("{}", fmt::join(tried, ", ")), where,
                   "check the network path and sshd on the node"};
    if (session_closed(s))
      return Error{"authentication failed",
                   fmt::format("the server closed the connection while keys were tried ({}): {}",
                               fmt::join(tried, ", "), last_error(s)),
                   where,
                   "sshd hangs up after MaxAuthTries failed keys (6 by default), and the agent's "
                   "keys are offered first: remove unrelated keys from the agent (ssh-add -d KEY) "
                   "or raise MaxAuthTries on the node; IdentitiesOnly in the ssh config is not "
                   "honoured (libssh 0.10)"};
  }
  return Error{"authentication failed",
               fmt::format("as {}, tried {}; the server accepts: {}", login_text(s),
                           fmt::join(tried, ", "), methods_text(methods)),
               where,
               "load the key into ssh-agent (ssh-add KEYFILE; passphrase-protected keys work "
               "only through the agent) or " +
                   (no_config ? std::string("give the node an identity_file in a [[node]] "
                                            "(--ssh-config none reads no ssh config)")
                              : "set IdentityFile for this host in " + config) +
                   "; clustertop never uses passwords"};
}

} // namespace clustertop::ssh
