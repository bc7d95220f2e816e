// The remote side: the /bin/sh wrapper that leaves nothing running on the node, and the
// one-shot platform probe run on a connect worker before the session is handed over.
#include <poll.h>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/ssh_session.hpp"

namespace clustertop::ssh {
namespace {

// Without a PTY, a quiet command survives a closed channel or a dropped connection. sshd
// makes every session its own process group (setsid), so the wrapper keeps the channel's
// stdin on fd 3, runs the command in the background and lets a watcher kill the group once
// stdin reaches EOF: the client closed the channel, the connection died, or the command
// exited (sshd then closes the pipe and the watcher reaps any stragglers). The watcher's
// own output goes to /dev/null so it never holds the channel open. One line, no '!'
// history words: it passes through the user's login shell first.
constexpr const char *kWrapper =
    "exec 3<&0; /bin/sh -c \"$1\" </dev/null 3<&- & c=$!; "
    "{ trap '' TERM; cat >/dev/null; kill -TERM 0; sleep 1; kill -KILL 0; } "
    "<&3 >/dev/null 2>&1 & exec 3<&-; wait $c";

struct ChannelCloser {
  void operator()(ssh_channel c) const {
    if (ssh_channel_is_open(c) != 0) ssh_channel_close(c); // not one the server refused
    ssh_channel_free(c);
  }
};

template <typename Step> int drive(ssh_session s, const Deadline &deadline, Step step) {
  for (;;) {
    const int rc = step();
    if (rc != SSH_AGAIN) return rc;
    if (!wait_socket(s, deadline)) return SSH_AGAIN;
  }
}

} // namespace

std::string wrap_remote_command(const std::string &command) {
  return "exec /bin/sh -c " + shell_quote(kWrapper) + " clustertop " + shell_quote(command);
}

Result<std::string> run_probe(ssh_session s, const NodeSpec &node, const std::string &command,
                              const Deadline &deadline) {
  const std::string where = "node " + node.name;
  std::unique_ptr<ssh_channel_struct, ChannelCloser> ch(ssh_channel_new(s));
  if (!ch) return Error{"cannot open a channel", last_error(s), where, {}};
  int rc = drive(s, deadline, [&] { return ssh_channel_open_session(ch.get()); });
  if (rc != SSH_OK)
    return Error{"cannot open a channel for the probe",
                 rc == SSH_AGAIN ? "timed out" : last_error(s), where,
                 "check MaxSessions in the node's sshd_config"};
  const std::string wrapped = wrap_remote_command(command);
  rc = drive(s, deadline, [&] { return ssh_channel_request_exec(ch.get(), wrapped.c_str()); });
  if (rc != SSH_OK)
    return Error{
        "cannot run the platform probe", rc == SSH_AGAIN ? "timed out" : last_error(s), where, {}};
  std::string out;
  char buf[8192];
  constexpr std::size_t kMaxProbe = 1 << 20;
  for (;;) {
    const int n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 0);
    char discard[4096]; // stderr is read too, so a chatty probe cannot fill its window
    [[maybe_unused]] const int e =
        ssh_channel_read_nonblocking(ch.get(), discard, sizeof discard, 1);
    if (n > 0) {
      if (out.size() < kMaxProbe) out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == SSH_EOF) break; // read_nonblocking reports the end as SSH_EOF, not 0
    if (n < 0) return Error{"platform probe failed", last_error(s), where, {}};
    if (ssh_channel_is_eof(ch.get()) != 0) break;
    if (!wait_socket(s, deadline))
      return Error{"platform probe failed", "timed out", where,
                   "its login shell did not run the probe within --connect-timeout: a startup "
                   "file (~/.bashrc, ~/.zshenv) that waits for input or sleeps holds every "
                   "command (ssh NODE true shows it), else the node is overloaded"};
  }
  return out;
}

} // namespace clustertop::ssh
