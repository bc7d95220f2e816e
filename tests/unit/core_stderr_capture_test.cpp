#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "clustertop/core/stderr_capture.hpp"

namespace clustertop {
namespace {

// A file standing in for standard error: what reaches it is what the terminal would show.
class FakeStderr : public ::testing::Test {
protected:
  void SetUp() override {
    std::FILE *f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    fd_ = ::dup(::fileno(f));
    file_ = ::dup(::fileno(f)); // the file itself, whatever fd_ points at
    std::fclose(f);
  }
  void TearDown() override {
    ::close(fd_);
    ::close(file_);
  }
  void put(const std::string &text) const {
    ASSERT_EQ(::write(fd_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  [[nodiscard]] std::string shown() const {
    std::string out(4096, '\0');
    const ssize_t n = ::pread(file_, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }
  int fd_ = -1;
  int file_ = -1;
};

// While captured, nothing reaches the terminal: lines come out of drain() whole, a line
// without its end waits for it, and stop() hands back every line kept, the last unfinished
// one too; afterwards writes reach the terminal again.
TEST_F(FakeStderr, LinesGoToTheCaptureAndBackAtStop) {
  StderrCapture capture(fd_);
  ASSERT_TRUE(capture.start());
  ASSERT_GE(capture.fd(), 0);
  put("clustertop: hook exited with status 3\nHELLO-FROM-");
  EXPECT_EQ(capture.drain(), (std::vector<std::string>{"clustertop: hook exited with status 3"}));
  put("HOOK\nhalf");
  EXPECT_EQ(capture.drain(), (std::vector<std::string>{"HELLO-FROM-HOOK"}));
  EXPECT_EQ(shown(), "");
  EXPECT_EQ(capture.stop(), (std::vector<std::string>{"clustertop: hook exited with status 3",
                                                      "HELLO-FROM-HOOK", "half"}));
  EXPECT_EQ(capture.fd(), -1);
  put("after\n");
  EXPECT_EQ(shown(), "after\n");
}

// A child started while the capture stands (a hook: its stdout and stderr are ours) writes
// into it, not onto the screen.
TEST_F(FakeStderr, AChildsOutputIsCapturedToo) {
  StderrCapture capture(fd_);
  ASSERT_TRUE(capture.start());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(fd_, STDOUT_FILENO);
    ::execl("/bin/sh", "sh", "-c", "echo from-child", static_cast<char *>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(capture.drain(), (std::vector<std::string>{"from-child"}));
  (void)capture.stop();
  EXPECT_EQ(shown(), "");
}

// A hook still running when the screen goes (they are waited for after it) holds the pipe
// as its stdout: its late write killed it with SIGPIPE when stop() closed the read end. It
// now finishes, and what it wrote reaches the target when the capture goes.
TEST_F(FakeStderr, AChildWritingAfterStopFinishesAndIsForwarded) {
  auto capture = std::make_unique<StderrCapture>(fd_);
  ASSERT_TRUE(capture->start());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(fd_, STDOUT_FILENO);
    ::execl("/bin/sh", "sh", "-c", "sleep 0.3; echo late", static_cast<char *>(nullptr));
    ::_exit(127);
  }
  EXPECT_TRUE(capture->stop().empty());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  capture.reset();
  EXPECT_EQ(shown(), "late\n");
}

// Only the newest lines are kept for stop(), each cut to its limit between characters, and
// the count of those dropped is said.
TEST_F(FakeStderr, KeepsTheNewestLinesCutToTheirLimit) {
  StderrCapture capture(fd_);
  ASSERT_TRUE(capture.start());
  for (std::size_t i = 0; i < StderrCapture::kKeptLines + 5; ++i)
    put("line " + std::to_string(i) + "\n");
  put(std::string(StderrCapture::kMaxLineBytes - 1, 'x') + "\xc3\xa9tail\n");
  const auto lines = capture.stop();
  ASSERT_EQ(lines.size(), StderrCapture::kKeptLines + 1);
  EXPECT_EQ(lines.front(), "(6 earlier lines dropped)");
  EXPECT_EQ(lines[1], "line 6");
  EXPECT_EQ(lines.back(), std::string(StderrCapture::kMaxLineBytes - 1, 'x') + "...");
}

} // namespace
} // namespace clustertop
