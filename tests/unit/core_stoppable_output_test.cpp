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
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  (void)::fcntl(p[1], F_SETPIPE_SZ, 4096);
  const std::string page(4096, 'a');
  ASSERT_EQ(::write(p[1], page.data(), page.size()), 4096); // full
  std::string got;
  std::thread reader([&] {
    std::this_thread::sleep_for(300ms);
    got = read_all(p[0]);
  });
  {
    StoppableOutput out(p[1], stop.fds[0]);
    std::fputs("the last alert\n", out.file());
    EXPECT_EQ(std::fflush(out.file()), 0);
    EXPECT_FALSE(out.gave_up());
  }
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  EXPECT_EQ(got, page + "the last alert\n");
}

// A reader that does not come back: the write gives up after the grace.
TEST(StoppableOutput, AReaderThatNeverReadsIsGivenUpOnAfterTheGrace) {
  PendingStop stop;
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  (void)::fcntl(p[1], F_SETPIPE_SZ, 4096);
  const std::string page(4096, 'a');
  ASSERT_EQ(::write(p[1], page.data(), page.size()), 4096);
  StoppableOutput out(p[1], stop.fds[0]);
  out.stop_after(200ms);
  std::fputs("never read\n", out.file());
  EXPECT_NE(std::fflush(out.file()), 0);
  EXPECT_TRUE(out.gave_up());
  ::close(p[0]);
}

} // namespace
} // namespace clustertop
