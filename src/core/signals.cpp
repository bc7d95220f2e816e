#include "clustertop/core/signals.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>

namespace clustertop {
namespace {

void unblock_all_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr); // async-signal-safe: runs in the forked child
}

} // namespace

SignalWatcher::SignalWatcher() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Children forked by libraries (libssh's ProxyJump `ssh`, stopped with SIGTERM) must not
  // start with these blocked: the mask survives fork and exec, and a held SIGTERM would keep
  // the library waiting on its child. Registered once: atfork handlers cannot be removed.
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, unblock_all_signals); });
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
}

SignalWatcher::~SignalWatcher() {
  if (fd_ >= 0) close(fd_);
}

int SignalWatcher::take() {
  signalfd_siginfo info{};
  if (read(fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

} // namespace clustertop
