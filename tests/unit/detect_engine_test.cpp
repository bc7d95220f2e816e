// DetectEngine keeps the store's index and its buffers between evaluations; what it finds
// must be what a fresh run_detectors finds at every tick, also as nodes, series and event
// rings appear in the store between ticks.
#include <gtest/gtest.h>

#include <map>

#include "detect_test_util.hpp"

namespace clustertop {
namespace {

using test::at;
using test::put;
using test::step;

void expect_same(const std::vector<Finding> &a, const std::vector<Finding> &b, double t) {
  ASSERT_EQ(a.size(), b.size()) << "at t=" << t;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rule, b[i].rule) << "at t=" << t;
    EXPECT_EQ(a[i].node, b[i].node) << "at t=" << t;
    EXPECT_EQ(a[i].subject, b[i].subject) << "at t=" << t;
    EXPECT_EQ(a[i].severity, b[i].severity) << "at t=" << t;
    // Bit for bit: the same figures from the same points in the same order.
    EXPECT_TRUE(a[i].value == b[i].value || (!is_known(a[i].value) && !is_known(b[i].value)))
        << "at t=" << t << ": " << a[i].value << " vs " << b[i].value;
    EXPECT_EQ(a[i].message, b[i].message) << "at t=" << t;
  }
}

// One second of a node's life: steps (unless stalled), memory and GPU power.
void second(Store &st, const std::string &node, int s, bool stalled, double fence) {
  if (!stalled)
    for (int j = 0; j < 10; ++j) step(st, node, s + j / 10.0, 36.0, 7.0, 0.5, fence, s * 10 + j);
  put(st, node, "mem.available_bytes", s, 1.5e9 - s * 1e7);
  put(st, node, "gpu.power_w", s, 40);
}

TEST(DetectEngine, FindsWhatAFreshEvaluationFindsAsTheStoreGrows) {
  Store st;
  const Rules r;
  DetectEngine engine(st);
  std::size_t total = 0;
  std::map<std::string, int> by_rule;
  std::vector<Finding> got;
  for (int s = 0; s < 120; ++s) {
    second(st, "mac1", s, s >= 60 && s < 90, s == 30 ? 50.0 : 0.5);
    if (s >= 20) second(st, "mac2", s, s >= 70, 0.5);                // a node appears
    if (s >= 40) put(st, "mac1", "mem.swap_used_bytes", s, s * 1e8); // a series appears
    // Context grows while memory falls (context_at_oom pairs them): in time order on mac1,
    // the engine's interpolated pairing; on mac2 one point from a clock that ran behind
    // breaks the order, so the engine must fall back to the plain search there.
    put(st, "mac1", "ctx.tokens", s, 1000.0 + 100.0 * s);
    if (s >= 20) put(st, "mac2", "ctx.tokens", s == 30 ? s - 12.5 : s, 500.0 + 50.0 * s);
    if (s == 50) // an event ring appears
      st.add_event(LogEvent{"mac2", "log:x", at(s), "ERROR", {"crash"}, Severity::critical, "x"});
    if (s == 100) st.apply(NodeStatus{"mac3", "", NodeState::down, "refused", at(s)});
    for (double frac : {0.3, 1.0}) {
      got.clear();
      engine.run(r, at(s + frac), got);
      const auto want = run_detectors(st, r, at(s + frac));
      expect_same(got, want, s + frac);
      total += want.size();
      for (const auto &f : want) ++by_rule[f.rule];
    }
  }
  // The history above must have made the detectors fire, or the comparison proves little.
  EXPECT_GT(total, 100u);
  // ... each rule whose figures the engine keeps or finds its own way, not only node_down.
  for (const char *rule : {"fence_wait_stall", "orchestration_overhead", "oom_headroom",
                           "swap_growth", "time_to_oom", "context_at_oom", "crash", "node_down"})
    EXPECT_GT(by_rule[rule], 10) << rule;
}

// The edges and pairs the engine finds from the last tick's (throughput's step windows,
// the swap and memory-trend windows, the context/memory pairs) over rings that wrap, with
// NaN points, series that appear late, and clocks that jump back (the series out of order
// until the ring drops the jump) and forward.
void busy_second(Store &st, const std::string &node, int s, bool messy) {
  // Steps at 10 Hz; from 260 s to 320 s each takes 200 ms: throughput collapses.
  for (int j = 0; j < 10; ++j) {
    double t = s + j / 10.0;
    if (messy && s >= 150 && s < 160) t -= 30; // ten seconds from a clock that ran behind
    if (messy && s == 500 && j == 0) t += 4;   // ... and one from a clock that ran ahead
    const double eval = messy && (s * 10 + j) % 23 == 0 ? kUnknown : s >= 260 && s < 320 ? 200 : 36;
    put(st, node, "step.eval_ms", t, eval);
    // Fence waits of 0.3 ms with spikes over abs_ms, and over 20 times the median only.
    const int k = s * 10 + j;
    const double fence = k % 311 == 0 ? 30 : k % 127 == 0 ? 8 : 0.3;
    put(st, node, "step.fence_wait_ms", t, messy && k % 19 == 0 ? kUnknown : fence);
  }
  // Memory falls as the context grows: time to OOM, context at OOM; swap grows in bursts.
  const double avail_t = messy && s >= 120 && s < 140 ? s - 40.0 : s;
  put(st, node, "mem.available_bytes", avail_t, messy && s % 17 == 0 ? kUnknown : 3e9 - s * 3e6);
  if (s >= 100) {
    const double swap_t = messy && s >= 250 && s < 270 ? s - 50.0 : s;
    put(st, node, "mem.swap_used_bytes", swap_t, (s / 60 % 2 == 0 ? s : 0) * 1e7);
  }
  // The context at 4 Hz on the messy node (its ring holds 150 s), whose clock jumps back
  // 50 s for good at 400 s: pairs remembered before the jump name points long gone when
  // the ring is in order again, for memory points the new points cover.
  for (double f : {0.0, 0.25, 0.5, 0.75}) {
    if (!messy && f != 0.0 && f != 0.5) continue;
    const double t = s + f - (messy && s >= 400 ? 50 : 0);
    put(st, node, "ctx.tokens", t, messy && s % 29 == 0 ? kUnknown : 1000.0 + 100.0 * s);
  }
}

TEST(DetectEngine, FindsWhatAFreshEvaluationFindsOverWrappingRingsAndClockJumps) {
  Store st(StoreLimits{600, 100, 100}); // steps wrap after 60 s, 1 Hz series after 600 s
  const Rules r;
  DetectEngine engine(st);
  std::map<std::string, int> fired;
  std::vector<Finding> got;
  for (int s = 0; s < 1000; ++s) {
    busy_second(st, "tidy", s, false);
    busy_second(st, "messy", s, true);
    if (s >= 300) busy_second(st, "late", s, false); // a node and its series appear
    for (double frac : {0.3, 1.0}) {
      got.clear();
      engine.run(r, at(s + frac), got);
      const auto want = run_detectors(st, r, at(s + frac));
      expect_same(got, want, s + frac);
      for (const auto &f : want) ++fired[f.rule];
    }
  }
  // Each figure the engine finds its own way must have decided findings, or the comparison
  // proves little about it.
  for (const char *rule :
       {"fence_wait_stall", "throughput_collapse", "swap_growth", "time_to_oom", "context_at_oom"})
    EXPECT_GT(fired[rule], 20) << rule;
}

} // namespace
} // namespace clustertop
