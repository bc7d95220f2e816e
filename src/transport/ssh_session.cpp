// Session options and ~/.ssh/config resolution, non-blocking connect with a deadline, and
// the socket options for liveness. Runs on a connect worker thread.
#include "clustertop/transport/ssh_session.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libssh/callbacks.h>

#include <thread>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/transport/child_process.hpp"
#include "clustertop/transport/ssh_jump.hpp"

namespace clustertop::ssh {

void SessionDeleter::operator()(ssh_session s) const {
  if (s == nullptr) return;
  if (ssh_is_connected(s) != 0) ssh_disconnect(s);
  ssh_free(s);
}

std::string last_error(ssh_session s) {
  const char *e = ssh_get_error(s);
  return (e == nullptr || *e == '\0') ? "unknown libssh error" : e;
}

std::string option_text(ssh_session s, ssh_options_e option) {
  char *value = nullptr;
  if (ssh_options_get(s, option, &value) != 0 || value == nullptr) return {};
  std::string text = value;
  ssh_string_free_char(value);
  return text;
}

std::string login_text(ssh_session s) {
  const Resolved r = resolved_of(s);
  return fmt::format("{} on {}:{}", r.user.empty() ? "?" : r.user, r.host.empty() ? "?" : r.host,
                     r.port);
}

bool session_closed(ssh_session s) {
  return ssh_is_connected(s) == 0 || (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
}

bool Deadline::expired() const {
  return (stop != nullptr && stop->load()) || std::chrono::steady_clock::now() >= until;
}

bool wait_socket(ssh_session s, const Deadline &deadline) {
  if (deadline.expired()) return false;
  const int fd = ssh_get_fd(s);
  if (fd < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return true;
  }
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 20); // short: libssh may also hold output to flush, and stop must be seen
  return true;
}

namespace {

Status fail(const NodeSpec &node, std::string what, std::string reason, std::string help = {}) {
  return Error{std::move(what), std::move(reason), "node " + node.name, std::move(help)};
}

// Our own settings, applied after the config file so that they win.
Status apply_explicit(ssh_session s, const NodeSpec &node, const SshOptions &options) {
  const long timeout_s = std::max<long>(
      1, static_cast<long>(
             std::chrono::duration_cast<std::chrono::seconds>(options.connect_timeout).count()));
  const int nodelay = 1;
  // libssh's known-hosts check answers "known" for any key, a changed one too, once the
  // ssh config said `StrictHostKeyChecking no`: --host-key-checking alone decides
  // (verify_host_key), so libssh must always report what the files say.
  const int strict = 1;
  bool ok = ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s) == 0 &&
            ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay) == 0 &&
            ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict) == 0;
  if (node.port > 0) {
    const unsigned int port = static_cast<unsigned int>(node.port);
    ok = ok && ssh_options_set(s, SSH_OPTIONS_PORT, &port) == 0;
  }
  if (!node.user.empty()) ok = ok && ssh_options_set(s, SSH_OPTIONS_USER, node.user.c_str()) == 0;
  if (!node.identity_file.empty())
    ok = ok &&
         ssh_options_set(s, SSH_OPTIONS_IDENTITY, percent_escaped(node.identity_file).c_str()) == 0;
  if (!options.known_hosts.empty())
    ok = ok && ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS,
                               percent_escaped(options.known_hosts).c_str()) == 0;
  if (!ok) return fail(node, "cannot set ssh options", last_error(s));
  return ok_status();
}

Status parse_config(ssh_session s, const NodeSpec &node, const SshOptions &options) {
  const bool no_file = options.ssh_config == "none";
  if (no_file) {
    const bool off = false;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &off);
    return ok_status();
  }
  if (!options.ssh_config.empty()) {
    struct stat st {};
    if (::stat(options.ssh_config.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return fail(node, "cannot read ssh config file", options.ssh_config,
                  "check the --ssh-config path");
  }
  // libssh expands % escapes in the path ("100%" would be a broken escape).
  const std::string escaped = percent_escaped(options.ssh_config);
  const char *file = options.ssh_config.empty() ? nullptr : escaped.c_str();
  if (ssh_options_parse_config(s, file) != 0)
    return fail(node, "cannot parse ssh config", last_error(s),
                "fix the file or pass --ssh-config none");
  return ok_status();
}

// OpenSSH's own reading of the ssh config for the node (`ssh -G`), where ssh is installed:
// libssh 0.10 matches every `Host` block after a `HostName` line against that HostName, not
// the alias, so OpenSSH's usual layout (`Host gpu1` / `HostName 10.0.0.7`, then `Host gpu*`
// with the User, Port and IdentityFile all share) lost the later block: port 22, the local
// user, no key. `ssh -G` answers as `ssh NODE` would (Match, Include and all).
struct OpenSshView {
  std::string hostname;
  std::string user;
  unsigned int port = 0;
  std::vector<std::string> identity_files; // only where the config names any
  std::vector<std::string> jump_hops;      // its ProxyJump, if any
  bool proxy_command = false;              // whether it has a ProxyCommand
};

// Nothing where there is no file to read, no `ssh`, or no answer within 3 s (a `Match exec`
// that hangs): libssh's reading stands. An Error where OpenSSH refuses the config (`ssh NODE`
// fails the same): read by libssh alone, a layout it misreads was dialled on port 22 with
// "check that sshd listens", the refused line never named.
Result<std::optional<OpenSshView>> openssh_view(const NodeSpec &node, const SshOptions &options) {
  if (options.ssh_config == "none") return std::optional<OpenSshView>{};
  const std::string printed = output_of("command -v ssh >/dev/null 2>&1 && exec " +
                                            ssh_command(node, options, "-G") + " 2>&1",
                                        std::chrono::seconds(3));
  OpenSshView v;
  bool only_defaults = true;
  for (const std::string_view line : split(printed, '\n')) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, space);
    const std::string value(trim(line.substr(space + 1)));
    if (value.empty()) continue;
    if (key == "hostname") {
      v.hostname = value;
    } else if (key == "user") {
      v.user = value;
    } else if (key == "port") {
      v.port = static_cast<unsigned int>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (key == "identityfile") {
      v.identity_files.push_back(value);
      static constexpr std::string_view kDefaults[] = {
          "~/.ssh/id_rsa",     "~/.ssh/id_dsa",        "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
          "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss"};
      only_defaults = only_defaults && std::find(std::begin(kDefaults), std::end(kDefaults),
                                                 value) != std::end(kDefaults);
    } else if (key == "proxyjump" && value != "none") {
      for (const auto hop : split(value, ',')) v.jump_hops.emplace_back(hop);
    } else if (key == "proxycommand" && value != "none") {
      v.proxy_command = true;
    }
  }
  if (v.hostname.empty() || v.port == 0 || v.port > 65535) {
    const std::string said(trim(printed.substr(0, printed.find('\n'))));
    // Nothing said, or words about our own flags ("command-line line 0: …"), not the file.
    if (said.empty() || said.starts_with("command-line")) return std::optional<OpenSshView>{};
    return fail(node, "cannot use the ssh config",
                "OpenSSH refuses it: " + terminal_safe(said, 200),
                "`ssh` refuses it too: fix the file (`" + ssh_command(node, options, "-G") +
                    "` shows the error), or pass --ssh-config none")
        .error();
  }
  // OpenSSH's default list, which libssh has its own of.
  if (only_defaults) v.identity_files.clear();
  return std::optional<OpenSshView>{std::move(v)};
}

// What OpenSSH read, over what libssh did; clustertop's own settings still go on after.
Status apply_openssh_view(ssh_session s, const NodeSpec &node, const OpenSshView &v) {
  bool ok = ssh_options_set(s, SSH_OPTIONS_HOST, v.hostname.c_str()) == 0 &&
            ssh_options_set(s, SSH_OPTIONS_PORT, &v.port) == 0 &&
            (v.user.empty() || ssh_options_set(s, SSH_OPTIONS_USER, v.user.c_str()) == 0);
  // Each goes first (SSH_OPTIONS_IDENTITY prepends): the config's in its order, before
  // libssh's defaults.
  for (auto it = v.identity_files.rbegin(); ok && it != v.identity_files.rend(); ++it)
    ok = ssh_options_set(s, SSH_OPTIONS_IDENTITY, it->c_str()) == 0;
  if (!ok) return fail(node, "cannot set ssh options", last_error(s));
  return ok_status();
}

std::string proxy_command(ssh_session s) { return option_text(s, SSH_OPTIONS_PROXYCOMMAND); }

// A ProxyJump from the file becomes our own `ssh -W` command (ssh_jump.hpp says why); any
// other ProxyCommand runs as the user wrote it. OpenSSH's reading, where there is one, over
// libssh's, a jump or none: libssh applies `Host * !n3` blocks to n3 too, and n3 was dialled
// through a jump host its config excludes.
Status apply_proxy_jump(ssh_session s, const NodeSpec &node, const SshOptions &options,
                        const std::optional<OpenSshView> &view) {
  const auto hops = view ? view->jump_hops : proxy_jump_hops(proxy_command(s));
  if (hops.empty() && view && !view->proxy_command && !proxy_command(s).empty() &&
      ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, "none") != 0) // libssh: "none" clears it
    return fail(node, "cannot set ssh options", last_error(s));
  if (hops.empty()) return ok_status();
  auto command = jump_command(hops, options);
  if (!command)
    return fail(node, command.error().what, command.error().reason, command.error().help);
  if (ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, command->c_str()) != 0)
    return fail(node, "cannot set ssh options", last_error(s));
  return ok_status();
}

// A key's passphrase is never asked for (docs/ssh.md: such keys work through the agent).
// Without a callback libssh leaves an encrypted PEM key to OpenSSL, which asked on the
// terminal and waited there for good: the connect, and the stop that waits on it, SIGINT too.
int refuse_passphrase(const char * /*prompt*/, char * /*buf*/, std::size_t /*len*/, int /*echo*/,
                      int /*verify*/, void * /*userdata*/) {
  return -1;
}

// One table for every session: libssh only reads it. Set up once, never changed after.
ssh_callbacks no_prompt_callbacks() {
  static ssh_callbacks_struct callbacks = [] {
    ssh_callbacks_struct c{};
    c.auth_function = refuse_passphrase;
    ssh_callbacks_init(&c);
    return c;
  }();
  return &callbacks;
}

} // namespace

Result<SessionPtr> new_session(const NodeSpec &node, const SshOptions &options) {
  if (auto valid = validate_node(node); !valid) return valid.error();
  SessionPtr s(ssh_new());
  if (!s) return fail(node, "cannot create ssh session", "out of memory").error();
  if (ssh_set_callbacks(s.get(), no_prompt_callbacks()) != SSH_OK)
    return fail(node, "cannot set ssh callbacks", last_error(s.get())).error();
  // The alias goes in first: config "Host" blocks match on it.
  if (ssh_options_set(s.get(), SSH_OPTIONS_HOST, node.host.c_str()) != 0)
    return fail(node, "invalid host", last_error(s.get())).error();
  if (!node.user.empty()) ssh_options_set(s.get(), SSH_OPTIONS_USER, node.user.c_str());
  if (auto st = parse_config(s.get(), node, options); !st) return st.error();
  const auto view = openssh_view(node, options);
  if (!view) return view.error();
  if (*view)
    if (auto st = apply_openssh_view(s.get(), node, **view); !st) return st.error();
  if (auto st = apply_proxy_jump(s.get(), node, options, *view); !st) return st.error();
  if (auto st = apply_explicit(s.get(), node, options); !st) return st.error();
  return s;
}

Resolved resolved_of(ssh_session s) {
  Resolved r;
  r.host = option_text(s, SSH_OPTIONS_HOST);
  r.user = option_text(s, SSH_OPTIONS_USER);
  unsigned int port = 22;
  if (ssh_options_get_port(s, &port) == 0) r.port = static_cast<int>(port);
  return r;
}

Result<Resolved> resolve_node(const NodeSpec &node, const SshOptions &options) {
  auto s = new_session(node, options);
  if (!s) return s.error();
  return resolved_of(s->get());
}

Status connect_session(ssh_session s, const NodeSpec &node, const SshOptions &options,
                       const Deadline &deadline) {
  ssh_set_blocking(s, 0);
  const auto hops = jump_hosts(proxy_command(s));
  for (;;) {
    const int rc = ssh_connect(s);
    if (rc == SSH_OK) return ok_status();
    const bool timed_out = rc != SSH_ERROR && !wait_socket(s, deadline);
    if (rc != SSH_ERROR && !timed_out) continue;
    const std::string reason = timed_out ? "timed out" : last_error(s);
    if (!hops.empty()) {
      // libssh sends the jump's stderr to /dev/null, so its own reason (refused, host key,
      // auth) is lost and all we see is the pipe closing: name the hop and how to test it.
      // OpenSSH follows the same ProxyJump chain (every hop, users and ports as written) and
      // prints the reason libssh threw away.
      const std::string try_it =
          "ssh" +
          (options.own_ssh_config() ? " -F " + shell_quote(options.ssh_config) : std::string()) +
          " -o BatchMode=yes" + (node.port > 0 ? " -p " + std::to_string(node.port) : "") + " " +
          shell_quote(node.user.empty() ? node.host : node.user + "@" + node.host) + " true";
      std::string chain = hops.front();
      for (std::size_t i = 1; i < hops.size(); ++i) chain += ", then " + hops[i];
      const bool one = hops.size() == 1;
      return fail(
          node,
          (one ? "cannot connect through jump host " : "cannot connect through jump hosts ") +
              chain,
          reason + " (ProxyJump runs `ssh -W` to " + chain + ")",
          "check that `" + try_it +
              "` works from this machine without a prompt (known_hosts entry and key "
              "for " +
              (one ? "the jump host" : "each jump host") + ") and that " + hops.back() +
              " can reach the node");
    }
    if (timed_out)
      return fail(node, "cannot connect", reason,
                  "check the network path to the node, or raise --connect-timeout");
    // libssh's words for a name nothing resolves: no sshd was reached to check.
    if (reason.rfind("Failed to resolve hostname", 0) == 0)
      return fail(node, "cannot connect", reason,
                  "check the node's host name (a typo, or a HostName missing from the ssh "
                  "config; `" +
                      ssh_command(node, options, "-G") +
                      " | grep ^hostname` shows what ssh would use)");
    // Which address and port were dialled, as the ssh config resolved them: a Port line
    // that did not apply read as a node down.
    return fail(node, "cannot connect", reason + " (as " + login_text(s) + ")",
                "check that the node is up and sshd listens on its port (" +
                    ssh_command(node, options, "-v") + ")");
  }
}

void set_tcp_user_timeout(ssh_session s, std::chrono::milliseconds timeout) {
  const int fd = ssh_get_fd(s);
  if (fd < 0) return;
  const auto ms = static_cast<unsigned int>(timeout.count());
  // Best effort: without it, liveness still comes from the per-stream watchdog.
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
}

} // namespace clustertop::ssh
