// A request's normal end on SGLang, which never prints `#running-req: 0`: after its last
// `Decode batch` line comes uvicorn's access line for the request
// (`"POST /v1/chat/completions HTTP/1.1" 200 OK`). Real line shapes (collectors/sglang.json)
// through the collectors and the stall detector.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "collect_test_util.hpp"
#include "log_run.hpp"

namespace clustertop {
namespace {

const std::string kLog = "log:/tmp/sglang.log";

// SGLang's `[YYYY-MM-DD HH:MM:SS]` at whole second `t` of the run.
std::string stamp(int t) {
  const std::string iso = iso8601_utc(test::at(t));
  return "[" + iso.substr(0, 10) + " " + iso.substr(11, 8) + "]";
}

std::string decode(int t, int running) {
  return fmt::format("{} Decode batch. #running-req: {}, #token: {}, token usage: 0.08, gen "
                     "throughput (token/s): 40.11, #queue-req: 0",
                     stamp(t), running, 11179 + 40 * t);
}

std::string answered(int t) {
  return stamp(t) + R"( INFO:     127.0.0.1:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK)";
}

// A Prefill batch at 0, then a Decode batch a second with `running` requests until `last`.
void generate(test::LogRun &run, int last, int running) {
  run.up("sg", kLog, 0);
  run.line("sg", kLog, 0,
           stamp(0) + " Prefill batch. #new-seq: 1, #new-token: 290, #cached-token: 0, token "
                      "usage: 0.08, #running-req: 0, #queue-req: 0");
  for (int t = 1; t <= last; ++t) {
    run.line("sg", kLog, t, decode(t, running));
    run.ticks(t, t);
  }
}

TEST(DetectRequestEnd, TheAccessLineAfterTheLastDecodeBatchEndsARequestNormally) {
  test::LogRun run;
  generate(run, 119, 1);
  run.line("sg", kLog, 120, answered(120));
  run.ticks(120, 200);
  EXPECT_TRUE(run.fired("step_stall").empty()) << "a normal end is no stall";
}

// A streamed request: its access line came when the stream started, so none follows its last
// Decode batch. With --log-requests SGLang logs `Finish: obj=...` at its end (0.5.10 and
// later without the logger's prefix): the end, not a hang.
TEST(DetectRequestEnd, AFinishLineEndsAStreamedRequest) {
  test::LogRun streamed;
  generate(streamed, 119, 1);
  streamed.line("sg", kLog, 120,
                "Finish: obj=GenerateReqInput(rid='bf890d9ca8ce4008bef7ef25d97f8fba', "
                "http_worker_ipc=None, video_data=None, stream=True)");
  streamed.ticks(120, 200);
  EXPECT_TRUE(streamed.fired("step_stall").empty());

  test::LogRun silent; // without it: the same silence is a hang
  generate(silent, 119, 1);
  silent.ticks(120, 200);
  EXPECT_EQ(silent.fired("step_stall").size(), 1u);
}

// At SGLang's default log settings a streamed request's access line comes at its start and
// nothing at its end: every chat request ended in a critical step_stall. A silence after a
// run of progress that began with access lines for every request still running is said as
// what it may be, a normal end, as a warning. A request answered at its end (not streamed)
// and then silence, or a node that logs its ends with --log-requests, stays critical.
TEST(DetectRequestEnd, AStreamedRequestsUnloggedEndIsAWarningThatSaysSo) {
  const auto streamed = [](test::LogRun &run) {
    run.up("sg", kLog, 0);
    run.line("sg", kLog, 0, answered(0)); // the stream starts: its access line
    run.line("sg", kLog, 0,
             stamp(0) + " Prefill batch. #new-seq: 1, #new-token: 290, #cached-token: 0, token "
                        "usage: 0.08, #running-req: 0, #queue-req: 0");
    for (int t = 1; t <= 60; ++t) {
      run.line("sg", kLog, t, decode(t, 1));
      run.ticks(t, t);
    }
  };
  test::LogRun run;
  streamed(run);
  run.ticks(61, 120);
  auto f = run.fired("step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].finding.severity, Severity::warning);
  EXPECT_NE(f[0].finding.message.find("a streamed request), whose end the engine logs only "
                                      "with --log-requests: this may be its normal end"),
            std::string::npos)
      << f[0].finding.message;

  test::LogRun hang; // the same run without an access line at its start
  generate(hang, 60, 1);
  hang.ticks(61, 120);
  f = hang.fired("step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].finding.severity, Severity::critical);

  test::LogRun logged; // a node that logged a request's end before: its silence is a hang
  logged.up("sg", kLog, 0);
  logged.line("sg", kLog, 0,
              "Finish: obj=GenerateReqInput(rid='bf890d9ca8ce4008bef7ef25d97f8fba', "
              "http_worker_ipc=None, video_data=None, stream=True)");
  streamed(logged);
  logged.ticks(61, 120);
  f = logged.fired("step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].finding.severity, Severity::critical);
}

// SGLang dies of a CUDA OOM a second after its last Decode batch, while a streamed request
// generates: the silence is the crash's, and its alert stands while no progress follows. It
// resolved after `hold` (5 minutes) with the server dead, where the same log without the
// stream's access line kept it. An idle server's crash long after its last request still ages
// out with `hold`.
TEST(DetectRequestEnd, ACrashRightAfterAStreamsLastProgressStands) {
  const std::string oom = test::fixture_lines("failures/sample_6.txt").front();
  test::LogRun run;
  run.up("sg", kLog, 0);
  run.line("sg", kLog, 0, answered(0)); // the stream starts: its access line
  for (int t = 1; t <= 60; ++t) {
    run.line("sg", kLog, t, decode(t, 1));
    run.ticks(t, t);
  }
  run.line("sg", kLog, 61, oom);
  run.ticks(61, 61 + 600);
  EXPECT_FALSE(run.fired("crash").empty());
  EXPECT_TRUE(run.resolved("crash").empty()) << "the server is dead: its crash stands";

  test::LogRun idle; // the same request, then 20 minutes idle, then the crash
  idle.up("sg", kLog, 0);
  idle.line("sg", kLog, 0, answered(0));
  for (int t = 1; t <= 60; ++t) {
    idle.line("sg", kLog, t, decode(t, 1));
    idle.ticks(t, t);
  }
  idle.ticks(61, 1260);
  idle.line("sg", kLog, 1261, oom);
  idle.ticks(1261, 1261 + 400);
  EXPECT_FALSE(idle.fired("crash").empty());
  EXPECT_FALSE(idle.resolved("crash").empty()) << "an idle server's crash ages out with hold";
}

// A long prompt on a busy server: SGLang reads it in chunks (a `Prefill batch` line each,
// 2 s apart) while decoding pauses. The engine is working: no stall.
TEST(DetectRequestEnd, AChunkedPrefillIsProgress) {
  test::LogRun run;
  generate(run, 60, 1);
  for (int t = 62; t <= 88; t += 2) {
    run.line("sg", kLog, t,
             stamp(t) + " Prefill batch. #new-seq: 1, #new-token: 8192, #cached-token: 0, token "
                        "usage: 0.30, #running-req: 1, #queue-req: 0");
    run.ticks(t - 1, t);
  }
  for (int t = 89; t <= 120; ++t) {
    run.line("sg", kLog, t, decode(t, 2));
    run.ticks(t, t);
  }
  EXPECT_TRUE(run.fired("step_stall").empty());
}

// Three requests run; one is answered and the other two stop printing: a hang.
TEST(DetectRequestEnd, OneOfSeveralRunningRequestsAnsweredIsNoEnd) {
  test::LogRun run;
  generate(run, 119, 3);
  run.line("sg", kLog, 120, answered(120));
  run.ticks(120, 200);
  EXPECT_EQ(run.fired("step_stall").size(), 1u);

  test::LogRun all; // all three answered: the server is idle
  generate(all, 119, 3);
  for (int i = 0; i < 3; ++i) all.line("sg", kLog, 120, answered(120));
  all.ticks(120, 200);
  EXPECT_TRUE(all.fired("step_stall").empty());
}

// A stream that starts on a hung server gets its access line when its response starts:
// long after the last progress it is no end of the hang.
TEST(DetectRequestEnd, AnAccessLineLongAfterTheLastProgressDoesNotEndAStall) {
  test::LogRun run;
  generate(run, 119, 1);
  run.ticks(120, 140);
  ASSERT_EQ(run.fired("step_stall").size(), 1u);
  run.line("sg", kLog, 141, answered(141));
  run.ticks(141, 200);
  EXPECT_EQ(run.resolved("step_stall").size(), 0u);
}

} // namespace
} // namespace clustertop
