#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clustertop/core/text.hpp"
#include "clustertop/sink/csv_sink.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
const TimePoint kT0 = from_epoch_seconds(1'790'000'000);

class ExportCsvSink : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "clustertop-csvsink-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_.add(Sample{"mac1", "gpu.power_w", "", 20, kT0});
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto &e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  void tick(Sink &sink, TimePoint now) { sink.on_tick(TickContext{store_, firing_, now}); }
  // A sink writing wide files into dir_ every `every`, for a run ticking every `tick`.
  std::unique_ptr<CsvSink> periodic(Duration every, Duration tick_every) {
    CsvSinkOptions o;
    o.dir = dir_.string();
    o.every = every;
    o.tick = tick_every;
    auto sink = CsvSink::create(store_, o);
    EXPECT_TRUE(sink.ok()) << sink.error().message();
    return sink.ok() ? std::move(*sink) : nullptr;
  }

  // Options for long files into dir_ every `every`, each error's message kept in errors_.
  CsvSinkOptions long_files(Duration every) {
    CsvSinkOptions o;
    o.dir = dir_.string();
    o.every = every;
    o.format = CsvFormat::long_rows;
    o.on_error = [this](const Error &e) { errors_.push_back(e.message()); };
    return o;
  }
  // The text of a file written into dir_ (or at `path`).
  static std::string text_of(const fs::path &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  Store store_;
  std::vector<Finding> firing_;
  std::vector<std::string> errors_;
};

TEST_F(ExportCsvSink, PeriodicSnapshotsFollowTheScheduleWithTimestampedNames) {
  CsvSinkOptions o;
  o.dir = dir_.string();
  o.every = seconds(30);
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  tick(**sink, kT0);
  tick(**sink, kT0 + seconds(29));
  EXPECT_TRUE(files().empty());
  tick(**sink, kT0 + seconds(30));
  tick(**sink, kT0 + seconds(31));
  tick(**sink, kT0 + seconds(60));
  EXPECT_EQ(files(), (std::vector<std::string>{"clustertop-20260921T141350.000Z.csv",
                                               "clustertop-20260921T141420.000Z.csv"}));
}

TEST_F(ExportCsvSink, OneSnapshotPerFiringOrResolvedTransitionAndOnDemand) {
  CsvSinkOptions o;
  o.dir = dir_.string();
  o.on_alert = true;
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  Finding f{"oom_risk", "mac1", "", Severity::critical, 1, 2, "low memory"};
  firing_ = {f};
  const TickContext ctx{store_, firing_, kT0};
  (*sink)->on_transition(AlertTransition{f, AlertState::pending, kT0, kT0}, ctx);
  (*sink)->on_transition(AlertTransition{f, AlertState::firing, kT0, kT0}, ctx);
  (*sink)->on_transition(AlertTransition{f, AlertState::resolved, kT0, kT0}, ctx);
  EXPECT_EQ(files(), (std::vector<std::string>{"clustertop-20260921T141320.000Z-alert-2.csv",
                                               "clustertop-20260921T141320.000Z-alert.csv"}));
  tick(**sink, kT0);
  auto path = (*sink)->snapshot_now(kT0 + seconds(1));
  ASSERT_TRUE(path.ok());
  const std::string text = text_of(*path);
  EXPECT_NE(text.find("oom_risk(critical),low memory"), std::string::npos) << text;
  EXPECT_EQ((*sink)->snapshots_written(), 3u);
}

TEST_F(ExportCsvSink, MissingDirectoryIsAnErrorAndWriteFailuresAreReported) {
  CsvSinkOptions o;
  o.dir = (dir_ / "nosuch").string();
  EXPECT_FALSE(CsvSink::create(store_, o).ok());
  o.dir = dir_.string();
  std::vector<std::string> errors;
  o.on_error = [&](const Error &e) { errors.push_back(e.message()); };
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  fs::remove_all(dir_); // the directory vanishes under a running sink
  EXPECT_FALSE((*sink)->snapshot_now(kT0).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("cannot open the output directory"), std::string::npos);
}

// Every numbered name of a time taken: the file is not written, and says why. Past the last
// number the last name was written over, its file lost without a word.
TEST_F(ExportCsvSink, NoFreeNameIsAnErrorNotAFileWrittenOver) {
  CsvSinkOptions o;
  o.dir = dir_.string();
  o.on_error = [this](const Error &e) { errors_.push_back(e.message()); };
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  const std::string base = (dir_ / "clustertop-20260921T141320.000Z").string();
  std::ofstream(base + ".csv") << "keep 1";
  for (int n = 2; n <= CsvSink::kMostNamesAStamp; ++n)
    std::ofstream(fmt::format("{}-{}.csv", base, n)) << "keep " << n;
  EXPECT_FALSE((*sink)->snapshot_now(kT0).ok());
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("no free CSV file name"), std::string::npos) << errors_[0];
  EXPECT_EQ(text_of(fmt::format("{}-{}.csv", base, CsvSink::kMostNamesAStamp)),
            fmt::format("keep {}", CsvSink::kMostNamesAStamp));
  fs::remove(base + "-5000.csv"); // a free name: written there
  auto path = (*sink)->snapshot_now(kT0);
  ASSERT_TRUE(path.ok()) << path.error().message();
  EXPECT_EQ(*path, base + "-5000.csv");
}

// --csv-format long: a periodic file holds the samples since the last file written. A
// failed write (the directory gone, a full disk) must not lose its period's samples: the
// next file written covers them too.
TEST_F(ExportCsvSink, LongFileAfterAFailedWriteCoversTheFailedPeriod) {
  auto sink = CsvSink::create(store_, long_files(seconds(2)));
  ASSERT_TRUE(sink.ok());
  tick(**sink, kT0);
  tick(**sink, kT0 + seconds(2)); // the first file: the sample at kT0
  ASSERT_EQ(files().size(), 1u);
  fs::remove_all(dir_);
  store_.add(Sample{"mac1", "gpu.power_w", "", 33, kT0 + seconds(3)});
  tick(**sink, kT0 + seconds(4)); // fails: no directory
  EXPECT_EQ(errors_.size(), 1u);
  fs::create_directories(dir_);
  store_.add(Sample{"mac1", "gpu.power_w", "", 44, kT0 + seconds(5)});
  tick(**sink, kT0 + seconds(6));
  ASSERT_EQ(files().size(), 1u);
  const std::string text = text_of(dir_ / files()[0]);
  EXPECT_NE(text.find("2026-09-21T14:13:23.000Z,mac1,gpu.power_w,,33,W"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2026-09-21T14:13:25.000Z,mac1,gpu.power_w,,44,W"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(",20,W"), std::string::npos) << text; // written before
}

// A ring holds a few thousand points, fewer than a long period brings at step rates (28
// steps/s fill 3600 in two minutes): a periodic long file still holds every sample of its
// period, a sample with an older time that arrives late included; and points that left a
// ring between two ticks are said, not silently missing.
TEST_F(ExportCsvSink, LongFileHoldsEverySampleOfItsPeriodBeyondTheRing) {
  StoreLimits limits;
  limits.points_per_series = 4;
  Store small(limits);
  auto sink = CsvSink::create(small, long_files(seconds(60)));
  ASSERT_TRUE(sink.ok());
  auto tick_small = [&](TimePoint now) { (*sink)->on_tick(TickContext{small, firing_, now}); };
  tick_small(kT0);
  for (int t = 1; t <= 30; ++t) {
    small.add(Sample{"mac1", "step.eval_ms", "", 100.0 + t, kT0 + seconds(t)});
    if (t % 3 == 0) tick_small(kT0 + seconds(t));
  }
  small.add(Sample{"mac1", "step.eval_ms", "", 7, kT0 + seconds(2)}); // late, older time
  tick_small(kT0 + seconds(60));
  ASSERT_EQ(files().size(), 1u);
  const std::string text = text_of(dir_ / files()[0]);
  for (int t = 1; t <= 30; ++t)
    EXPECT_NE(text.find(fmt::format(",mac1,step.eval_ms,,{},ms", 100 + t)), std::string::npos)
        << t << "\n"
        << text;
  EXPECT_NE(text.find("2026-09-21T14:13:22.000Z,mac1,step.eval_ms,,7,ms"), std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 32) << "a header and 31 rows, none twice";
  EXPECT_TRUE(errors_.empty());

  // Six points between two ticks, in a ring of four: two are lost, and that is said.
  for (int t = 61; t <= 66; ++t)
    small.add(Sample{"mac1", "step.eval_ms", "", 100.0 + t, kT0 + seconds(t)});
  tick_small(kT0 + seconds(67));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("2 samples"), std::string::npos) << errors_[0];
}

// A directory that cannot be written for long: the rows kept for it stay bounded (written
// early, and dropped with a count when that fails), not grown without end.
TEST_F(ExportCsvSink, LongRowsStayBoundedWhileTheDirectoryCannotBeWritten) {
  auto o = long_files(seconds(3600));
  o.long_rows_max = 200;
  auto sink = CsvSink::create(store_, o);
  ASSERT_TRUE(sink.ok());
  tick(**sink, kT0);
  store_.add(Sample{"mac1", "gpu.power_w", "", 21, kT0 + seconds(1)});
  tick(**sink, kT0 + seconds(1));
  EXPECT_TRUE(files().empty()) << "under the bound: kept for the period's file";
  for (int i = 2; i < 8; ++i)
    store_.add(Sample{"mac1", "gpu.power_w", "", 20.0 + i, kT0 + seconds(i)});
  tick(**sink, kT0 + seconds(8));
  EXPECT_EQ(files().size(), 1u) << "past the bound: written early";
  fs::remove_all(dir_);
  for (int i = 9; i < 20; ++i)
    store_.add(Sample{"mac1", "gpu.power_w", "", 20.0 + i, kT0 + seconds(i)});
  tick(**sink, kT0 + seconds(20));
  ASSERT_EQ(errors_.size(), 2u) << "the failed write, then the drop";
  EXPECT_NE(errors_[1].find("long CSV rows dropped"), std::string::npos) << errors_[1];
  EXPECT_NE(errors_[1].find("11 rows"), std::string::npos) << errors_[1];
}

// Ticks come a little early or late; a tick a fraction of a millisecond before a due time
// is that time's tick: --csv-every 2s on a 1s tick writes every other tick, not :03, :05.
TEST_F(ExportCsvSink, PeriodicSnapshotsKeepTheirPeriodUnderTickJitter) {
  auto sink = periodic(seconds(2), seconds(1));
  ASSERT_NE(sink, nullptr);
  const auto jitter = std::chrono::microseconds(300);
  std::vector<std::size_t> written;
  for (int n = 0; n <= 8; ++n) {
    // The first tick on time (the schedule counts from it); then the due ones (even) a
    // little early, the others a little late.
    const TimePoint t = kT0 + seconds(n) +
                        (n == 0       ? std::chrono::microseconds(0)
                         : n % 2 == 0 ? -jitter
                                      : jitter);
    tick(*sink, t);
    written.push_back(files().size());
  }
  EXPECT_EQ(written, (std::vector<std::size_t>{0, 0, 1, 1, 2, 2, 3, 3, 4}));
}

// After a suspend (SIGSTOP, a closed laptop) the tick at the resume wrote the missed period
// late, and the next due file a tick later: two files a tick apart. A whole period missed is
// skipped; files come on the period's grid again.
TEST_F(ExportCsvSink, AMissedPeriodIsSkippedAndTheGridKept) {
  auto sink = periodic(seconds(2), seconds(1));
  ASSERT_NE(sink, nullptr);
  for (int n = 0; n <= 4; ++n) tick(*sink, kT0 + seconds(n)); // files at :02 and :04
  ASSERT_EQ(files().size(), 2u);
  // Stopped from :04.2 to :10.7; the ticks then fall half a second off the old phase.
  const auto resumed = kT0 + seconds(10) + std::chrono::milliseconds(700);
  tick(*sink, resumed);
  EXPECT_EQ(files().size(), 2u) << "the missed periods are skipped, not written at the resume";
  tick(*sink, resumed + seconds(1)); // :11.7, within half a tick of :12: that time's file
  tick(*sink, resumed + seconds(2)); // :12.7
  tick(*sink, resumed + seconds(3)); // :13.7, for :14
  const auto names = files();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[2], "clustertop-20260921T141331.700Z.csv");
  EXPECT_EQ(names[3], "clustertop-20260921T141333.700Z.csv");
}

// A stop (SIGTERM, `q`, a replay's end) ends the watch: the period cut short gets its file,
// stamped with the stop. Before, a stop lost up to a whole period of rows and said nothing.
TEST_F(ExportCsvSink, AStopWritesThePeriodCutShort) {
  auto sink = CsvSink::create(store_, long_files(seconds(20)));
  ASSERT_TRUE(sink.ok());
  tick(**sink, kT0);
  store_.add(Sample{"mac1", "gpu.power_w", "", 33, kT0 + seconds(3)});
  tick(**sink, kT0 + seconds(5));
  store_.add(Sample{"mac1", "gpu.power_w", "", 44, kT0 + seconds(6)}); // after the last tick
  EXPECT_TRUE(files().empty());
  (*sink)->on_watch_end(TickContext{store_, firing_, kT0 + seconds(7)});
  ASSERT_EQ(files(), std::vector<std::string>{"clustertop-20260921T141327.000Z-long.csv"});
  const std::string text = text_of(dir_ / files()[0]);
  for (const char *row : {"2026-09-21T14:13:20.000Z,mac1,gpu.power_w,,20,W",
                          "2026-09-21T14:13:23.000Z,mac1,gpu.power_w,,33,W",
                          "2026-09-21T14:13:26.000Z,mac1,gpu.power_w,,44,W"})
    EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
  (*sink)->on_watch_end(TickContext{store_, firing_, kT0 + seconds(8)});
  EXPECT_EQ(files().size(), 1u) << "nothing new: no second file";
}

// A stop whose file cannot be written (the directory gone) says how many rows are lost with
// the process, beside the write's own error.
TEST_F(ExportCsvSink, RowsAStopCannotWriteAreCounted) {
  auto sink = CsvSink::create(store_, long_files(seconds(20)));
  ASSERT_TRUE(sink.ok());
  tick(**sink, kT0);
  store_.add(Sample{"mac1", "gpu.power_w", "", 33, kT0 + seconds(3)});
  tick(**sink, kT0 + seconds(5));
  fs::remove_all(dir_);
  (*sink)->on_watch_end(TickContext{store_, firing_, kT0 + seconds(6)});
  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_NE(errors_[1].find("long CSV rows lost at the stop: 2 rows"), std::string::npos)
      << errors_[1];
  fs::create_directories(dir_); // for TearDown
}

TEST_F(ExportCsvSink, AStopWritesAWideSnapshotUnlessTheLastTickDid) {
  auto sink = periodic(seconds(2), seconds(1));
  ASSERT_NE(sink, nullptr);
  for (int n = 0; n <= 2; ++n) tick(*sink, kT0 + seconds(n)); // a file at :02
  sink->on_watch_end(
      TickContext{store_, firing_, kT0 + seconds(2) + std::chrono::milliseconds(300)});
  EXPECT_EQ(files().size(), 1u) << "the last tick wrote its file";
  tick(*sink, kT0 + seconds(3));
  sink->on_watch_end(
      TickContext{store_, firing_, kT0 + seconds(3) + std::chrono::milliseconds(500)});
  EXPECT_EQ(files(), (std::vector<std::string>{"clustertop-20260921T141322.000Z.csv",
                                               "clustertop-20260921T141323.500Z.csv"}));
}

// The stop's wide file is the store at the stop, every column: a step that came after the
// last tick is in the 60 s max beside it (stamped with the last tick, the file showed that
// step's fence_wait and an empty or smaller max) with the alerts firing then (one that
// fired after the last tick was missing), and a stop before the first tick still writes
// what arrived.
TEST_F(ExportCsvSink, AStopsWideFileIsTheStoreAtTheStop) {
  auto sink = periodic(seconds(20), seconds(1));
  ASSERT_NE(sink, nullptr);
  store_.add(Sample{"mac2", "step.fence_wait_ms", "", 0.8, kT0 + std::chrono::milliseconds(200)});
  sink->on_watch_end(
      TickContext{store_, firing_, kT0 + std::chrono::milliseconds(500)}); // before any tick
  ASSERT_EQ(files().size(), 1u) << "a stop before the first tick writes what arrived";
  EXPECT_EQ(files()[0], "clustertop-20260921T141320.500Z.csv");
  fs::remove(dir_ / files()[0]);

  auto later = periodic(seconds(20), seconds(1));
  ASSERT_NE(later, nullptr);
  tick(*later, kT0 + seconds(1));
  tick(*later, kT0 + seconds(2));
  store_.add(Sample{"mac2", "step.fence_wait_ms", "", 500,
                    kT0 + seconds(2) + std::chrono::milliseconds(100)});
  // Its fence_wait_stall fired after the drain that brought the step, after the last tick.
  firing_ = {Finding{"fence_wait_stall", "mac2", "", Severity::warning, 500, 10, "500 ms"}};
  later->on_watch_end(
      TickContext{store_, firing_, kT0 + seconds(2) + std::chrono::milliseconds(450)});
  ASSERT_EQ(files().size(), 1u);
  EXPECT_EQ(files()[0], "clustertop-20260921T141322.450Z.csv");
  std::ifstream in(dir_ / files()[0]);
  std::string header, row;
  std::getline(in, header);
  while (std::getline(in, row) && row.find(",mac2,") == std::string::npos) {
  }
  const auto cell = [&](std::string_view name) -> std::string {
    const auto names = split(header, ',');
    const auto cells = split(row, ',');
    for (std::size_t i = 0; i < names.size() && i < cells.size(); ++i)
      if (names[i] == name) return std::string(cells[i]);
    return "missing";
  };
  EXPECT_EQ(cell("fence_wait_ms"), "500") << header << "\n" << row;
  EXPECT_EQ(cell("fence_wait_max_ms"), "500") << header << "\n" << row;
  EXPECT_EQ(cell("alerts"), "fence_wait_stall(warning)") << header << "\n" << row;
}

} // namespace
} // namespace clustertop
