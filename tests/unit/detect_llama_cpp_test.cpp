// llama-server's lines through the llama_cpp collector and the detectors: its periodic
// progress line (`slot print_timing: ... n_decoded = N, tg = X t/s, tg_3s = Y t/s`, every
// ~3 s while a slot decodes; tests/fixtures/llama_cpp) is progress, its timing block a
// request's end.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "log_run.hpp"

namespace clustertop {
namespace {

const std::string kLog = "log:/tmp/llama.log";

// The real line's shape (llama.cpp issue #25121), at `t` seconds into the run.
std::string progress(double t, int decoded, double tg, double tg_3s, int slot = 3) {
  return fmt::format("{}.{:02d}.{:03d}.000 I slot print_timing: id  {} | task 0 | n_decoded = "
                     "{:6d}, tg = {:6.2f} t/s, tg_3s = {:6.2f} t/s",
                     static_cast<int>(t) / 60, static_cast<int>(t) % 60,
                     static_cast<int>((t - static_cast<int>(t)) * 1000), slot, decoded, tg, tg_3s);
}

// Progress lines every 3 s from t=1 to t=58.
double decode_for_a_minute(test::LogRun &run, const std::string &node) {
  run.up(node, kLog, 0);
  double t = 1;
  for (int n = 39; t < 60; t += 3, n += 39) {
    run.line(node, kLog, t, progress(t, n, 12.93, 12.57));
    run.ticks(t, t + 2);
  }
  return t - 3; // the last line's time
}

TEST(DetectLlamaCpp, AServerThatHangsMidGenerationIsAStepStall) {
  test::LogRun run;
  const double last = decode_for_a_minute(run, "hang");
  run.ticks(last + 3, last + 40);
  const auto stall = run.fired("step_stall");
  ASSERT_EQ(stall.size(), 1u) << "progress lines must count as progress, not as a finished "
                                 "request";
  // `after` (15 s) plus one report interval (3 s).
  EXPECT_NEAR(to_seconds(stall[0].at - test::at(last)), 18.0, 1.01);
}

TEST(DetectLlamaCpp, ARequestThatEndsWithItsTimingBlockIsNoStall) {
  test::LogRun run;
  const double last = decode_for_a_minute(run, "ends");
  for (const char *l :
       {"prompt eval time =     184.43 ms /   142 tokens (    1.30 ms per token,   769.93 "
        "tokens per second)",
        "       eval time =  60294.00 ms / 780 tokens (   77.30 ms per token,    12.93 tokens "
        "per second)",
        "      total time =  60478.43 ms / 922 tokens"})
    run.line("ends", kLog, last + 1, l);
  run.ticks(last + 1, last + 60);
  EXPECT_TRUE(run.fired("step_stall").empty());
}

// tg is the average since the request began and hides a slowdown; tg_3s (the last 3 s)
// shows it.
TEST(DetectLlamaCpp, AFallInTheRecentRateIsAThroughputCollapse) {
  test::LogRun run;
  run.up("gpu1", kLog, 0);
  int n = 0;
  for (double t = 1; t < 480; t += 3) {
    const double recent = t > 360 ? 5 : 25;
    n += static_cast<int>(recent * 3);
    const double average = n / t; // still above 40 % of 25 at the end
    run.line("gpu1", kLog, t, progress(t, n, average, recent));
    run.ticks(t, t + 2);
  }
  const auto collapse = run.fired("throughput_collapse");
  ASSERT_EQ(collapse.size(), 1u);
  EXPECT_DOUBLE_EQ(collapse[0].finding.value, 5.0);
  EXPECT_NEAR(to_seconds(collapse[0].at - test::at(360)), 25, 10);
}

// llama-server -np 2: slot 0's request ends with its timing block, slot 1 prints one more
// progress line a second later and the server hangs. A request's end counted from 2 s before
// the last progress (for engines whose lines come on two clocks) hid the hang for good.
TEST(DetectLlamaCpp, AHangRightAfterAnotherSlotsRequestEndedIsAStepStall) {
  test::LogRun run;
  run.up("np2", kLog, 0);
  double t = 1;
  for (int n = 39; t < 40; t += 3, n += 39) {
    run.line("np2", kLog, t, progress(t, n, 12.9, 12.6, 0));
    run.line("np2", kLog, t + 0.5, progress(t + 0.5, n, 12.9, 12.6, 1));
    run.ticks(t, t + 2);
  }
  for (const char *l :
       {"prompt eval time =     184.43 ms /   142 tokens (    1.30 ms per token,   769.93 "
        "tokens per second)",
        "       eval time =  39000.00 ms / 500 tokens (   78.00 ms per token,    12.82 tokens "
        "per second)",
        "      total time =  39184.43 ms / 642 tokens"})
    run.line("np2", kLog, t, l);
  run.line("np2", kLog, t + 1, progress(t + 1, 600, 12.9, 12.6, 1));
  run.ticks(t, t + 60);
  EXPECT_EQ(run.fired("step_stall").size(), 1u) << "slot 1 stopped a second after slot 0 ended";
}

// llama-server -np 4: four slots decode; slot 0's request ends with its timing block half a
// second after the four's last progress lines, and the other three, mid-request, print
// nothing more: the server hangs. One timing block after the last progress was taken for the
// server's end and nothing fired. The same with all four timing blocks is the end it is.
TEST(DetectLlamaCpp, OneSlotsEndIsNotTheServersWhileOthersDecoded) {
  for (const int ended : {1, 4}) {
    test::LogRun run;
    run.up("np4", kLog, 0);
    double t = 1;
    for (int n = 60; t < 40; t += 3, n += 60)
      for (int slot = 0; slot < 4; ++slot) {
        run.line("np4", kLog, t + 0.1 * slot, progress(t + 0.1 * slot, n, 20, 19.8, slot));
        run.ticks(t, t + 2);
      }
    for (int slot = 0; slot < ended; ++slot)
      for (const char *l :
           {"prompt eval time =     184.43 ms /   142 tokens (    1.30 ms per token,   769.93 "
            "tokens per second)",
            "       eval time =  39000.00 ms / 800 tokens (   48.75 ms per token,    20.51 tokens "
            "per second)",
            "      total time =  39184.43 ms / 942 tokens"})
        run.line("np4", kLog, t - 3 + 0.5 + 0.1 * slot, l);
    run.ticks(t, t + 60);
    EXPECT_EQ(run.fired("step_stall").size(), ended == 4 ? 0u : 1u)
        << ended << " of the 4 slots' requests ended";
  }
}

// llama-server -np 4: each slot's rate is one request's. One slot alone at 60 t/s, then four
// slots at 18 t/s each, is a server doing 72 t/s, not a collapse; one slot falling from 60 to
// 10 t/s while it is the only one still is.
TEST(DetectLlamaCpp, MoreSlotsDecodingIsMoreWorkNotACollapse) {
  for (const bool more_slots : {true, false}) {
    test::LogRun run;
    run.up("gpu1", kLog, 0);
    int n = 0;
    for (double t = 1; t < 360; t += 3) {
      n += 180;
      run.line("gpu1", kLog, t, progress(t, n, 60, 60, 0));
      run.ticks(t, t + 2);
    }
    for (double t = 361; t < 480; t += 3) {
      const int slots = more_slots ? 4 : 1;
      for (int slot = 0; slot < slots; ++slot)
        run.line("gpu1", kLog, t + 0.1 * slot,
                 progress(t + 0.1 * slot, 1000, 30, more_slots ? 18 : 10, slot));
      run.ticks(t, t + 2);
    }
    EXPECT_EQ(run.fired("throughput_collapse").size(), more_slots ? 0u : 1u)
        << (more_slots ? "four slots at 18 t/s" : "one slot at 10 t/s");
  }
}

} // namespace
} // namespace clustertop
