// ChildProcess: one local command run through /bin/sh in its own process group, with its
// stdout and stderr on non-blocking pipes. Owned by one thread. The group is killed on
// terminate() and in the destructor, so nothing it started outlives clustertop.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <sys/types.h>

#include "clustertop/core/result.hpp"

namespace clustertop {

class ChildProcess {
public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess &&other) noexcept;
  ChildProcess &operator=(ChildProcess &&other) noexcept;
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // Starts `/bin/sh -c command` with stdin from /dev/null, signals unblocked, and
  // PR_SET_PDEATHSIG so the shell dies with the thread that started it.
  static Result<ChildProcess> spawn(const std::string &command);

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int stdout_fd() const { return out_fd_; }
  [[nodiscard]] int stderr_fd() const { return err_fd_; }
  void close_stdout();
  void close_stderr();

  // Non-blocking reap. True once the child has exited; `status` is the waitpid status.
  bool try_reap(int &status);
  // SIGTERM to the group, a short grace period, then SIGKILL; reaps the child.
  void terminate();

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
};

// What `command` prints on stdout until it closes it, `limit` passes, or `stop()` says so
// (asked every 100 ms), at most 1 MiB; "" where it cannot start. The command is ended after.
std::string output_of(const std::string &command, std::chrono::milliseconds limit,
                      const std::function<bool()> &stop = {});

// "exited with status 127", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace clustertop
