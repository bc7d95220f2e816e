// A request's normal end on exo: its runner logs `runner ready` once its generation tasks
// are done (collectors/exo.json, from exo's own log in exo-explore/exo#1374). Step lines
// stop then; the silence is idle, not a hang. Real line shapes through the collectors and
// the stall detector.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "log_run.hpp"

namespace clustertop {
namespace {

const std::string kLog = "log:/tmp/exo.log";

// exo's file-format prefix at second `t` of the run, with the runner's module.
std::string runner_line(double t, const std::string &message) {
  const std::string iso = iso8601_utc(test::at(t));
  return fmt::format("[ {} {}.000 | INFO     | exo.worker.runner.runner:main:355 ] {}",
                     iso.substr(0, 10), iso.substr(11, 8), message);
}

// A step line a second over [from, to], `eval_ms` each, the context growing 1K in 10 s
// unless `ctx_k` says otherwise.
void steps(test::LogRun &run, int from, int to, int eval_ms = 36, int ctx_k = 0) {
  for (int t = from; t <= to; ++t) {
    run.line("ex", kLog, t,
             fmt::format("[STEP {}] eval={}ms model=7ms gpu_eval=25ms fence_wait=0.8ms ctx={}K", t,
                         eval_ms, ctx_k > 0 ? ctx_k : t / 10 + 1));
    run.ticks(t, t);
  }
}

// A minute of steps, then `last` (nothing when empty) half a second after the last step,
// then 90 s of silence: the step_stalls that fired.
std::size_t stalls_after(const std::string &last) {
  test::LogRun run;
  run.up("ex", kLog, 0);
  steps(run, 1, 60);
  if (!last.empty()) run.line("ex", kLog, 60.5, runner_line(60.5, last));
  run.ticks(61, 150);
  return run.fired("step_stall").size();
}

TEST(DetectExoRequestEnd, RunnerReadyAfterTheLastStepEndsARequestNormally) {
  EXPECT_EQ(stalls_after("runner ready"), 0u) << "a normal end is no stall";
  EXPECT_EQ(stalls_after(""), 1u) << "the same steps, no `runner ready`: a hang";
}

// Bare `[STEP N]` lines take their arrival time; `runner ready` carries the node's stamp.
// Two clocks: a ready stamped half a second before the last step arrived (a node clock a
// little behind, or the step's transport delay) is still the end.
TEST(DetectExoRequestEnd, ARunnerReadyStampedJustBeforeTheLastStepArrivedEndsItToo) {
  test::LogRun run;
  run.up("ex", kLog, 0);
  steps(run, 1, 60);
  run.line("ex", kLog, 60.1, runner_line(59.5, "runner ready"));
  run.ticks(61, 150);
  EXPECT_TRUE(run.fired("step_stall").empty());
}

// A `runner ready` before a request's steps (after the model loaded, or the last request)
// is no end of that request.
TEST(DetectExoRequestEnd, AnEarlierRunnerReadyDoesNotHideALaterHang) {
  test::LogRun run;
  run.up("ex", kLog, 0);
  run.line("ex", kLog, 0.5, runner_line(0.5, "runner ready"));
  steps(run, 1, 60);
  run.line("ex", kLog, 60.5, runner_line(60.5, "runner ready"));
  run.ticks(61, 100);
  steps(run, 101, 160); // the next request, then silence
  run.ticks(161, 250);
  EXPECT_EQ(run.fired("step_stall").size(), 1u);
}

// Throughput is compared within one run of requests: a new request with a long context
// (70 ms a step at 100K) after the last one's 25 ms at 2K is no collapse once `runner
// ready` ended the last one; without the end between them, it is.
TEST(DetectExoRequestEnd, ANewRequestIsNoThroughputCollapseAgainstTheLast) {
  for (const bool ended : {true, false}) {
    test::LogRun run;
    run.up("ex", kLog, 0);
    steps(run, 1, 200, 25, 2);
    if (ended) run.line("ex", kLog, 200.5, runner_line(200.5, "runner ready"));
    run.ticks(201, 219);
    steps(run, 220, 340, 70, 100);
    EXPECT_EQ(run.fired("throughput_collapse").empty(), ended) << (ended ? "ended" : "no end");
  }
}

// Other runner messages that start alike are no end.
TEST(DetectExoRequestEnd, OnlyTheRunnerReadyMessageIsAnEnd) {
  for (const char *message : {"runner ready to load", "runner running", "not runner ready yet"})
    EXPECT_EQ(stalls_after(message), 1u) << message;
}

} // namespace
} // namespace clustertop
