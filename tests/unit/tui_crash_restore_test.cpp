#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../src/tui/crash_restore.hpp"
#include "clustertop/core/stderr_capture.hpp"

namespace clustertop::tui {
namespace {

std::string read_all(int fd) {
  std::string out(4096, '\0');
  const ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// A crash while the dashboard is up (stderr captured into a pipe): an assertion's or
// std::terminate's message went into the pipe and was lost with the process. The handler
// puts stderr back and forwards what waits, then the process dies of its signal as before.
TEST(CrashRestore, AFatalSignalForwardsWhatStderrHeld) {
  std::FILE *err_file = std::tmpfile();
  std::FILE *out_file = std::tmpfile();
  ASSERT_NE(err_file, nullptr);
  ASSERT_NE(out_file, nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(::fileno(err_file), STDERR_FILENO);
    StderrCapture capture;
    if (!capture.start()) ::_exit(90);
    const termios cooked{};
    CrashRestore restore(-1, ::fileno(out_file), cooked); // no tty: tcsetattr fails, harmless
    restore.forward_stderr(capture.saved_fd(), capture.fd());
    const std::string reason = "clustertop: main.cpp:1: poll: Assertion `x' failed.\n";
    (void)!::write(STDERR_FILENO, reason.data(), reason.size());
    std::abort();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) << "status " << status;
  EXPECT_EQ(read_all(::fileno(err_file)), "clustertop: main.cpp:1: poll: Assertion `x' failed.\n");
  EXPECT_NE(read_all(::fileno(out_file)).find("\r\n"), std::string::npos); // the undo was written
  std::fclose(err_file);
  std::fclose(out_file);
}

} // namespace
} // namespace clustertop::tui
