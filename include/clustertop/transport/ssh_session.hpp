// Internal to the ssh transport: one libssh session from options to an authenticated,
// probed connection. Runs on a connect worker; the session is then handed to the I/O thread
// and never touched here again. Nothing in this file runs remote commands except the probe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <libssh/libssh.h>

#include "clustertop/core/result.hpp"
#include "clustertop/transport/ssh.hpp"

namespace clustertop::ssh {

struct SessionDeleter {
  void operator()(ssh_session s) const;
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionDeleter>;

// What a node resolves to after ~/.ssh/config; explicit NodeSpec settings win over the file.
struct Resolved {
  std::string host;
  std::string user;
  int port = 22;
};

// A new session with every option set: host, ~/.ssh/config (or options.ssh_config), then the
// node's explicit port/user/identity and our own timeout/nodelay/known_hosts applied after
// the file, since libssh lets the file override earlier options.
Result<SessionPtr> new_session(const NodeSpec &node, const SshOptions &options);
Result<Resolved> resolve_node(const NodeSpec &node, const SshOptions &options);
// What a session made by new_session resolved to (resolve_node without a session of its own).
Resolved resolved_of(ssh_session s);

// Everything a blocking step needs to give up: a deadline and the transport's stop flag.
struct Deadline {
  std::chrono::steady_clock::time_point until;
  const std::atomic<bool> *stop = nullptr;
  [[nodiscard]] bool expired() const;
};

// Waits (≤20 ms) for the session socket to become readable; false once the deadline passed.
bool wait_socket(ssh_session s, const Deadline &deadline);

// TCP connect (or the ProxyJump/ProxyCommand pipe) + key exchange in non-blocking mode, so
// stop() is never held up; a failure through a jump host names the jump host.
Status connect_session(ssh_session s, const NodeSpec &node, const SshOptions &options,
                       const Deadline &deadline);
// Checks the server's key against known_hosts under the policy; an Error names the node,
// the key fingerprint and what to run.
Status verify_host_key(ssh_session s, const NodeSpec &node, const SshOptions &options);
// The `ssh` command that reaches the node as clustertop does (its -F, known_hosts file, port,
// user and host), with `flags` after `ssh` ("-v"): what a hint tells the user to run.
std::string ssh_command(const NodeSpec &node, const SshOptions &options,
                        std::string_view flags = {});
// "root on 10.0.0.7:2222": whom the session asks to let in where, as the config resolved it
// (a wrong User or Port line is the usual reason a good node is refused).
std::string login_text(ssh_session s);
// ssh-agent, then identity files; never a password.
Status authenticate(ssh_session s, const NodeSpec &node, const SshOptions &options,
                    const Deadline &deadline);
// Runs `command` (wrapped) on a fresh channel and returns its stdout.
Result<std::string> run_probe(ssh_session s, const NodeSpec &node, const std::string &command,
                              const Deadline &deadline);
// Sets TCP_USER_TIMEOUT on the session socket so a silent partition ends in an error.
void set_tcp_user_timeout(ssh_session s, std::chrono::milliseconds timeout);

// The full remote command line for a stream: `exec /bin/sh -c WRAPPER clustertop CMD`. The
// wrapper runs CMD in the background, watches the channel's stdin and kills the whole
// process group (sshd makes each session its own) when stdin reaches EOF.
std::string wrap_remote_command(const std::string &command);

std::string last_error(ssh_session s);
// A string option of the session (SSH_OPTIONS_HOST, _USER, _PROXYCOMMAND, _KNOWNHOSTS…), or
// "" when it has none. After connecting, paths have their ~ and % tokens expanded.
std::string option_text(ssh_session s, ssh_options_e option);
// Whether the server closed the session or the socket failed.
bool session_closed(ssh_session s);

} // namespace clustertop::ssh
