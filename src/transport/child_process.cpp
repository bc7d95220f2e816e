#include "clustertop/transport/child_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

namespace clustertop {
namespace {

void close_fd(int &fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const char *command, int out_w, int err_w) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGXFSZ, SIG_DFL); // ignored by clustertop itself (main.cpp)
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out_w, 1);
  ::dup2(err_w, 2);
  ::close_range(3, ~0U, 0); // no ssh socket or other stream's pipe of ours in the command
  ::execl("/bin/sh", "sh", "-c", command, static_cast<char *>(nullptr));
  ::_exit(127);
}

} // namespace

Result<ChildProcess> ChildProcess::spawn(const std::string &command) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return Error{"cannot create a pipe", std::strerror(errno), "", "raise the open-file limit"};
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out[0]);
    ::close(out[1]);
    return Error{"cannot create a pipe", std::strerror(e), "", "raise the open-file limit"};
  }
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(command.c_str(), out[1], err[1]);
  const int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return Error{"cannot start a process", std::strerror(fork_errno), "",
                 "the process limit may be reached"};
  }
  ::setpgid(pid, pid); // also in the child: whichever runs first wins, no race
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  ChildProcess c;
  c.pid_ = pid;
  c.out_fd_ = out[0];
  c.err_fd_ = err[0];
  return c;
}

ChildProcess::~ChildProcess() { terminate(); }

ChildProcess::ChildProcess(ChildProcess &&other) noexcept
    : pid_(other.pid_), out_fd_(other.out_fd_), err_fd_(other.err_fd_) {
  other.pid_ = -1;
  other.out_fd_ = -1;
  other.err_fd_ = -1;
}

ChildProcess &ChildProcess::operator=(ChildProcess &&other) noexcept {
  if (this != &other) {
    terminate();
    pid_ = other.pid_;
    out_fd_ = other.out_fd_;
    err_fd_ = other.err_fd_;
    other.pid_ = -1;
    other.out_fd_ = -1;
    other.err_fd_ = -1;
  }
  return *this;
}

void ChildProcess::close_stdout() { close_fd(out_fd_); }
void ChildProcess::close_stderr() { close_fd(err_fd_); }

bool ChildProcess::try_reap(int &status) {
  if (pid_ < 0) return true;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return false;
  // The shell is gone; anything it left in its group goes too.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
  return true;
}

void ChildProcess::terminate() {
  close_stdout();
  close_stderr();
  if (pid_ < 0) return;
  ::kill(-pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 50; ++i) { // up to 500 ms of grace
    if (::waitpid(pid_, &status, WNOHANG) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL); // the group, even when the shell already left
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string output_of(const std::string &command, std::chrono::milliseconds limit,
                      const std::function<bool()> &stop) {
  auto child = ChildProcess::spawn(command);
  if (!child) return "";
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (out.size() < (1U << 20) && std::chrono::steady_clock::now() < deadline &&
         !(stop && stop())) {
    pollfd p{child->stdout_fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue; // nothing yet, or a signal: ask again
    const ssize_t n = ::read(child->stdout_fd(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break; // closed
    out.append(buf, static_cast<std::size_t>(n));
  }
  child->terminate();
  return out;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("ended (wait status {})", status);
}

} // namespace clustertop
