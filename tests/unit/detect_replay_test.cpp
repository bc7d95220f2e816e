#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>

#include <map>
#include <sys/stat.h>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/sink/recorder.hpp"
#include "clustertop/transport/replay.hpp"
#include "collect_test_util.hpp"
#include "detect_test_util.hpp"

namespace clustertop {
namespace {

TimePoint t0() { return from_epoch_seconds(1'771'869'621.0); } // 2026-02-23T18:00:21Z

// Records every transition (the real sinks are tested elsewhere).
struct Collect : Sink {
  std::vector<AlertTransition> seen;
  int ticks = 0;
  void on_transition(const AlertTransition &t, const TickContext &) override { seen.push_back(t); }
  void on_tick(const TickContext &) override { ++ticks; }
};

TEST(DetectPipeline, AlertFiresInTheSameCallAsItsLine) {
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  p.process({LineBatch{"mbp", "log:x", t0(), {"all good"}}}, t0());
  EXPECT_TRUE(sink.seen.empty());
  const auto t1 = t0() + std::chrono::seconds(1);
  p.process({LineBatch{"mbp", "log:x", t1, {"CRASH here"}}}, t1);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].finding.rule, "crash");
  EXPECT_EQ(sink.seen[0].at, t1);
  EXPECT_EQ(p.firing().size(), 1u);
  EXPECT_EQ(p.new_events().size(), 1u);
  p.tick(t1 + std::chrono::seconds(400)); // crash hold is 300 s
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[1].state, AlertState::resolved);
  EXPECT_EQ(sink.ticks, 1);
}

// After clustertop was stopped (Ctrl-Z, SIGSTOP), what the nodes sent meanwhile is still on
// its way: a crash line held back is judged once the hold ends, and nothing is judged during
// it (a stall of the stop's length fired the moment it resumed). Ticks still reach sinks.
TEST(DetectPipeline, HeldAlertsAreJudgedWhenTheHoldEnds) {
  using std::chrono::seconds;
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  p.hold_alerts_until(t0(), t0() + seconds(3));
  p.process({LineBatch{"mbp", "log:x", t0(), {"CRASH here"}}}, t0());
  p.tick(t0() + seconds(1));
  EXPECT_TRUE(sink.seen.empty());
  EXPECT_EQ(sink.ticks, 1);
  p.tick(t0() + seconds(3));
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].finding.rule, "crash");
}

// A firing alert's figures are the latest: the dashboard's tile and the exports showed the
// message the alert fired with ("1.5 GiB available") while memory kept falling.
TEST(DetectPipeline, AFiringAlertCarriesItsLatestMessage) {
  using std::chrono::seconds;
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  for (int i = 0; i <= 12; ++i) {
    store.add({"mbp", "mem.available_bytes", "", 1.5 * kGiB, t0() + seconds(i)});
    p.tick(t0() + seconds(i));
  }
  ASSERT_EQ(p.firing().size(), 1u);
  EXPECT_NE(p.firing()[0].message.find("1.5 GiB"), std::string::npos) << p.firing()[0].message;
  store.add({"mbp", "mem.available_bytes", "", 1.0 * kGiB, t0() + seconds(13)});
  p.tick(t0() + seconds(13)); // still a warning: no transition
  ASSERT_EQ(p.firing().size(), 1u);
  EXPECT_NE(p.firing()[0].message.find("1.0 GiB"), std::string::npos) << p.firing()[0].message;
}

// A node that stays unreachable while its transport retries (connecting, down, connecting,
// ...) raises one node_down: pending at the first failure, firing after `for`, never
// resolved until it is up. Each retry's `connecting` had cleared it: a PENDING per retry.
TEST(DetectPipeline, RetriesOfANodeThatStaysDownRaiseOneAlert) {
  using std::chrono::seconds;
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  for (int i = 0; i < 12; ++i) {
    const TimePoint t = t0() + seconds(i);
    const NodeState s = i % 2 == 0 ? NodeState::down : NodeState::connecting;
    p.process({NodeStatus{"mac2", "", s, i % 2 == 0 ? "connection refused" : "", t}}, t);
    p.tick(t);
    EXPECT_EQ(store.node("mac2")->state, NodeState::down) << i;
  }
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[0].state, AlertState::pending);
  EXPECT_EQ(sink.seen[1].state, AlertState::firing);
  EXPECT_EQ(sink.seen[1].at, t0() + seconds(5));
  EXPECT_EQ(store.node("mac2")->since, t0()); // unreachable since the first failure
  EXPECT_EQ(store.node("mac2")->detail, "connection refused");
  p.process({NodeStatus{"mac2", "", NodeState::up, "connected", t0() + seconds(12)}},
            t0() + seconds(12));
  EXPECT_EQ(store.node("mac2")->state, NodeState::up);
}

TEST(DetectPipeline, NodeStatusReachesStoreAndNodeDownFiresAfterFor) {
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  p.process({NodeStatus{"mac2", "", NodeState::down, "connection refused", t0()}}, t0());
  EXPECT_EQ(store.node("mac2")->state, NodeState::down);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].state, AlertState::pending);
  p.tick(t0() + std::chrono::seconds(5));
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[1].state, AlertState::firing);
  EXPECT_EQ(sink.seen[1].first_seen, t0());
}

TEST(DetectRecorder, RoundTripsHostileLinesAndStatusesAndIgnoresATornTail) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_rec_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string hostile = std::string("a b\\c\td\r\x01 end\xff") + '\0' + "nul";
  {
    auto rec = Recorder::open(dir.string(), t0());
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    (*rec)->on_status(NodeStatus{"mac 1", "", NodeState::up, "", t0(), std::chrono::minutes{-330}});
    (*rec)->on_lines(LineBatch{"mac 1", "log:/tmp/my exo.log", t0(), {hostile, ""}});
    (*rec)->on_lines(LineBatch{
        "mac2", "meminfo", t0() + std::chrono::milliseconds(1500), {"MemAvailable: 1 kB"}});
    (*rec)->on_status(NodeStatus{"mac2", "", NodeState::down, "host key rejected",
                                 t0() + std::chrono::seconds(2)});
    std::ofstream((*rec)->path(), std::ios::app) << "L 123 0 torn, no newline";
  }
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 0u);
  auto first = src->take_next(); // status + batch at t0
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(std::get<NodeStatus>(first[0]).utc_offset, std::chrono::minutes{-330});
  const auto &batch = std::get<LineBatch>(first[1]);
  EXPECT_EQ(batch.node, "mac 1");
  EXPECT_EQ(batch.stream, "log:/tmp/my exo.log");
  ASSERT_EQ(batch.lines.size(), 2u);
  EXPECT_EQ(batch.lines[0], hostile);
  EXPECT_EQ(batch.lines[1], "");
  EXPECT_EQ(std::get<LineBatch>(src->take_next()[0]).received_at,
            t0() + std::chrono::milliseconds(1500));
  auto last = src->take_next();
  EXPECT_EQ(std::get<NodeStatus>(last[0]).detail, "host key rejected");
  EXPECT_FALSE(std::get<NodeStatus>(last[0]).utc_offset.has_value());
  EXPECT_TRUE(src->done());
  std::filesystem::remove_all(dir);
}

// A `Z` record belongs to the status just before it (same node, same time); any other is
// skipped and counted, and an offset outside the real zones is refused.
TEST(DetectRecorder, UtcOffsetRecordsAttachOnlyToTheirStatus) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_zrec_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.ctrec") << "#clustertop-recording 1 1000000\n"
                                 << "Z 1000000 mac1 -0500\n" // no status before it
                                 << "S 1000000 mac1 \\e up connected\n"
                                 << "Z 1000000 mac2 -0500\n" // another node's
                                 << "Z 1000001 mac1 -0500\n" // another time
                                 << "Z 1000000 mac1 -1500\n" // no such zone
                                 << "Z 1000000 mac1 -300\n"  // minutes, not the +hhmm form
                                 << "Z 1000000 mac1 +0545\n"
                                 << "S 2000000 mac1 \\e down gone\n";
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 5u);
  const auto first = src->take_next();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(std::get<NodeStatus>(first[0]).utc_offset, std::chrono::minutes{345});
  const auto second = src->take_next();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(std::get<NodeStatus>(second[0]).utc_offset.has_value());
  std::filesystem::remove_all(dir);
}

TEST(DetectReplay, ARecordingReplaysDrainByDrainWithTheLiveTimes) {
  // Three drains 20 and 40 ms apart, the crash in the second: replayed, the alert carries the
  // second drain's own time (a plain log would hand all three over in one 100 ms slice).
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_drains_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const TimePoint crash_at = t0() + std::chrono::milliseconds(20);
  {
    auto rec = Recorder::open(dir.string(), t0());
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    (*rec)->on_status(NodeStatus{"mac1", "", NodeState::up, "", t0()});
    (*rec)->on_lines(LineBatch{"mac1", "log:x", t0(), {"ok"}});
    (*rec)->on_lines(LineBatch{"mac1", "log:x", crash_at, {"CRASH here"}});
    (*rec)->on_lines(LineBatch{"mac1", "log:x", crash_at + std::chrono::milliseconds(40), {"ok"}});
  }
  Options o;
  o.replay_dir = dir.string();
  o.until = "0s";
  auto clock = replay_clock(o);
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->slice, Duration::zero());
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  run_replay(*src, p, *clock);
  ASSERT_FALSE(sink.seen.empty());
  EXPECT_EQ(sink.seen[0].finding.rule, "crash");
  EXPECT_EQ(sink.seen[0].at, crash_at);
  std::filesystem::remove_all(dir);
  Options logs;
  logs.replay_node_logs = {"mac1=x.log"};
  auto log_clock = replay_clock(logs);
  ASSERT_TRUE(log_clock.ok());
  EXPECT_EQ(log_clock->slice, std::chrono::milliseconds(100));
}

// A node whose logs write in another zone than its own (`log_zone`: a container logging UTC
// on a host in Berlin) is recorded as such (`G`), and the replay reads its lines in that zone:
// read in the node's zone, they lay an hour back (a false "no step for 3601 s") and a crash
// with them.
TEST(DetectReplay, ARecordingKeepsANodesLogZone) {
  test::TempDir dir;
  {
    auto rec = Recorder::open(dir.str(), t0());
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    (*rec)->log_zone("mac1", std::chrono::minutes{0}, t0());
    (*rec)->on_status(NodeStatus{"mac1", "", NodeState::up, "", t0(), std::chrono::minutes{60}});
    (*rec)->on_lines(LineBatch{"mac1", "log:x", t0(), {"ok"}});
    (*rec)->finish(t0() + std::chrono::seconds(1));
  }
  auto src = ReplaySource::from_recording(dir.str());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 0U);
  ASSERT_EQ(src->log_zones().size(), 1U);
  EXPECT_EQ(src->log_zones()[0].first, "mac1");
  EXPECT_EQ(src->log_zones()[0].second, std::chrono::minutes{0});
}

// Two nodes' exo step lines every 0.5 s for 30 s from `from`, recorded into `dir` (the file's
// E record when `finish`); the time the watch ended.
// Two nodes' steps every half second for 30 s, recorded as a live run records them (a drain
// mark after each), from `first_step_after` past the nodes' `up` (ticks meanwhile); then
// `quiet` of ticks without a step; an E record when `finish`, `end_after` past the last tick.
// Returns the last record's time.
TimePoint record_steps(const std::filesystem::path &dir, TimePoint from, bool finish,
                       Duration first_step_after = Duration::zero(),
                       Duration quiet = Duration::zero(), Duration end_after = Duration::zero()) {
  auto rec = Recorder::open(dir.string(), from);
  EXPECT_TRUE(rec.ok()) << rec.error().message();
  TimePoint t = from + first_step_after;
  if (!rec.ok()) return t;
  for (const char *node : {"mac1", "mac2"})
    (*rec)->on_status(NodeStatus{node, "", NodeState::up, "", from});
  Store none;
  const std::vector<Finding> firing;
  for (TimePoint k = from + std::chrono::seconds(1); k < t; k += std::chrono::seconds(1))
    (*rec)->on_tick(TickContext{none, firing, k}); // the watch ticks while it waits
  for (int i = 0; i < 60; ++i, t += std::chrono::milliseconds(500)) {
    for (const char *node : {"mac1", "mac2"})
      (*rec)->on_lines(LineBatch{
          node,
          "log:/tmp/exo.log",
          t,
          {fmt::format("[STEP {}] eval=36ms model=30ms gpu_eval=0.5ms fence_wait=0.8ms", i)}});
    (*rec)->on_drained(t);
  }
  for (Duration q = std::chrono::seconds(1); q <= quiet; q += std::chrono::seconds(1))
    (*rec)->on_tick(TickContext{none, firing, t + q});
  t += quiet + end_after;
  if (finish) (*rec)->finish(t);
  return t;
}

// A replay of the recording `src` through the shipped collectors and the default rules and
// a recording's clock (`until`: --until).
struct Replayed {
  std::vector<AlertTransition> seen;
  ReplayEnd end;
  std::map<std::string, NodeState> states; // each node's at the end
};
Replayed replay_shipped(ReplaySource &src, const std::string &until = "") {
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({}, warnings);
  EXPECT_TRUE(set.ok()) << set.error().message();
  if (!set.ok()) return {};
  Ingest ingest(*set);
  Store store;
  Pipeline p(store, ingest_handler(ingest), Rules{});
  Collect sink;
  p.add_sink(sink);
  Options o;
  o.replay_dir = "recording"; // its clock: every recorded drain on its own
  o.until = until;
  auto clock = replay_clock(o);
  EXPECT_TRUE(clock.ok());
  Replayed out{{}, run_replay(src, p, *clock), {}};
  out.seen = sink.seen;
  for (const auto &node : store.nodes()) out.states[node] = store.node(node)->state;
  return out;
}

// A recording of a healthy run, stopped cleanly, replayed: the clock ran five minutes past
// its last line, and the watch's end read as every node's hang (a critical step_stall per
// node and a cluster_stall naming one at random). The recorder now ends the file with an `E`
// record and the replay stops there; a file without one (the watch was killed) still runs
// past its end, with a warning.
TEST(DetectReplay, ARecordingEndsWhereItsWatchEnded) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_end_" + std::to_string(::getpid()));
  for (const bool finished : {true, false}) {
    std::filesystem::remove_all(dir);
    const TimePoint t = record_steps(dir, t0(), finished);
    auto src = ReplaySource::from_recording(dir.string());
    ASSERT_TRUE(src.ok()) << src.error().message();
    EXPECT_EQ(src->ended().has_value(), finished);
    EXPECT_EQ(src->warnings().size(), finished ? 0u : 1u);
    const Replayed r = replay_shipped(*src);
    std::size_t stalls = 0;
    for (const auto &tr : r.seen) stalls += tr.finding.rule == "step_stall";
    if (finished) {
      EXPECT_EQ(stalls, 0u) << "the watch ended, not the cluster";
      EXPECT_EQ(r.end.at, t);
    } else {
      EXPECT_EQ(stalls, 2u) << "no end record: ticked on past the last line";
    }
  }
  std::filesystem::remove_all(dir);
}

// The live run judged last at a tick 24 s after the last steps and was stopped 1.5 s later,
// past the 25 s its stall needed (50 step intervals): it printed no stall. The replay ticked
// once more at the E record, and fired a step_stall the live run never printed (and
// judged where the live run had not, against "a recording is judged where its live run
// judged"). Past the last mark nothing is judged before the end; with --until the clock
// ticks on past it (its nodes not watched from the end), and the stalls due before the end
// are judged.
TEST(DetectReplay, NothingIsJudgedBetweenTheLastMarkAndTheWatchsEnd) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("clustertop_lastmark_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const TimePoint end = record_steps(dir, t0(), true, Duration::zero(), std::chrono::seconds(24),
                                     std::chrono::milliseconds(1500));
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  const Replayed r = replay_shipped(*src);
  for (const auto &tr : r.seen) ADD_FAILURE() << tr.finding.rule << " " << tr.finding.message;
  EXPECT_EQ(r.end.at, end);

  auto past = ReplaySource::from_recording(dir.string(), true);
  ASSERT_TRUE(past.ok()) << past.error().message();
  const Replayed on = replay_shipped(*past, "1m");
  std::size_t stalls = 0;
  for (const auto &tr : on.seen) stalls += tr.finding.rule == "step_stall";
  EXPECT_EQ(stalls, 2u) << "--until ticks on past the end: the stalls due before it are judged";
  EXPECT_EQ(on.states.at("mac1"), NodeState::connecting) << "not watched past the end";
  EXPECT_EQ(r.states.at("mac1"), NodeState::up) << "as the live run left it";
  std::filesystem::remove_all(dir);
}

// A watch restarted into the same --record directory: two files, the first ended with its E
// record. Nobody watched between the two, and that gap read as a 25-minute hang, the first
// watch's last node named as the culprit.
TEST(DetectReplay, TheGapBetweenTwoWatchesOfADirectoryIsNoHang) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_gap_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  record_steps(dir, t0(), true);
  record_steps(dir, t0() + std::chrono::minutes(25), true);
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  for (const auto &tr : replay_shipped(*src).seen)
    EXPECT_TRUE(tr.finding.rule != "step_stall" && tr.finding.rule != "cluster_stall" &&
                tr.finding.rule != "node_down")
        << tr.finding.rule << " " << tr.finding.node << ": " << tr.finding.message;
  std::filesystem::remove_all(dir);
}

// A hang across a restart of the recording watch: the first watch saw every node stop, the
// next one (no read-back) hears from the nodes but no step. The hang's alerts stay firing
// through the directory's replay; a version that ignored steps from before the restart
// resolved them a few seconds into the next watch, as if the hang had cleared.
TEST(DetectReplay, AHangAcrossARestartOfTheWatchStaysFiring) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_hang2_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  using std::chrono::seconds;
  const TimePoint last = record_steps(dir, t0(), true, seconds(0), seconds(60)); // then hung
  record_steps(dir, last + seconds(10), true, seconds(120)); // up, no step for 2 minutes
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> seen;
  for (const auto &tr : replay_shipped(*src).seen)
    if (tr.at < last + seconds(125))
      seen.push_back(
          fmt::format("{} {} {}", to_string(tr.state), tr.finding.rule, tr.finding.node));
  EXPECT_NE(std::find(seen.begin(), seen.end(), "firing step_stall mac1"), seen.end())
      << fmt::format("{}", fmt::join(seen, "\n"));
  EXPECT_EQ(std::find(seen.begin(), seen.end(), "resolved step_stall mac1"), seen.end())
      << fmt::format("{}", fmt::join(seen, "\n"));
  std::filesystem::remove_all(dir);
}

// A live run, as its main loop drives the pipeline, recorded: a drain every half second and
// a tick every second; a log's rotation (its stream down and up again 6 µs apart, taken in
// one drain); clustertop stopped for 35 s (Ctrl-Z), then its backlog and a 3 s hold; a crash
// line; the nodes' last steps and ticks on to the end. Its replay judges where the live run
// did and gives the same transitions at the same times. Judged at every arrival time and on
// its own ticks, the replay raised the rotation's stream_down and a stall of every node
// for the stop, critical, which the live run never printed.
TEST(DetectReplay, ARecordingReplaysToTheLiveRunsAlerts) {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_marks_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({}, warnings);
  ASSERT_TRUE(set.ok()) << set.error().message();
  const auto at = [](double s) { return t0() + microseconds(static_cast<long long>(s * 1e6)); };
  Collect live;
  {
    Ingest ingest(*set);
    Store store;
    Pipeline p(store, ingest_handler(ingest), Rules{});
    auto rec = Recorder::open(dir.string(), t0());
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    p.add_sink(**rec);
    p.add_sink(live);
    const std::string log = "log:/tmp/exo.log";
    const auto up = [&](double t, const std::string &stream, NodeState state) {
      return Event{NodeStatus{"mac1", stream, state, "", at(t)}};
    };
    p.process({up(0, "", NodeState::up), up(0.000001, log, NodeState::up)}, at(0.001));
    int step = 0;
    const auto steps = [&](double t) {
      std::vector<Event> out;
      out.push_back(LineBatch{
          "mac1",
          log,
          at(t),
          {fmt::format("[STEP {}] eval=36ms model=30ms gpu_eval=0.5ms fence_wait=0.8ms", step++)}});
      return out;
    };
    const auto run = [&](double from, double to) { // drains and ticks as the loop makes them
      for (double t = from; t < to; t += 0.5) {
        p.process(steps(t), at(t + 0.002));
        if (static_cast<long long>(t * 2) % 2 == 1) p.tick(at(t + 0.003));
      }
    };
    run(1, 20);
    auto rotation = steps(20);
    rotation.push_back(up(20.000010, log, NodeState::down));
    rotation.push_back(up(20.000016, log, NodeState::up));
    p.process(rotation, at(20.002));
    run(20.5, 30);
    // Stopped from 30 s to 65 s: then the backlog arrives (stamped as it is read) and the
    // alerts are held for 3 s while it does.
    p.hold_alerts_until(at(65), at(68));
    for (double t = 30; t < 65; t += 0.5) p.process(steps(65), at(65.002));
    p.tick(at(65.003));
    run(65.5, 80);
    p.process(
        {LineBatch{"mac1", log, at(80), {"libc++abi: terminating due to uncaught exception"}}},
        at(80.002));
    for (double t = 80.5; t < 130; t += 1) p.tick(at(t)); // no step since
    (*rec)->finish(at(130));
  }
  ASSERT_FALSE(live.seen.empty());
  for (const auto &tr : live.seen)
    EXPECT_TRUE(tr.finding.rule == "crash")
        << "the live run: " << tr.finding.rule << " " << tr.finding.message;
  auto src = ReplaySource::from_recording(dir.string());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_FALSE(src->marks().empty());
  const auto replayed = replay_shipped(*src).seen;
  const auto said = [](const std::vector<AlertTransition> &all) {
    std::vector<std::string> out;
    for (const auto &tr : all)
      out.push_back(fmt::format("{} {} {} {}", iso8601_utc(tr.at), to_string(tr.state),
                                tr.finding.rule, tr.finding.subject));
    return out;
  };
  EXPECT_EQ(said(replayed), said(live.seen));
  std::filesystem::remove_all(dir);
}

// --exit-on: the replay ends at the step whose alert made `halt` true. At --speed max it was
// asked every 256 steps, and a later transition (the alert's RESOLVED) was printed, and its
// hook run, before the exit.
TEST(DetectReplay, HaltEndsTheReplayAtTheStepThatMadeItTrue) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_halt_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream log(dir / "a.log");
    log << "2026-02-23 18:00:00.000 ok\n2026-02-23 18:00:01.000 CRASH here\n";
    for (int s = 2; s < 600; s += 2)
      log << fmt::format("2026-02-23 18:{:02}:{:02}.000 ok\n", s / 60, s % 60);
  }
  for (const bool halting : {true, false}) {
    auto src = ReplaySource::from_logs({"a=" + (dir / "a.log").string()});
    ASSERT_TRUE(src.ok()) << src.error().message();
    Store store;
    Rules rules;
    rules.crash.hold = std::chrono::seconds(5); // resolved within the 256 steps between asks
    Pipeline p(store, test::crash_parser, rules);
    Collect sink;
    p.add_sink(sink);
    auto clock = replay_clock(Options{});
    ASSERT_TRUE(clock.ok());
    const auto fired = [&] { return !sink.seen.empty(); };
    const ReplayEnd end =
        run_replay(*src, p, *clock, {}, halting ? fired : std::function<bool()>{});
    ASSERT_FALSE(sink.seen.empty());
    if (halting) {
      EXPECT_EQ(sink.seen.size(), 1u) << "only the alert that halted it";
      EXPECT_TRUE(end.stopped);
      EXPECT_LT(end.at, from_epoch_seconds(1'771'869'600.0 + 10)) << iso8601_utc(end.at);
    } else {
      EXPECT_EQ(sink.seen.back().state, AlertState::resolved) << "ran to the end";
    }
  }
  std::filesystem::remove_all(dir);
}

// A tiny --speed is a very slow replay, not a full-speed one (a second of log at 1e-10 is
// 1e19 ns of waiting, past the clock's int64): after 300 ms the crash 2 s into the log has
// not been replayed.
TEST(DetectReplay, ATinySpeedIsSlowNotFast) {
  const TimePoint crash_at = t0() + std::chrono::seconds(2);
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_slow_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto rec = Recorder::open(dir.string(), t0());
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    (*rec)->on_status(NodeStatus{"mac1", "", NodeState::up, "", t0()});
    (*rec)->on_lines(LineBatch{"mac1", "log:x", crash_at, {"CRASH here"}});
  }
  auto src = ReplaySource::from_recording(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(src.ok()) << src.error().message();
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Collect sink;
  p.add_sink(sink);
  ReplayClock clock;
  clock.speed = 1e-10;
  clock.tick = std::chrono::seconds(1);
  const auto started = std::chrono::steady_clock::now();
  const auto end = run_replay(*src, p, clock, [&] {
    return std::chrono::steady_clock::now() - started > std::chrono::milliseconds(300);
  });
  EXPECT_TRUE(end.stopped);
  EXPECT_TRUE(sink.seen.empty()) << "replayed at full speed";
}

// A file that is no recording, or one of another format, is said so (a plain log renamed
// *.ctrec was "an empty recording"; format 99 was read as format 1).
TEST(DetectReplay, ARecordingHeaderIsChecked) {
  const test::TempDir dir;
  std::ofstream(dir.path() / "a.ctrec")
      << "[ 2026-12-06 07:00:00.000 | INFO | x:y:1 ] a plain log\n";
  auto plain = ReplaySource::from_recording(dir.str());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().what, "not a recording");
  std::ofstream(dir.path() / "a.ctrec") << "#clustertop-recording 99 1790000000000000\n";
  auto later = ReplaySource::from_recording(dir.str());
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().what.find("format this clustertop does not read"), std::string::npos);
}

// A time too large for the clock is a malformed record, skipped and counted: 19 digits threw
// out of stoll (the replay ended in std::terminate), and one past 2262 overflowed the clock.
TEST(DetectReplay, ARecordingTimePastTheClockIsSkipped) {
  const test::TempDir dir;
  std::ofstream(dir.path() / "a.ctrec") << "#clustertop-recording 1 1790000000000000\n"
                                        << "S 9999999999999999999 mac1 \\e up connected\n"
                                        << "S 17900000001000000 mac1 \\e up connected\n"
                                        << "D 1 mac1 log:x\n"
                                        << "L 7258118400000000 1 2200-01-01\n"
                                        << "L 7258118399999999 1 2199-12-31\n";
  auto src = ReplaySource::from_recording(dir.str());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 3u);
  const auto events = src->take_next();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<LineBatch>(events[0]).lines, std::vector<std::string>{"2199-12-31"});
  EXPECT_TRUE(src->done());
}

// Damaged marks are counted and skipped: a hold ending before it starts or lasting past a
// minute (one of ten minutes hid every alert after it without a word), a mark past its
// watch's end (the clock ran an hour past the end for one), a mark that is not a time.
TEST(DetectReplay, DamagedMarksAreSkipped) {
  const test::TempDir dir;
  std::ofstream(dir.path() / "a.ctrec") << "#clustertop-recording 2 1790000000000000\n"
                                        << "S 1790000000000000 mac1 \\e up connected\n"
                                        << "T 1790000000001000\n"
                                        << "H 1790000001000000 1790000004000000\n" // 3 s: kept
                                        << "H 1790000002000000 1790000001000000\n" // ends first
                                        << "H 1790000002000000 1790000602000000\n" // 10 min
                                        << "K 1790000003000000\n"
                                        << "T soon\n"
                                        << "K 1790003600000000\n" // past its end
                                        << "E 1790000010000000\n";
  auto src = ReplaySource::from_recording(dir.str());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 4u);
  // Where and why, once a file: a count alone left the reader guessing.
  ASSERT_EQ(src->warnings().size(), 1u);
  EXPECT_NE(src->warnings()[0].find("a.ctrec: 3 malformed records skipped, the first at line 5: a "
                                    "hold that ends before it starts"),
            std::string::npos)
      << src->warnings()[0];
  ASSERT_EQ(src->marks().size(), 3u);
  EXPECT_EQ(src->marks()[1].kind, ReplaySource::Mark::Kind::hold);
  EXPECT_EQ(src->marks()[2].kind, ReplaySource::Mark::Kind::tick);
}

// A line of a stream no D record defines: said with its line and why (a missing D record
// was every line of a node's log, counted and nothing more).
TEST(DetectReplay, AMalformedRecordIsNamedWithItsLine) {
  const test::TempDir dir;
  std::ofstream(dir.path() / "a.ctrec") << "#clustertop-recording 2 1790000000000000\n"
                                        << "S 1790000000000000 mac1 \\e up connected\n"
                                        << "L 1790000000100000 7 [STEP 1] eval=36ms\n"
                                        << "L 1790000000200000 7 [STEP 2] eval=36ms\n";
  auto src = ReplaySource::from_recording(dir.str());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 2u);
  bool said = false;
  for (const auto &w : src->warnings())
    said = said || w.find("2 malformed records skipped, the first at line 3: a line of stream "
                          "7, which no D record before it defines") != std::string::npos;
  EXPECT_TRUE(said) << fmt::format("{}", fmt::join(src->warnings(), "\n"));
}

// A `B` record says how many of a stream's next lines were read back at a reconnect: they
// are the first lines of their batch; live lines of the same arrival come after them. A
// count that is no number is said and skipped.
TEST(DetectReplay, ReadBackLinesAreKeptAsTheFirstOfTheirBatch) {
  const test::TempDir dir;
  std::ofstream(dir.path() / "a.ctrec") << "#clustertop-recording 2 1790000000000000\n"
                                        << "D 7 mac1 log:/x.log\n"
                                        << "L 1790000000100000 7 live before\n"
                                        << "B 1790000000200000 7 2\n"
                                        << "L 1790000000200000 7 [STEP 1] eval=36ms\n"
                                        << "L 1790000000200000 7 [STEP 2] eval=36ms\n"
                                        << "L 1790000000200000 7 [STEP 3] eval=36ms\n"
                                        << "B 1790000000300000 7 two\n"
                                        << "L 1790000000300000 7 [STEP 4] eval=36ms\n";
  auto src = ReplaySource::from_recording(dir.str());
  ASSERT_TRUE(src.ok()) << src.error().message();
  EXPECT_EQ(src->skipped(), 1u);
  std::vector<std::pair<std::size_t, std::size_t>> batches; // lines, read back
  while (!src->done())
    for (auto &e : src->take_next())
      if (const auto *b = std::get_if<LineBatch>(&e))
        batches.emplace_back(b->lines.size(), b->backfilled);
  EXPECT_EQ(batches, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}, {3, 2}, {1, 0}}));
  bool said = false;
  for (const auto &w : src->warnings())
    said = said || w.find("a count of read-back lines that is not a number") != std::string::npos;
  EXPECT_TRUE(said) << fmt::format("{}", fmt::join(src->warnings(), "\n"));
}

TEST(DetectReplay, LineTimestampsOfCommonFormats) {
  const TimePoint day = from_epoch_seconds(1'771'804'800.0); // 2026-02-23T00:00:00Z
  // The line's time in ISO 8601, or "none".
  const auto stamp = [&](const std::string &line) {
    const auto t = line_time(line, 2026, day);
    return t ? iso8601_utc(*t) : std::string("none");
  };
  EXPECT_EQ(stamp("2026-02-23 18:07:01.250 | INFO | [STEP 1] eval=36ms"),
            "2026-02-23T18:07:01.250Z");
  EXPECT_EQ(stamp("[2026-02-23T18:07:01+01:00] x"), "2026-02-23T17:07:01.000Z");
  EXPECT_EQ(stamp("INFO 02-23 18:07:01 [loggers.py:116] Engine 000: Avg"),
            "2026-02-23T18:07:01.000Z");
  EXPECT_EQ(stamp("[ 06:07:01.5000PM | INFO ] ready"), "2026-02-23T18:07:01.500Z");
  EXPECT_EQ(stamp("eval=36ms model=7ms 12:345"), "none");
  EXPECT_EQ(stamp(""), "none");
  EXPECT_EQ(stamp("99:99:99 2026-13-45 10:00"), "none");
  // A year the nanosecond clock cannot hold is no year (it overflowed the clock before): the
  // scan goes on and reads the month, day and time after it, with the file's year.
  EXPECT_EQ(stamp("[ 5026-02-23 18:07:01.250 | INFO ] x"), "2026-02-23T18:07:01.250Z");
  EXPECT_EQ(stamp("2200-02-23 18:07:01.250 x"), "2200-02-23T18:07:01.250Z");
}

TEST(DetectReplay, PlainLogsMergeByTimeAndBadSpecsAreErrors) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_logs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.log") << "banner without time\n2026-02-23 18:00:01 a1\n"
                               << "continuation\n2026-02-23 18:00:03 a3\n";
  std::ofstream(dir / "b.log") << "2026-02-23 18:00:02 b2\n";
  std::ofstream(dir / "none.log") << "no time here\n";
  auto src =
      ReplaySource::from_logs({"a=" + (dir / "a.log").string(), "b=" + (dir / "b.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> order;
  while (!src->done())
    for (auto &ev : src->take_next())
      if (auto *b = std::get_if<LineBatch>(&ev))
        for (auto &l : b->lines) order.push_back(b->node + ":" + l);
  EXPECT_EQ(order, (std::vector<std::string>{"a:banner without time", "a:2026-02-23 18:00:01 a1",
                                             "a:continuation", "b:2026-02-23 18:00:02 b2",
                                             "a:2026-02-23 18:00:03 a3"}));
  // Its nodes in --node order, not by their first lines' times: the dashboard's config order.
  auto named =
      ReplaySource::from_logs({"b=" + (dir / "b.log").string(), "a=" + (dir / "a.log").string()});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->nodes(), (std::vector<std::string>{"b", "a"}));
  EXPECT_FALSE(ReplaySource::from_logs({"none=" + (dir / "none.log").string()}).ok());
  EXPECT_FALSE(ReplaySource::from_logs({"noequals"}).ok());
  EXPECT_FALSE(ReplaySource::from_logs({"x=/nonexistent/file"}).ok());
  const auto dir_error = ReplaySource::from_logs({"x=" + dir.string()});
  ASSERT_FALSE(dir_error.ok());
  EXPECT_NE(dir_error.error().message().find("it is a directory"), std::string::npos)
      << dir_error.error().message();
  std::filesystem::remove_all(dir);
}

// An empty log is passed over with a warning, not an error for the whole replay ("no
// timestamps", with advice about recordings, though it was a second log of one node); every
// log empty is "nothing to replay".
TEST(DetectReplay, AnEmptyLogIsPassedOverWithAWarning) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_empty_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.log") << "2026-02-23 18:00:01 a1\n";
  std::ofstream(dir / "empty.log").flush();
  const std::string a = "n=" + (dir / "a.log").string(),
                    empty = "n=" + (dir / "empty.log").string();
  auto src = ReplaySource::from_logs({a, empty});
  ASSERT_TRUE(src.ok()) << src.error().message();
  ASSERT_EQ(src->warnings().size(), 1u);
  EXPECT_EQ(src->warnings()[0], (dir / "empty.log").string() + ": the log is empty; nothing "
                                                               "replayed from it");
  EXPECT_EQ(src->nodes(), std::vector<std::string>{"n"});
  std::vector<std::string> lines;
  while (!src->done())
    for (auto &ev : src->take_next())
      if (auto *b = std::get_if<LineBatch>(&ev))
        for (auto &l : b->lines) lines.push_back(l);
  EXPECT_EQ(lines, std::vector<std::string>{"2026-02-23 18:00:01 a1"});
  const auto none = ReplaySource::from_logs({empty, "m=" + (dir / "empty.log").string()});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("nothing to replay: every log given is empty"),
            std::string::npos)
      << none.error().message();
  std::filesystem::remove_all(dir);
}

// --zone: times without a zone are at the given offset (exo writes local time), in the
// reader's arrival times and, through the node's `up` status, in the parsers' record times;
// a stamp that carries its zone keeps it.
TEST(DetectReplay, ZoneLessTimesAreReadAtTheGivenOffset) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_zone_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.log") << "2026-02-23 18:00:01.250 local\n"
                               << "2026-02-23 18:00:01.500 local again\n"
                               << "2026-02-23T17:30:02Z zoned\n"
                               << "2026-02-23T18:40:03+01:00 offset\n"
                               << "18:50:04 bare\n";
  auto src = ReplaySource::from_logs({"a=" + (dir / "a.log").string()}, std::chrono::minutes{60});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> arrivals;
  std::optional<std::chrono::minutes> offset;
  while (!src->done())
    for (auto &ev : src->take_next()) {
      if (auto *b = std::get_if<LineBatch>(&ev))
        arrivals.push_back(iso8601_utc(b->received_at) + " " + b->lines.front());
      if (auto *st = std::get_if<NodeStatus>(&ev)) offset = st->utc_offset;
    }
  EXPECT_EQ(offset, std::chrono::minutes{60});
  // The bare time is dated from the file's day, whatever it is; its clock is at +0100 too.
  ASSERT_EQ(arrivals.size(), 5u);
  EXPECT_EQ(arrivals[0], "2026-02-23T17:00:01.250Z 2026-02-23 18:00:01.250 local");
  EXPECT_EQ(arrivals[1], "2026-02-23T17:00:01.500Z 2026-02-23 18:00:01.500 local again");
  EXPECT_EQ(arrivals[2], "2026-02-23T17:30:02.000Z 2026-02-23T17:30:02Z zoned");
  EXPECT_EQ(arrivals[3], "2026-02-23T17:40:03.000Z 2026-02-23T18:40:03+01:00 offset");
  EXPECT_EQ(arrivals[4].substr(10), "T17:50:04.000Z 18:50:04 bare");
  std::filesystem::remove_all(dir);
}

// A log of bare times of day (exo's console) that ended just after midnight: its lines are
// dated so that the first falls before the file's modification time, and the rest follow
// it across midnight (dated by the modification day, they came a day late).
TEST(DetectReplay, BareTimesOfDayEndBeforeTheFileWasModified) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_bare_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto log = (dir / "console.log").string();
  std::ofstream(log) << "[ 11:58:00.0000PM | INFO    ] a\n"
                     << "[ 11:59:59.5000PM | INFO    ] b\n"
                     << "[ 12:00:30.0000AM | INFO    ] c\n"
                     << "[ 12:04:00.0000AM | INFO    ] d\n";
  const timespec modified{1774742700, 0}; // 2026-03-29T00:05:00Z
  const timespec times[2] = {modified, modified};
  ASSERT_EQ(::utimensat(AT_FDCWD, log.c_str(), times, 0), 0);
  auto src = ReplaySource::from_logs({"a=" + log});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> arrivals;
  while (!src->done())
    for (auto &ev : src->take_next())
      if (auto *b = std::get_if<LineBatch>(&ev)) arrivals.push_back(iso8601_utc(b->received_at));
  EXPECT_EQ(arrivals,
            (std::vector<std::string>{"2026-03-28T23:58:00.000Z", "2026-03-28T23:59:59.500Z",
                                      "2026-03-29T00:00:30.000Z", "2026-03-29T00:04:00.000Z"}));
  std::filesystem::remove_all(dir);
}

// The arrival times of a --node log written with these lines and modified at `modified`.
std::vector<std::string> arrivals_of(const std::string &text, std::time_t modified,
                                     std::size_t *late = nullptr) {
  test::TempDir dir;
  dir.write("a.log", text);
  const auto log = dir.path() / "a.log";
  const timespec times[2] = {{modified, 0}, {modified, 0}};
  EXPECT_EQ(::utimensat(AT_FDCWD, log.c_str(), times, 0), 0);
  auto src = ReplaySource::from_logs({"a=" + log.string()});
  EXPECT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> out;
  if (!src.ok()) return out;
  while (!src->done())
    for (auto &ev : src->take_next())
      if (auto *b = std::get_if<LineBatch>(&ev))
        for (const auto &l : b->lines) out.push_back(iso8601_utc(b->received_at) + " " + l);
  if (late != nullptr) *late = src->log_counts().late_stamps;
  return out;
}

// vLLM's stamps have a month and day but no year: the first is put in the last year that has
// it before the file was modified, the rest in the year nearest the line before. A log across
// New Year, modified on New Year's Day, put its December lines in the coming December.
TEST(DetectReplay, MonthAndDayStampsCrossNewYearBeforeTheFileWasModified) {
  const std::string lines = "INFO 12-31 23:59:58 [loggers.py:118] a\n"
                            "INFO 01-01 00:00:02 [loggers.py:118] b\n";
  EXPECT_EQ(arrivals_of(lines, 1798761900), // 2027-01-01T00:05:00Z
            (std::vector<std::string>{
                "2026-12-31T23:59:58.000Z INFO 12-31 23:59:58 [loggers.py:118] a",
                "2027-01-01T00:00:02.000Z INFO 01-01 00:00:02 [loggers.py:118] b"}));
  // Modified in June: December was the year before.
  const auto june = arrivals_of("INFO 12-31 23:59:58 x\n", 1780272000); // 2026-06-01
  ASSERT_EQ(june.size(), 1U);
  EXPECT_EQ(june[0].substr(0, 24), "2025-12-31T23:59:58.000Z");
}

// A console log (times of day only) idle overnight: the morning's lines are of the next day,
// not of the morning before the evening (the nearest day, 10.5 h back). A line an hour out
// of order stays on its day.
TEST(DetectReplay, BareTimesOfDayAfterAnIdleNightAreOfTheNextDay) {
  const auto got = arrivals_of("[ 10:00:00.0000PM | INFO    ] evening\n"
                               "[ 09:30:00.0000PM | INFO    ] late line\n"
                               "[ 11:30:00.0000AM | INFO    ] morning\n",
                               1771932670); // 2026-02-24T11:31:10Z
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].substr(0, 24), "2026-02-23T22:00:00.000Z");
  EXPECT_EQ(got[1].substr(0, 24), "2026-02-23T22:00:00.000Z") << "no rewind";
  EXPECT_EQ(got[2].substr(0, 24), "2026-02-24T11:30:00.000Z");
}

// A stamp later than the file's modification time allows is no time its line was written (a
// broken clock's 2099): the line takes the time before it and is counted. It moved the whole
// replay to 2099 and held every later line back: a false stall, and a crash too old to count.
TEST(DetectReplay, AStampAfterTheFileWasModifiedTakesTheTimeBeforeIt) {
  std::size_t late = 0;
  const auto got = arrivals_of("2026-02-23T10:00:00Z a\n"
                               "2099-02-23T10:01:00.000Z garbage\n"
                               "2026-02-23T10:00:01Z b\n",
                               1771851600, &late); // 2026-02-23T13:00:00Z
  EXPECT_EQ(got,
            (std::vector<std::string>{"2026-02-23T10:00:00.000Z 2026-02-23T10:00:00Z a",
                                      "2026-02-23T10:00:00.000Z 2099-02-23T10:01:00.000Z garbage",
                                      "2026-02-23T10:00:01.000Z 2026-02-23T10:00:01Z b"}));
  EXPECT_EQ(late, 1U);
  // Up to kLatestStamp past it is still a time: a zone read as UTC, a clock a little ahead.
  const auto ahead = arrivals_of("2026-02-24T03:59:00Z a\n", 1771851600, &late);
  ASSERT_EQ(ahead.size(), 1U);
  EXPECT_EQ(ahead[0].substr(0, 24), "2026-02-24T03:59:00.000Z");
  EXPECT_EQ(late, 0U);
  // A log's days whose file was given the time of its first (touch -d): each line follows
  // the one before within days, so each is when it was written; the days were folded onto
  // the first, and a crash on the third was dated on the first.
  const auto days = arrivals_of("2026-02-20T10:00:00Z a\n2026-02-21T10:00:00Z b\n"
                                "2026-02-22T10:01:00Z c\n",
                                1771581600, &late); // 2026-02-20T10:00:00Z
  ASSERT_EQ(days.size(), 3U);
  EXPECT_EQ(days[2].substr(0, 24), "2026-02-22T10:01:00.000Z");
  EXPECT_EQ(late, 0U);
}

TEST(DetectReplay, ClockRunsPastTheLastLineAndOptionsAreChecked) {
  Options o;
  o.until = "2m";
  auto c = replay_clock(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tail, std::chrono::minutes(2));
  EXPECT_EQ(c->speed, 0);
  o.speed = "fast";
  EXPECT_FALSE(replay_clock(o).ok());
  o.speed = "max";
  o.until = "soon";
  EXPECT_FALSE(replay_clock(o).ok());
}

// The NUL hole a copytruncate rotation leaves before the writer's next line is no part of
// that line (see LineSplitter): replayed, the crash line after it is read whole.
TEST(DetectReplay, NulsBeforeALinesTextAreDropped) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_nul_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string text = "2026-02-23 18:00:02 libc++abi: terminating";
  std::ofstream(dir / "a.log") << "2026-02-23 18:00:01 first\n"
                               << std::string(2 * 1024 * 1024 + 7, '\0') << text << "\n";
  auto src = ReplaySource::from_logs({"a=" + (dir / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> lines;
  while (!src->done())
    for (auto &ev : src->take_next())
      if (auto *b = std::get_if<LineBatch>(&ev))
        for (auto &l : b->lines) lines.push_back(l);
  EXPECT_EQ(lines, (std::vector<std::string>{"2026-02-23 18:00:01 first", text}));
  std::filesystem::remove_all(dir);
}

// `-i 1us` spun a core for hours of wall time on a five-minute recording: a replay's tick
// has the live run's floor.
TEST(DetectReplay, ATickHasTheLiveRunsFloor) {
  Options o;
  o.interval = std::chrono::microseconds(1);
  auto c = replay_clock(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tick, kMinTick);
  o.interval = std::chrono::seconds(2);
  EXPECT_EQ(replay_clock(o)->tick, std::chrono::seconds(2));
}

// A FIFO with no writer blocked the open, /dev/zero was read for ever in search of a first
// time, both deaf to SIGINT and SIGTERM; a node name with control characters went to the
// terminal as it was. Each is refused at once, saying why.
TEST(DetectReplay, OnlyRegularFilesAndPrintableNamesAreReplayed) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_fifo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string &path : {fifo, std::string("/dev/zero")}) {
    const auto r = ReplaySource::from_logs({"n=" + path});
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_NE(r.error().message().find("not a regular file"), std::string::npos)
        << r.error().message();
  }
  std::ofstream(dir / "a.log") << "2026-02-23 18:00:01 a1\n";
  const auto named = ReplaySource::from_logs({"n\x1b[2J=" + (dir / "a.log").string()});
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().what, "invalid --node");
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace clustertop
