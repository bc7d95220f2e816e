// StoppableOutput: a stop signal bounds how long output waits for its reader; it does not
// throw away what can still be written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "clustertop/core/stoppable_output.hpp"

namespace clustertop {
namespace {

using namespace std::chrono_literals;

// A descriptor that polls readable, as the signalfd does while a stop signal is pending.
struct PendingStop {
  int fds[2] = {-1, -1};
  PendingStop() {
    if (::pipe(fds) == 0) (void)::write(fds[1], "x", 1);
  }
  ~PendingStop() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

// A pipe shrunk to one page and filled: the next write waits for its reader.
struct FullPipe {
  int fds[2] = {-1, -1};
  bool full = false;
  FullPipe() {
    if (::pipe(fds) != 0) return;
    (void)::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    const std::string page(4096, 'a');
    full = ::write(fds[1], page.data(), page.size()) == 4096;
  }
  ~FullPipe() {
    ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
  }
};

// With a stop pending, a regular file (always writable) still gets every line: the stop
// dropped everything written after it, even to a file.
TEST(StoppableOutput, AStopDropsNothingThatCanBeWritten) {
  PendingStop stop;
  char path[] = "/tmp/ct-stoppable-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    StoppableOutput out(fd, stop.fds[0]);
    for (int i = 0; i < 1000; ++i) std::fprintf(out.file(), "line %d\n", i);
    EXPECT_EQ(std::fflush(out.file()), 0);
    EXPECT_FALSE(out.gave_up());
  }
  ::lseek(fd, 0, SEEK_SET);
  const std::string text = read_all(fd);
  ::close(fd);
  ::unlink(path);
  EXPECT_NE(text.find("line 999\n"), std::string::npos) << text.size();
}

// A full pipe whose reader comes back within the grace: the write waits for it.
TEST(StoppableOutput, AStopGivesAReaderThatIsBehindItsGrace) {
  PendingStop stop;
  FullPipe p;
  ASSERT_TRUE(p.full);
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(300ms);
    got = read_all(p.fds[0]);
  });
  {
    StoppableOutput out(p.fds[1], stop.fds[0]);
    std::fputs("the last alert\n", out.file());
    EXPECT_EQ(std::fflush(out.file()), 0);
    EXPECT_FALSE(out.gave_up());
  }
  ::close(p.fds[1]); // the reader's end of file
  p.fds[1] = -1;
  reader.join();
  EXPECT_EQ(got, std::string(4096, 'a') + "the last alert\n");
}

// A reader that does not come back: the write gives up after the grace.
TEST(StoppableOutput, AReaderThatNeverReadsIsGivenUpOnAfterTheGrace) {
  PendingStop stop;
  FullPipe p;
  ASSERT_TRUE(p.full);
  StoppableOutput out(p.fds[1], stop.fds[0]);
  out.stop_after(200ms);
  std::fputs("never read\n", out.file());
  EXPECT_NE(std::fflush(out.file()), 0);
  EXPECT_TRUE(out.gave_up());
}

} // namespace
} // namespace clustertop
