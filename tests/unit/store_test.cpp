#include <cmath>
#include <gtest/gtest.h>

#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

TEST(Store, RingPerSeriesWithFixedMemoryAndNaNForUnknown) {
  Store store(StoreLimits{3, 10, 10});
  const auto t0 = from_epoch_seconds(1000);
  for (int i = 0; i < 5; ++i)
    store.add(Sample{"mac1", "gpu.power_w", "0", i * 10.0, t0 + std::chrono::seconds(i)});
  const auto *s = store.series({"mac1", "gpu.power_w", "0"});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->size(), 3u);
  EXPECT_DOUBLE_EQ((*s)[0].value, 20.0);
  EXPECT_DOUBLE_EQ(store.latest({"mac1", "gpu.power_w", "0"}), 40.0);
  EXPECT_TRUE(std::isnan(store.latest({"mac1", "mem.available_bytes", ""})));
  EXPECT_TRUE(std::isnan(store.latest({"nosuch", "gpu.power_w", "0"})));
}

TEST(Store, DevicesListsEverySeriesOfAMetric) {
  Store store;
  const auto t = from_epoch_seconds(1);
  store.add(Sample{"a", "gpu.power_w", "0", 1, t});
  store.add(Sample{"a", "gpu.power_w", "1", 2, t});
  store.add(Sample{"a", "gpu.util_pct", "0", 3, t});
  store.add(Sample{"b", "gpu.power_w", "0", 4, t});
  auto d = store.devices("a", "gpu.power_w");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].first, "0");
  EXPECT_EQ(d[1].first, "1");
}

// A metric named by a node's output that reads as a credential is dropped and counted: a
// step line's `my_sk-AJ71…=5` was the metric `step.AJ71…`, its secret in every long CSV row.
TEST(Store, AMetricNamedLikeACredentialIsDropped) {
  Store store;
  const auto t = from_epoch_seconds(1);
  for (const char *metric :
       {"step.AJ71fTquWoGsbeKXgzg2sye9b2Rann76dEyTzAeKOmXRrvft",
        "step.ghp_abcdefghijklmnopqrstuvwxyz0123456789", "step.password=hunter2"})
    store.add(Sample{"a", metric, "", 5, t});
  for (const char *metric : {"step.fence_wait_ms", "step.prompt_tokens_per_second_total",
                             "gen.TokensPerSecondLast10", "step.Llama3TokensPerSecond70B"})
    store.add(Sample{"a", metric, "", 5, t});
  ASSERT_NE(store.node("a"), nullptr);
  EXPECT_EQ(store.node("a")->dropped_samples, 3u);
  EXPECT_EQ(store.node("a")->series, 4u);
  EXPECT_EQ(store.series({"a", "step.AJ71fTquWoGsbeKXgzg2sye9b2Rann76dEyTzAeKOmXRrvft", ""}),
            nullptr);
}

TEST(Store, NodeStateTracksTransitionsAndStreams) {
  Store store;
  store.declare_node("mac1");
  store.apply(NodeStatus{"mac1", "", NodeState::up, "", from_epoch_seconds(5)});
  store.apply(NodeStatus{"mac1", "meminfo", NodeState::down, "exited 1", from_epoch_seconds(6)});
  const auto *n = store.node("mac1");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->state, NodeState::up);
  EXPECT_EQ(n->since, from_epoch_seconds(5));
  EXPECT_EQ(n->streams.at("meminfo").detail, "exited 1");
  store.add_log_line("mac1", "log:x", from_epoch_seconds(7), "hello");
  EXPECT_EQ(store.log_lines("mac1")->back().text, "hello");
  EXPECT_EQ(store.nodes(), std::vector<std::string>{"mac1"});
}

// Whether a series holds its points in time order, kept as points are pushed: a late point
// breaks the order until the ring drops the point before it.
TEST(Series, SaysWhetherItsPointsAreInTimeOrderAsTheRingWraps) {
  auto at = [](double s) { return from_epoch_seconds(1'771'800'000.0 + s); };
  Series a(5), b(5);
  EXPECT_TRUE(a.in_time_order()); // empty
  for (int i = 0; i < 5; ++i) a.push(Point{at(i), 1.0});
  EXPECT_TRUE(a.in_time_order());
  a.push(Point{at(2.5), 1.0}); // a clock that ran behind: older than the point before
  EXPECT_FALSE(a.in_time_order());
  for (int i = 5; i < 8; ++i) a.push(Point{at(i), 1.0});
  EXPECT_FALSE(a.in_time_order()); // the late point and the one before it are still kept
  a.push(Point{at(8), 1.0});       // the ring drops the point before the late one
  EXPECT_TRUE(a.in_time_order());  // the late point is the oldest kept: in order again
  a.push(Point{at(8), 1.0});       // equal times are in order
  EXPECT_TRUE(a.in_time_order());
  a.push(Point{at(7.5), 1.0});
  EXPECT_FALSE(a.in_time_order());
  a.clear(); // emptied: in order, and the next point has no point before it
  EXPECT_TRUE(a.in_time_order());
  a.push(Point{at(1), 1.0});
  EXPECT_TRUE(a.in_time_order());
  b.push(Point{at(3), 1.0});
  b.push(Point{at(1), 1.0});
  EXPECT_FALSE(b.in_time_order()); // each series judged on its own points
  EXPECT_TRUE(a.in_time_order());
}

// A status detail quotes what a node or ssh said: the Store keeps it without credentials,
// for the node and for its streams, so no reader (the dashboard included) sees them.
// This machine's clock stepped: every node's clock is that much further off it at once (the
// `zone` stream's next two readings took up to two minutes to say so); a reading waiting for
// confirmation was made against the old clock and goes.
TEST(Store, AStepOfThisMachinesClockMovesEveryNodesSkew) {
  Store s;
  const TimePoint t{std::chrono::seconds(1771800000)};
  s.set_node_clock("instep", t, t);
  s.set_node_clock("behind", t - std::chrono::seconds(600), t);
  s.set_node_clock("waiting", t, t);
  s.set_node_clock("waiting", t + std::chrono::seconds(30), t + std::chrono::seconds(60));
  s.set_utc_offset("unread", std::chrono::minutes(0)); // up, no clock reading yet
  s.our_clock_stepped(std::chrono::seconds(300));
  EXPECT_EQ(s.node("instep")->clock_skew, std::optional<Duration>(-std::chrono::seconds(300)));
  EXPECT_EQ(s.node("behind")->clock_skew, std::optional<Duration>(-std::chrono::seconds(900)));
  EXPECT_FALSE(s.node("waiting")->clock_skew_unconfirmed);
  EXPECT_FALSE(s.node("unread")->clock_skew) << "its first reading is against the new clock";
  s.our_clock_stepped(-std::chrono::seconds(301)); // back within a reading's error: in step
  EXPECT_FALSE(s.node("instep")->clock_skew);
}

// ... and what was read before the step moves with it, so that it and what is read after are
// on one clock: left as read, a step back put a node's last step and a crash line 5 minutes
// ahead, a hang went unreported and a firing crash resolved.
TEST(Store, AStepOfThisMachinesClockMovesWhatWasRead) {
  Store s;
  const TimePoint t{std::chrono::seconds(1771800000)};
  const Duration back = -std::chrono::seconds(300);
  s.apply(NodeStatus{"n", "", NodeState::up, "connected", t});
  Store::add(*s.series_mut(SeriesKey{"n", "step.eval_ms", ""}), t, 36);
  s.add_event(LogEvent{"n", "log:x", t, "ERROR", {"crash"}, Severity::critical, "l", t});
  s.count_lines("n", 1, t);
  s.our_clock_stepped(back);
  EXPECT_EQ(s.series(SeriesKey{"n", "step.eval_ms", ""})->back().time, t + back);
  EXPECT_EQ(s.events("n")->back().time, t + back);
  EXPECT_EQ(s.events("n")->back().arrived, t + back);
  EXPECT_EQ(s.node("n")->since, t + back);
  EXPECT_EQ(s.node("n")->last_data, std::optional<TimePoint>(t + back));
}

TEST(Store, StatusDetailsAreKeptWithoutCredentials) {
  Store st;
  const auto t = from_epoch_seconds(10);
  st.apply(NodeStatus{"n", "", NodeState::down, "auth failed: token=abc123", t});
  st.apply(NodeStatus{"n", "log:x", NodeState::down, "curl -H 'Authorization: Bearer s3cr3t'", t});
  EXPECT_EQ(st.node("n")->detail, "auth failed: token=[redacted]");
  EXPECT_EQ(st.node("n")->streams.at("log:x").detail, "curl -H 'Authorization: Bearer [redacted]'");
}

} // namespace
} // namespace clustertop

namespace clustertop {
namespace {

// exo prints a line per decode step and no rate: its generation rate is its steps a second
// (the dashboard, figures lines and CSV showed none for exo clusters). An engine's own rate
// comes first; a node whose steps stopped longer ago than the window has none.
TEST(Store, GenerationRateIsTheEnginesOwnElseStepsASecond) {
  Store s;
  const TimePoint t0 = from_epoch_seconds(1000);
  for (int i = 0; i <= 300; ++i) // 30 steps a second for 10 s
    s.add(Sample{"mac1", "step.eval_ms", "", 29, t0 + std::chrono::microseconds(i * 33333)});
  const TimePoint end = t0 + std::chrono::seconds(10);
  EXPECT_NEAR(generation_rate(s, "mac1", end), 30.0, 0.2);
  EXPECT_TRUE(std::isnan(generation_rate(s, "mac1", end + std::chrono::seconds(11))))
      << "stopped 11 s ago";
  EXPECT_TRUE(std::isnan(generation_rate(s, "nobody", end)));
  s.add(Sample{"mac1", "gen.tokens_per_s", "", 42.5, end});
  EXPECT_DOUBLE_EQ(generation_rate(s, "mac1", end), 42.5);
}

// A replayed log whose bare [STEP N] lines take the stamp of the line before them: steps in
// groups of one time, four every 2 s, two a second. The window held 20 steps over 8 s of
// stamps and read 19/8 = 2.38/s; the last group's steps came in the time after it.
TEST(Store, StepsThatShareATimeCountAsTheTimeToTheNext) {
  Store s;
  const TimePoint t0 = from_epoch_seconds(1000);
  for (int g = 0; g < 10; ++g)
    for (int k = 0; k < 4; ++k)
      s.add(Sample{"mac1", "step.eval_ms", "", 29, t0 + std::chrono::seconds(2 * g)});
  const TimePoint at = t0 + std::chrono::milliseconds(18500);
  EXPECT_NEAR(generation_rate(s, "mac1", at), 2.0, 1e-9);
}

// mac1, up at 0 with 20 steps two a second (exo's [STEP N], stamped by their arrival);
// `at` is seconds from its start.
struct StepRun {
  Store s;
  StepRun() {
    s.apply(NodeStatus{"mac1", "", NodeState::up, "", at(0)});
    steps(0, 20, 0.5);
  }
  static TimePoint at(double sec) {
    return from_epoch_seconds(1000) + std::chrono::microseconds(static_cast<long long>(sec * 1e6));
  }
  void steps(double from, int n, double every) {
    for (int i = 0; i < n; ++i) s.add(Sample{"mac1", "step.eval_ms", "", 29, at(from + i * every)});
  }
};

// A node back from an outage has its steps read back at once, stamped at their arrival where
// the line has no time (exo's [STEP N]): its rate read 17 times the truth for the 10 s after.
// Unknown for that window; the engine's own rate is its own.
TEST(Store, NoStepRateForTheWindowAfterAnOutage) {
  for (const NodeState outage : {NodeState::down, NodeState::stale}) {
    StepRun run;
    auto &s = run.s;
    const auto at = StepRun::at;
    EXPECT_NEAR(generation_rate(s, "mac1", at(10)), 2.0, 0.01) << "before";
    s.apply(NodeStatus{"mac1", "", outage, "", at(10)});
    s.apply(NodeStatus{"mac1", "", NodeState::up, "", at(25)});
    run.steps(25, 30, 0.003); // the outage's 30 steps, read back within 0.1 s
    run.steps(25.5, 24, 0.5);
    EXPECT_TRUE(std::isnan(generation_rate(s, "mac1", at(27)))) << "read back: not 17/s";
    EXPECT_TRUE(std::isnan(generation_rate(s, "mac1", at(34.9))));
    EXPECT_NEAR(generation_rate(s, "mac1", at(36.5)), 2.0, 0.01) << "the window past the return";
    s.add(Sample{"mac1", "gen.tokens_per_s", "", 42.5, at(37)});
    s.apply(NodeStatus{"mac1", "", outage, "", at(37)});
    s.apply(NodeStatus{"mac1", "", NodeState::up, "", at(38)});
    EXPECT_DOUBLE_EQ(generation_rate(s, "mac1", at(38)), 42.5) << "the engine's own";
  }
}

// Steps that stop (a crash, a hang, a request's end): the rate falls as the window empties,
// about half 5 s in, none 10 s in. It held the full rate for 10 s and rose above it as the
// last few steps were left (28.2 and 33.4 for a node writing 24.4), into a CSV row beside the
// node's crash.
TEST(Store, TheStepRateFallsAsStepsStop) {
  StepRun run; // 20 steps, 0 to 9.5 s
  const auto at = StepRun::at;
  EXPECT_NEAR(generation_rate(run.s, "mac1", at(9.6)), 2.0, 0.01) << "steps flowing";
  EXPECT_NEAR(generation_rate(run.s, "mac1", at(14.5)), 1.0, 0.15) << "5 s after the last";
  for (double t = 10; t < 19.4; t += 0.25)
    EXPECT_FALSE(generation_rate(run.s, "mac1", at(t)) > 2.0 + 1e-9) << "never above it, at " << t;
  EXPECT_TRUE(std::isnan(generation_rate(run.s, "mac1", at(19.6)))) << "10 s after the last";
}

// This process stopped (Ctrl-Z) for 10 s: the steps the node wrote meanwhile arrive at once
// when it resumes, and read as 14.4 steps a second, then 6.3, for a log writing 2. No step
// rate for the window after the resume; then the log's own 2 a second.
TEST(Store, NoStepRateForTheWindowAfterThisProcessWasStopped) {
  StepRun run;
  const auto at = StepRun::at;
  run.s.we_were_stopped(at(20));
  run.steps(20, 20, 0.002); // the stop's 20 steps, arriving at the resume
  run.steps(20.5, 24, 0.5);
  EXPECT_TRUE(std::isnan(generation_rate(run.s, "mac1", at(22)))) << "read at once: not 10/s";
  EXPECT_TRUE(std::isnan(generation_rate(run.s, "mac1", at(29.9))));
  EXPECT_NEAR(generation_rate(run.s, "mac1", at(31.5)), 2.0, 0.01) << "the window past the resume";
}

} // namespace
} // namespace clustertop
