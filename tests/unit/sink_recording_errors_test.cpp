// What recordings do when a write fails, with the real failure: a file that cannot grow
// (RLIMIT_FSIZE, the same short write and error a full disk gives); and what a replay says
// about a recording cut off in the middle of a record.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>

#include "clustertop/sink/recorder.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;

class SinkRecordingErrors : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "clustertop-recerr-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A recording that cannot be written (a full disk: here a file size limit, which fails the
// same way, part of a write and then an error) is said once on stderr, with the file and
// the reason; the file keeps whole records only, and recording stops: nothing spins on a
// full disk, and no record is written after a gap.
TEST_F(SinkRecordingErrors, ARecordingThatCannotBeWrittenIsSaidOnceAndStopsOnAWholeRecord) {
  auto rec = Recorder::open(dir_.string(), from_epoch_seconds(100));
  ASSERT_TRUE(rec.ok()) << rec.error().message();
  const std::string path = (*rec)->path();
  const std::string long_line(300, 'x');
  ::testing::internal::CaptureStderr();
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  for (int i = 0; i < 40; ++i)
    (*rec)->on_lines(LineBatch{"mac1", "log:x", from_epoch_seconds(100 + i), {long_line}});
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  const auto size_when_full = fs::file_size(path);
  (*rec)->on_lines(LineBatch{"mac1", "log:x", from_epoch_seconds(200), {"after"}});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(err, "cannot write the recording"), 1u) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("File too large"), std::string::npos) << err;
  EXPECT_NE(err.find("recording stopped"), std::string::npos) << err;
  EXPECT_TRUE((*rec)->stopped());
  EXPECT_EQ(fs::file_size(path), size_when_full) << "written after it stopped";
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the file ends inside a record";
  auto src = ReplaySource::from_recording(dir_.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  // Nothing cut off; it ends before its watch did, which the replay says.
  ASSERT_EQ(src->warnings().size(), 1u);
  EXPECT_NE(src->warnings()[0].find("no end record"), std::string::npos) << src->warnings()[0];
  EXPECT_EQ(src->skipped(), 0u);
}

// A recording whose last record was cut off (a disk that filled mid-write, a copy taken
// while recording) replays the records before it and says where it was cut.
TEST_F(SinkRecordingErrors, ARecordingCutOffMidRecordSaysWhereAndReplaysTheRest) {
  const std::string whole = "#clustertop-recording 1 1000000\n"
                            "D 0 mac1 log:x\n"
                            "L 1000000 0 first line\n";
  std::ofstream(dir_ / "a.ctrec", std::ios::binary) << whole << "L 2000000 0 SIGSE";
  auto src = ReplaySource::from_recording(dir_.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  ASSERT_EQ(src->warnings().size(), 2u); // cut off, and so without an end record
  EXPECT_NE(src->warnings()[1].find("no end record"), std::string::npos) << src->warnings()[1];
  const std::string &w = src->warnings()[0];
  EXPECT_NE(w.find((dir_ / "a.ctrec").string()), std::string::npos) << w;
  EXPECT_NE(w.find("byte " + std::to_string(whole.size())), std::string::npos) << w;
  const auto first = src->take_next();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(std::get<LineBatch>(first[0]).lines, std::vector<std::string>{"first line"});
  EXPECT_TRUE(src->done());
  EXPECT_EQ(src->skipped(), 0u);
}

} // namespace
} // namespace clustertop
