// DetectEngine keeps the store's index and its buffers between evaluations; what it finds
// must be what a fresh run_detectors finds at every tick, also as nodes, series and event
// rings appear in the store between ticks.
#include <gtest/gtest.h>

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
    }
  }
  // The history above must have made the detectors fire, or the comparison proves little.
  EXPECT_GT(total, 100u);
}

} // namespace
} // namespace clustertop
