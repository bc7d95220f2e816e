// SignalWatcher: SIGINT, SIGTERM and SIGHUP arrive as a readable fd (signalfd) instead of
// through a handler, so the main loop polls them beside its other inputs and no global flag
// is needed. Construct it in main() before any thread starts: threads inherit the blocked
// mask; every fork()ed child, ours or a library's (libssh's ProxyJump `ssh`), starts with no
// signal blocked (a pthread_atfork handler). SIGPIPE is ignored (a closed socket or pipe is
// an error return, not a death).
#pragma once

namespace clustertop {

class SignalWatcher {
public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher &) = delete;
  SignalWatcher &operator=(const SignalWatcher &) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  // The signal number waiting on fd(), or 0 when none.
  int take();

private:
  int fd_ = -1;
};

} // namespace clustertop
