// A server given less work is not slower: vLLM's aggregate generation throughput falls with
// its running requests, and that fall alerted as a throughput collapse. Real V1 `Engine 000:`
// lines (tests/fixtures/vllm/sample_1.txt) through the collectors and the detectors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "log_run.hpp"

namespace clustertop {
namespace {

const std::string kLog = "log:/tmp/vllm.log";

// vLLM's `INFO MM-DD HH:MM:SS` report at whole second `t` of the run.
std::string report(int t, double tokens_per_s, int running) {
  const std::string iso = iso8601_utc(test::at(t));
  return fmt::format("(APIServer pid=3646) INFO {}-{} {} [loggers.py:271] Engine 000: Avg "
                     "prompt throughput: 0.0 tokens/s, Avg generation throughput: {:.1f} "
                     "tokens/s, Running: {} reqs, Waiting: 0 reqs, GPU KV cache usage: 40.0%, "
                     "Prefix cache hit rate: 0.0%",
                     iso.substr(5, 2), iso.substr(8, 2), iso.substr(11, 8), tokens_per_s, running);
}

// Five minutes of reports every 10 s at 32 requests and 1055 tok/s, then two minutes at
// `running` requests and `later` tok/s.
void run_with(test::LogRun &run, int running, double later) {
  run.up("gpu1", kLog, 0);
  for (int t = 0; t <= 420; t += 10) {
    const bool after = t > 300;
    run.line("gpu1", kLog, t, report(t, after ? later : 1055.3, after ? running : 32));
    run.ticks(t, t + 9);
  }
}

// A server idle for ten minutes (its last report said `Running: 0 reqs`) gets a request
// whose first report, its prompt still being read, says 0.0 tokens/s: no stall of the ten
// idle minutes ("no step for 610 s while generating" fired at once), and the request, once
// it runs, is judged as any other.
TEST(DetectStallAfterIdle, ANewRequestAfterAnIdleStretchIsNoStallOfIt) {
  test::LogRun run;
  run.up("gpu1", kLog, 0);
  for (int t = 0; t <= 60; t += 10) {
    run.line("gpu1", kLog, t, report(t, 1055.3, 32));
    run.ticks(t, t + 9);
  }
  run.line("gpu1", kLog, 70, report(70, 0.0, 0));
  run.ticks(70, 669);
  run.line("gpu1", kLog, 670, report(670, 0.0, 1)); // the new request's first report
  run.ticks(670, 679);
  EXPECT_TRUE(run.fired("step_stall").empty());
  for (int t = 680; t <= 740; t += 10) { // it runs, then hangs
    run.line("gpu1", kLog, t, report(t, 40.0, 1));
    run.ticks(t, t + 9);
  }
  run.ticks(750, 800);
  EXPECT_EQ(run.fired("step_stall").size(), 1u);
}

// vLLM in a container that logs UTC, on a host an hour ahead (Berlin): read in the host's
// zone, every line lay an hour in the past, and a healthy request was "no step for 3601 s".
// [[node]] log_zone = "UTC" names the logs' zone.
TEST(DetectLogZone, LogsInAnotherZoneThanTheNodesAreReadInTheirOwn) {
  for (const bool named : {false, true}) {
    test::LogRun run;
    if (named) run.store().set_log_zone("gpu1", std::chrono::minutes{0});
    run.up("gpu1", kLog, 0, std::chrono::minutes{60});
    for (int t = 0; t <= 120; t += 10) {
      run.line("gpu1", kLog, t, report(t, 1055.3, 32)); // stamped in UTC
      run.ticks(t, t + 9);
    }
    EXPECT_EQ(run.fired("step_stall").empty(), named) << (named ? "with" : "without");
  }
}

TEST(DetectLoadDrop, FewerRunningRequestsAtTheSameSpeedEachIsNoCollapse) {
  test::LogRun run;
  run_with(run, 3, 118.0); // 33 tok/s a request before, 39 after
  EXPECT_TRUE(run.fired("throughput_collapse").empty());
}

TEST(DetectLoadDrop, TheSameRequestsAtAFractionOfTheSpeedAreACollapse) {
  test::LogRun run;
  run_with(run, 32, 118.0);
  ASSERT_EQ(run.fired("throughput_collapse").size(), 1u);
  EXPECT_NEAR(run.fired("throughput_collapse")[0].finding.value, 118.0, 0.01);
}

TEST(DetectLoadDrop, FewerRequestsEachFarSlowerIsStillACollapse) {
  test::LogRun run;
  run_with(run, 16, 40.0); // 33 tok/s a request before, 2.5 after
  EXPECT_EQ(run.fired("throughput_collapse").size(), 1u);
}

} // namespace
} // namespace clustertop
