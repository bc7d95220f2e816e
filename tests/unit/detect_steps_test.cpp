#include <gtest/gtest.h>

#include "clustertop/detect/alert_book.hpp"
#include "detect_test_util.hpp"

namespace clustertop {
namespace {

using test::at;
using test::only;
using test::put;
using test::step;

// 30 steps of 36 ms (29 ms overhead) with fence_wait 0.3-1.0 ms, ending at t=~1.1 s.
void healthy_steps(Store &st, const std::string &node, double t0 = 0, int n = 30) {
  for (int i = 0; i < n; ++i)
    step(st, node, t0 + i * 0.036, 36.0, 7.0, 0.5, 0.3 + 0.7 * ((i * 7) % 10) / 10.0, i);
}

// NCCL's watchdog line on `node` at `t`: a crash event.
void nccl_watchdog(Store &st, const std::string &node, double t) {
  st.add_event(LogEvent{node,
                        "log:x",
                        at(t),
                        "ERROR",
                        {"nccl_timeout"},
                        Severity::critical,
                        "Watchdog caught collective operation timeout"});
}

TEST(DetectFenceWait, NoDataNaNAndNormalStepsFindNothing) {
  Store st;
  Rules r;
  EXPECT_TRUE(run_detectors(st, r, at(0)).empty());
  put(st, "mac1", "step.fence_wait_ms", 0, kUnknown);
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(1), out);
  EXPECT_TRUE(out.empty());
  healthy_steps(st, "mac1");
  detect_fence_wait(st, r, at(1.2), out);
  EXPECT_TRUE(out.empty());
}

TEST(DetectFenceWait, AbsoluteAndRelativeThresholds) {
  Store st;
  Rules r;
  healthy_steps(st, "mac1");
  put(st, "mac1", "step.fence_wait_ms", 1.2, 15.0); // > 10 ms absolute
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(1.3), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].node, "mac1");
  EXPECT_DOUBLE_EQ(out[0].value, 15.0);
  EXPECT_DOUBLE_EQ(out[0].threshold, 10.0);
  EXPECT_NE(out[0].message.find("median"), std::string::npos);

  // A garbled line's value reads in four figures, not the hundred digits of {:.1f}.
  put(st, "mac1", "step.fence_wait_ms", 1.25, 9e99);
  out.clear();
  detect_fence_wait(st, r, at(1.3), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].message.find("fence_wait took 9e+99 ms on the step"), std::string::npos)
      << out[0].message;
  EXPECT_LT(out[0].message.size(), 200u) << out[0].message;
  st = Store{};
  healthy_steps(st, "mac1");
  put(st, "mac1", "step.fence_wait_ms", 1.2, 15.0);

  r.fence_wait.abs_ms = 1000; // only the relative test remains: median ~0.65 ms x 20
  out.clear();
  detect_fence_wait(st, r, at(1.3), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(out[0].threshold, 15.0);
  EXPECT_GT(out[0].threshold, 10.0);
}

// The median is over the newest median_window known steps up to `now`: a NaN, a step past
// `now` and a step older than the window all stay out of it.
TEST(DetectFenceWait, MedianTakesTheNewestKnownStepsUpToNow) {
  Store st;
  Rules r;
  r.fence_wait.abs_ms = 1000;
  r.fence_wait.median_multiple = 3;
  r.fence_wait.median_window = 5;
  r.fence_wait.min_samples = 3;
  put(st, "mac1", "step.fence_wait_ms", 0, 50.0); // sixth known step back: outside
  put(st, "mac1", "step.fence_wait_ms", 1, 1.0);
  put(st, "mac1", "step.fence_wait_ms", 2, 2.0);
  put(st, "mac1", "step.fence_wait_ms", 3, kUnknown);
  put(st, "mac1", "step.fence_wait_ms", 4, 3.0);
  put(st, "mac1", "step.fence_wait_ms", 5, 4.0);
  put(st, "mac1", "step.fence_wait_ms", 6, 20.0);  // the spike
  put(st, "mac1", "step.fence_wait_ms", 9, 500.0); // after `now`: not yet
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(7), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].value, 20.0);
  EXPECT_DOUBLE_EQ(out[0].threshold, 9.0); // 3 x the median of {20, 4, 3, 2, 1}
  EXPECT_NE(out[0].message.find("its median is 3.00 ms"), std::string::npos) << out[0].message;
}

// Fast steps wait ~0.03 ms on their fence, with a tail to 1 ms: 30 times the median, yet the
// seeds' normal range. Below relative_floor_ms only the absolute test fires; above it the
// relative one still does.
TEST(DetectFenceWait, TheRelativeTestLeavesWaitsBelowItsFloorAlone) {
  Store st;
  Rules r;
  for (int i = 0; i < 63; ++i) put(st, "mac1", "step.fence_wait_ms", i * 0.002, 0.03);
  put(st, "mac1", "step.fence_wait_ms", 0.127, 1.0);
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(0.13), out);
  EXPECT_TRUE(out.empty()) << out[0].message;
  put(st, "mac1", "step.fence_wait_ms", 0.129, 2.5);
  detect_fence_wait(st, r, at(0.13), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].value, 2.5);
  EXPECT_DOUBLE_EQ(out[0].threshold, 2.0); // the floor, above 20 x 0.03 ms
}

// Where every other wait is 0.0 ms the median is 0, and a wait above the floor is above 20
// times it: the relative test was off there, while the same wait among 0.01 ms waits fired.
TEST(DetectFenceWait, AWaitAmongZerosIsRelative) {
  Store st;
  Rules r;
  for (int i = 0; i < 40; ++i) put(st, "mac1", "step.fence_wait_ms", i * 0.03, 0.0);
  put(st, "mac1", "step.fence_wait_ms", 1.2, 5.0);
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(1.25), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].value, 5.0);
  EXPECT_DOUBLE_EQ(out[0].threshold, 2.0); // the floor
  EXPECT_NE(out[0].message.find("its median is 0.00 ms"), std::string::npos) << out[0].message;
}

TEST(DetectFenceWait, OneSampleUsesOnlyAbsoluteAndOldStepsAreIgnored) {
  Store st;
  Rules r;
  put(st, "mac1", "step.fence_wait_ms", 0, 5.0); // one sample: no median, under abs
  std::vector<Finding> out;
  detect_fence_wait(st, r, at(0.1), out);
  EXPECT_TRUE(out.empty());
  put(st, "mac1", "step.fence_wait_ms", 1, 50.0);
  detect_fence_wait(st, r, at(100), out); // 99 s old: not fresh
  EXPECT_TRUE(out.empty());
  detect_fence_wait(st, r, at(1.5), out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(DetectStall, DeadlockShapeNamesSpinningNodeFirst) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mac2", "mbp"}) healthy_steps(st, n);
  // mac2 stops first with its GPU busy; the others take one more step, then idle.
  step(st, "mac1", 1.2, 36, 7, 0.5, 0.5, 31);
  step(st, "mbp", 1.2, 36, 7, 0.5, 0.5, 31);
  for (double t = 0; t < 40; t += 1) {
    put(st, "mac2", "gpu.power_w", t, 56);
    put(st, "mac1", "gpu.power_w", t, t < 2 ? 31 : 0.3);
    put(st, "mbp", "gpu.power_w", t, 0.0);
  }
  auto none = run_detectors(st, r, at(10)); // 9 s of silence: under the 15 s default
  EXPECT_TRUE(only(none, "step_stall").empty());
  auto f = run_detectors(st, r, at(20));
  EXPECT_EQ(only(f, "step_stall").size(), 3u);
  auto spin = only(f, "gpu_spin");
  ASSERT_EQ(spin.size(), 1u);
  EXPECT_EQ(spin[0].node, "mac2");
  auto cluster = only(f, "cluster_stall");
  ASSERT_EQ(cluster.size(), 1u);
  EXPECT_EQ(cluster[0].subject, "mac2");
  EXPECT_NE(cluster[0].message.find("mac1, mbp"), std::string::npos);
  auto mbp = only(f, "step_stall");
  EXPECT_NE(mbp[2].message.find("waiting on a peer"), std::string::npos);
}

// The waiters stopped a second before the node they wait on: for that second only they were
// stalled, both idle "waiting on a peer", and the cluster_stall fired naming no culprit ("mac1,
// mbp stopped together", mac2 left out), replaced a second later by the right one. While a
// peer that may yet stall is unjudged, idle waiters name no verdict; then it names mac2.
TEST(DetectStall, IdleWaitersWaitForThePeerThatStoppedAfterThem) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mac2", "mbp"}) healthy_steps(st, n);
  for (int i = 0; i < 28; ++i) step(st, "mac2", 1.1 + i * 0.036, 36, 7, 0.5, 0.5, 30 + i);
  for (double t = 0; t < 40; t += 1) {
    put(st, "mac2", "gpu.power_w", t, 56);
    put(st, "mac1", "gpu.power_w", t, t < 2 ? 31 : 0.3);
    put(st, "mbp", "gpu.power_w", t, t < 2 ? 31 : 0.0);
  }
  auto f = run_detectors(st, r, at(16.6)); // mac1 and mbp 15.5 s silent, mac2 13.5 s
  EXPECT_EQ(only(f, "step_stall").size(), 2u);
  EXPECT_TRUE(only(f, "cluster_stall").empty()) << only(f, "cluster_stall")[0].message;
  f = run_detectors(st, r, at(18.5)); // mac2 too
  const auto cluster = only(f, "cluster_stall");
  ASSERT_EQ(cluster.size(), 1u);
  EXPECT_EQ(cluster[0].subject, "mac2") << cluster[0].message;
  // Named for its busy GPU, it did not stop first: "mac2 stopped first … mac1, mbp stopped
  // after it" was false.
  EXPECT_NE(cluster[0].message.find("cluster stalled: mac2 holds it up (last step"),
            std::string::npos)
      << cluster[0].message;
  EXPECT_NE(cluster[0].message.find("mac1, mbp stopped before it and are waiting on it"),
            std::string::npos)
      << cluster[0].message;
}

// A node whose every stream went silent (stale: a frozen sshd on a link that still answers)
// or whose followed log's stream is down (its tail restarting after a backoff) cannot bring
// its steps: its silence is no hang. A critical step_stall ("no step for 16 s while
// generating") fired before the node_down, or while the engine wrote steps all along.
TEST(DetectStall, ANodeOutOfSightOrWithItsLogDownIsNotJudgedFromItsSilence) {
  for (const bool stale : {true, false}) {
    Store st;
    Rules r;
    st.apply(NodeStatus{"mac1", "", NodeState::up, "", at(0)});
    healthy_steps(st, "mac1");
    if (stale)
      st.apply(NodeStatus{"mac1", "", NodeState::stale, "no data for 5 s", at(3)});
    else
      st.apply(NodeStatus{"mac1", "log:/x.log", NodeState::down, "tail exited", at(1.2)});
    const auto f = run_detectors(st, r, at(20));
    EXPECT_TRUE(only(f, "step_stall").empty()) << stale << ": " << only(f, "step_stall")[0].message;
    if (stale) {
      // Down 22 s after the freeze (ssh's keepalives gave up), 24 s after its last step: the
      // outage began at the freeze, and the step_stall fired at the down.
      st.apply(NodeStatus{"mac1", "", NodeState::down, "node stopped answering", at(25)});
      for (const double t : {25.0, 26.0, 40.0})
        EXPECT_TRUE(only(run_detectors(st, r, at(t)), "step_stall").empty()) << t;
      // Back, and still no step `after` later: judged again.
      st.apply(NodeStatus{"mac1", "", NodeState::up, "", at(50)});
      EXPECT_TRUE(only(run_detectors(st, r, at(55)), "step_stall").empty());
      EXPECT_EQ(only(run_detectors(st, r, at(70)), "step_stall").size(), 1u);
      continue;
    }
    // The stream back and still no step: judged again.
    st.apply(NodeStatus{"mac1", "log:/x.log", NodeState::up, "", at(21)});
    EXPECT_EQ(only(run_detectors(st, r, at(22)), "step_stall").size(), 1u);
  }
}

// A quiet peer with a slow cadence (a step a second: a 50 s threshold) and its GPU busy is
// waited for until it is judged: cut short at one `after`, the verdict named a waiter first,
// then the peer in a second critical.
TEST(DetectStall, IdleWaitersWaitForASlowPeerUntilItIsJudged) {
  Store st;
  Rules r;
  for (const char *n : {"n1", "n2"}) healthy_steps(st, n, 9.0); // to ~10 s
  for (int i = 0; i <= 10; ++i) step(st, "n3", i * 1.0, 900, 7, 0.5, 0.5, i);
  for (double t = 0; t < 90; t += 1) {
    put(st, "n1", "gpu.power_w", t, t < 11 ? 31 : 0.3);
    put(st, "n2", "gpu.power_w", t, t < 11 ? 31 : 0.3);
    put(st, "n3", "gpu.power_w", t, 56);
  }
  EXPECT_TRUE(only(run_detectors(st, r, at(45)), "cluster_stall").empty());
  const auto f = only(run_detectors(st, r, at(62)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "n3") << f[0].message;
}

// Waiting for a peer is for a quiet one that stopped about when they did: with a third node
// still stepping, two idle nodes that hung got no cluster_stall at all.
TEST(DetectStall, IdleWaitersDoNotWaitForAPeerThatKeepsGenerating) {
  Store st;
  Rules r;
  for (const char *n : {"n1", "n2"}) healthy_steps(st, n);
  for (int i = 0; i < 900; ++i) step(st, "n3", i * 0.036, 36, 7, 0.5, 0.5, i); // to 32.4 s
  for (double t = 0; t < 40; t += 1)
    for (const char *n : {"n1", "n2", "n3"}) put(st, n, "gpu.power_w", t, t < 2 ? 31 : 0.3);
  const auto f = only(run_detectors(st, r, at(20)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "") << f[0].message; // n1 and n2 stopped together
  EXPECT_NE(f[0].message.find("n1, n2 stopped together"), std::string::npos) << f[0].message;
}

// Logs alone (no GPU samples): the one node whose last step waited long on its fence is the
// one stuck in it, not the node whose last step came a few milliseconds earlier (mac1 was
// named, while mac2's fence_wait_stall fired at 22.7 ms).
TEST(DetectStall, WithoutGpuDataTheNodeStuckOnItsFenceIsTheCulprit) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mac2", "mbp"}) healthy_steps(st, n);
  step(st, "mac1", 1.10, 36, 7, 0.5, 0.6, 31);
  step(st, "mbp", 1.12, 36, 7, 0.5, 0.7, 31);
  step(st, "mac2", 1.14, 56, 7, 0.5, 22.7, 31);
  const auto f = only(run_detectors(st, r, at(20)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "mac2") << f[0].message;
  EXPECT_NE(f[0].message.find("its last step waited 22.7 ms on its GPU fence"), std::string::npos)
      << f[0].message;
  // Two such nodes tell nothing apart: the earliest last step again.
  step(st, "mac1", 1.16, 56, 7, 0.5, 25.0, 32);
  const auto two = only(run_detectors(st, r, at(20)), "cluster_stall");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].subject, "mbp") << two[0].message;
}

// One node down explains the others; two down together (a switch, a power blip) explain
// nothing about each other: naming the last in order as the culprit flipped it as they came
// back. With a node left waiting, the finding names the down ones and it, with no culprit.
TEST(DetectStall, NodesDownTogetherNameNoCulprit) {
  for (const bool third_waits : {false, true}) {
    Store st;
    Rules r;
    std::vector<std::string> nodes = {"mac1", "mac2"};
    if (third_waits) nodes.push_back("mbp");
    for (const auto &n : nodes) {
      st.apply(NodeStatus{n, "", NodeState::up, "", at(0)});
      healthy_steps(st, n);
    }
    st.apply(NodeStatus{"mac1", "", NodeState::down, "connection refused", at(2)});
    auto one = only(run_detectors(st, r, at(20)), "cluster_stall");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].subject, "mac1"); // the one down: the culprit
    st.apply(NodeStatus{"mac2", "", NodeState::down, "connection refused", at(3)});
    const auto f = only(run_detectors(st, r, at(20)), "cluster_stall");
    if (!third_waits) {
      EXPECT_TRUE(f.empty()) << f[0].message; // their node_down alerts say it all
      continue;
    }
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].subject, "");
    EXPECT_NE(f[0].message.find("mac1, mac2 are down; mbp"), std::string::npos) << f[0].message;
  }
}

// Two nodes lost together while all three generate; the first one back is settling (its
// log's backlog still to come) while the other is still down: nothing is known to hang, and
// "node3 holds it up" paged critical for the 7 s until the backlog came. A cluster_stall
// already firing is kept meanwhile.
TEST(DetectStall, NodesBackFromAnOutageStartNoClusterStall) {
  Store st;
  Rules r;
  AlertBook book(r);
  for (const char *n : {"n1", "n2", "n3"}) {
    st.apply(NodeStatus{n, "", NodeState::up, "", at(0)});
    healthy_steps(st, n);
  }
  st.apply(NodeStatus{"n1", "", NodeState::down, "connection refused", at(4)});
  st.apply(NodeStatus{"n3", "", NodeState::down, "connection refused", at(4)});
  int firings = 0;
  for (double t = 1.5; t < 45; t += 0.5) {                           // n1 settles until 45
    step(st, "n2", t, 36.0, 7.0, 0.5, 0.3, static_cast<int>(t * 2)); // n2 generates throughout
    if (t == 30) st.apply(NodeStatus{"n1", "", NodeState::up, "", at(30)});
    const auto f = run_detectors(st, r, at(t));
    for (const auto &c : only(f, "cluster_stall")) EXPECT_TRUE(c.sustain_only) << t << c.message;
    for (const auto &tr : book.update(f, at(t)))
      firings += tr.finding.rule == "cluster_stall" ? 1 : 0;
  }
  EXPECT_EQ(firings, 0);
  // n1's backlog never came and n2 hung too: judged, a cluster_stall again.
  const auto f = only(run_detectors(st, r, at(70)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].sustain_only) << f[0].message;
}

// A frozen node (stale: every stream silent, its link open) stopped first and its peers wait
// on it: it is the culprit, as a down one is (left out, mac2 was named for stopping 33 ms
// before mac1). When the cluster comes back, the node that resumes first is a few hundred ms
// ahead of the others: no new cluster_stall names one of those still behind it (a second
// critical blamed a waiter).
TEST(DetectStall, AStaleNodeIsTheCulpritAndAResumingClusterNamesNoWaiter) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mac2", "mbp"}) {
    st.apply(NodeStatus{n, "", NodeState::up, "", at(0)});
    healthy_steps(st, n);
  }
  step(st, "mbp", 1.10, 36, 7, 0.5, 0.5, 31);
  step(st, "mac2", 1.133, 36, 7, 0.5, 0.5, 31);
  step(st, "mac1", 1.166, 36, 7, 0.5, 0.5, 31);
  st.apply(NodeStatus{"mbp", "", NodeState::stale, "no data", at(10)});
  auto f = only(run_detectors(st, r, at(20)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "mbp") << f[0].message;
  EXPECT_NE(f[0].message.find("node stale"), std::string::npos) << f[0].message;
  // Back: mbp steps again at 60 s, mac1 and mac2 300 ms later.
  st.apply(NodeStatus{"mbp", "", NodeState::up, "", at(59)});
  healthy_steps(st, "mbp", 60, 5);
  f = only(run_detectors(st, r, at(60.2)), "cluster_stall");
  EXPECT_TRUE(f.empty()) << f[0].message;
  // A node that never stopped is no resumption: the two that did are still a cluster stall.
  Store other;
  for (const char *n : {"n1", "n2"}) healthy_steps(other, n);
  for (int i = 0; i < 600; ++i) step(other, "n3", i * 0.036, 36, 7, 0.5, 0.5, i);
  EXPECT_EQ(only(run_detectors(other, r, at(20)), "cluster_stall").size(), 1u);
}

// Every node reading a long prompt (GPUs busy) after last steps that arrived in one read of
// the transports, 11 µs apart: they stopped together, and none is named. "mac1 stopped
// first ... mac2, mac3 are waiting on it" named a node by a few microseconds.
TEST(DetectStall, LastStepsOfOneReadStoppedTogether) {
  Rules r;
  // Three busy nodes whose last steps are `gap` seconds apart; the cluster_stall at 20 s.
  const auto stall = [&](double gap) {
    Store st;
    const char *nodes[] = {"mac1", "mac2", "mac3"};
    for (int k = 0; k < 3; ++k) {
      healthy_steps(st, nodes[k]);
      step(st, nodes[k], 1.2 + k * gap, 36, 7, 0.5, 0.5, 31);
      for (double t = 0; t < 30; t += 1) put(st, nodes[k], "gpu.power_w", t, 56);
    }
    return only(run_detectors(st, r, at(20)), "cluster_stall");
  };
  const auto f = stall(11e-6);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "") << f[0].message;
  EXPECT_NE(f[0].message.find("mac1, mac2, mac3 stopped together"), std::string::npos)
      << f[0].message;
  const auto g = stall(0.03); // 30 ms apart is an order: the first is named
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].subject, "mac1") << g[0].message;
}

// A runner that crashed, then the cluster's restart: exo logs `runner ready` on each node,
// the crashed node's 25 ms before the others'. In between, a second critical cluster_stall
// named mac2, a waiter with an idle GPU, as the one that "stopped first". The restart is the
// cluster coming back, as a resume is: no new verdict.
TEST(DetectStall, ARestartingClusterNamesNoWaiter) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mac2", "mac3"}) {
    healthy_steps(st, n);
    for (double t = 0; t < 40; t += 1) put(st, n, "gpu.power_w", t, t < 2 ? 31 : 0.3);
  }
  st.add_event(LogEvent{"mac1",
                        "log:x",
                        at(1.15),
                        "ERROR",
                        {"crash"},
                        Severity::critical,
                        "Runner terminated with signal=6"});
  step(st, "mac2", 1.5, 36, 7, 0.5, 0.5, 31);
  step(st, "mac3", 1.5, 36, 7, 0.5, 0.5, 31);
  auto f = only(run_detectors(st, r, at(20)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "mac1") << f[0].message;
  put(st, "mac1", "runner.ready", 36.0, 1);
  f = only(run_detectors(st, r, at(36.01)), "cluster_stall");
  EXPECT_TRUE(f.empty()) << f[0].message;
  // A node whose request ended before the others stopped is no restart: they still stall.
  Store idle;
  for (const char *n : {"n1", "n2"}) healthy_steps(idle, n);
  for (int i = 0; i < 10; ++i) step(idle, "n3", i * 0.036, 36, 7, 0.5, 0.5, i);
  put(idle, "n3", "runner.ready", 0.4, 1);
  EXPECT_EQ(only(run_detectors(idle, r, at(20)), "cluster_stall").size(), 1u);
}

// NCCL's watchdog times out on every rank of a hung collective ten minutes in, and the first
// to time out is one that waited: such a crash, long after its node stopped, names no
// culprit. It turned "stopped together" into "gpu2 stopped first", with a second critical.
TEST(DetectStall, ACrashLongAfterTheStopNamesNoCulprit) {
  Store st;
  Rules r;
  for (const char *n : {"gpu1", "gpu2"}) healthy_steps(st, n);
  auto f = only(run_detectors(st, r, at(30)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "");
  nccl_watchdog(st, "gpu2", 600);
  nccl_watchdog(st, "gpu1", 602);
  f = only(run_detectors(st, r, at(605)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "") << f[0].message;
  EXPECT_NE(f[0].message.find("stopped together"), std::string::npos) << f[0].message;
  // A runner that dies within two minutes of its stop (exo's, 16-60 s into a Metal hang) is
  // still the one the others wait on.
  Store soon;
  for (const char *n : {"gpu1", "gpu2"}) healthy_steps(soon, n);
  nccl_watchdog(soon, "gpu2", 45);
  f = only(run_detectors(soon, r, at(50)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "gpu2") << f[0].message;
}

// A GPU that stays busy is a state its samples hold, not one sample: a stalled node idle for
// 45 s whose first busy sample came as the cluster resumed, before its first step line, paged
// gpu_spin ("restart the runner on this node") on a healthy node. Two busy samples in a row
// still do, and so does a GPU busy all along.
TEST(DetectStall, OneBusySampleAfterAnIdleStallIsNoSpin) {
  Store st;
  Rules r;
  healthy_steps(st, "mac1");
  for (double t = 0; t < 46; t += 1) put(st, "mac1", "gpu.active_ratio", t, t < 2 ? 0.9 : 0.02);
  put(st, "mac1", "gpu.active_ratio", 46, 0.93);
  auto f = run_detectors(st, r, at(46.1));
  EXPECT_TRUE(only(f, "gpu_spin").empty());
  auto stall = only(f, "step_stall");
  ASSERT_EQ(stall.size(), 1u);
  EXPECT_NE(stall[0].message.find("GPU idle"), std::string::npos) << stall[0].message;
  put(st, "mac1", "gpu.active_ratio", 47, 0.91);
  f = run_detectors(st, r, at(47.1));
  ASSERT_EQ(only(f, "gpu_spin").size(), 1u);
  EXPECT_NE(only(f, "gpu_spin")[0].message.find("91% residency"), std::string::npos);
  Store spin;
  healthy_steps(spin, "mac2");
  for (double t = 0; t < 30; t += 1) put(spin, "mac2", "gpu.active_ratio", t, 0.95);
  EXPECT_EQ(only(run_detectors(spin, r, at(29.5)), "gpu_spin").size(), 1u);
}

// A server watched alone waits on no peer: a real H100's idle stall said "GPU idle (0%
// utilisation): waiting on a peer" with no other node watched. With a peer it still does.
TEST(DetectStall, AnIdleGpuWaitsOnAPeerOnlyWhereThereIsOne) {
  Store st;
  Rules r;
  healthy_steps(st, "gpu1");
  for (double t = 0; t < 40; t += 1) put(st, "gpu1", "gpu.util_pct", t, t < 3 ? 95 : 0);
  auto f = only(run_detectors(st, r, at(30)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("GPU idle (0% utilisation)"), std::string::npos) << f[0].message;
  EXPECT_EQ(f[0].message.find("peer"), std::string::npos) << f[0].message;
  healthy_steps(st, "gpu2", 0, 840); // generating on, to 30 s
  f = only(run_detectors(st, r, at(30)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("waiting on a peer"), std::string::npos) << f[0].message;
  // ... unless the config puts that node in a cluster of its own.
  r.node_cluster = {{"gpu1", "a"}, {"gpu2", "b"}};
  f = only(run_detectors(st, r, at(30)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message.find("peer"), std::string::npos) << f[0].message;
}

// Independent servers (each its own [[node]] cluster) that hang apart are two step_stalls, not
// a cluster_stall naming one as the one the other "is waiting on"; nodes of one named cluster
// are judged together, and two clusters stalled at once are two cluster_stalls.
TEST(DetectStall, ClustersAreJudgedEachByItself) {
  Store st;
  Rules r;
  healthy_steps(st, "vllm1");
  healthy_steps(st, "vllm2", 0.5);
  auto f = only(run_detectors(st, r, at(40)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u) << "one unnamed cluster, as before";
  r.node_cluster = {{"vllm1", "left"}, {"vllm2", "right"}};
  auto all = run_detectors(st, r, at(40));
  EXPECT_TRUE(only(all, "cluster_stall").empty());
  EXPECT_EQ(only(all, "step_stall").size(), 2u);
  healthy_steps(st, "mac1", 1.0);
  healthy_steps(st, "mac2", 1.5);
  r.node_cluster = {{"vllm1", "vllm"}, {"vllm2", "vllm"}, {"mac1", "exo"}, {"mac2", "exo"}};
  f = only(run_detectors(st, r, at(40)), "cluster_stall");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].subject, f[1].subject);
  std::string both = f[0].message + " | " + f[1].message;
  EXPECT_NE(both.find("cluster vllm stalled: vllm1 stopped first"), std::string::npos) << both;
  EXPECT_NE(both.find("cluster exo stalled: mac1 stopped first"), std::string::npos) << both;
  EXPECT_EQ(both.find("mac1, vllm"), std::string::npos) << both;
}

// A node that crashed within moments of its own stop, but minutes after another node had
// stopped, cannot have stopped that one: gpu1 went quiet at 1 s, gpu2 generated until 190 s
// and died there of a CUDA OOM. The crash named gpu2 the one gpu1 "is waiting on".
TEST(DetectStall, ACrashMinutesAfterAnotherNodeStoppedIsNotItsCause) {
  Store st;
  Rules r;
  healthy_steps(st, "gpu1");
  for (int i = 0; i < 190 * 10; ++i) step(st, "gpu2", i * 0.1, 36.0, 7.0, 0.5, 0.5, i);
  st.add_event(LogEvent{"gpu2",
                        "log:x",
                        at(190.5),
                        "ERROR",
                        {"cuda_oom"},
                        Severity::critical,
                        "torch.OutOfMemoryError: CUDA out of memory."});
  const auto f = only(run_detectors(st, r, at(215)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "gpu1") << f[0].message;
  EXPECT_EQ(f[0].message.find("crashed"), std::string::npos) << f[0].message;
}

// vLLM and SGLang stamp their reports to the second: two nodes whose last reports carry the
// same stamp stopped together, and the cluster_stall named whichever came first on the
// command line as the one the other waited on ("n2 stopped after it").
TEST(DetectStall, NodesThatStoppedAtTheSameStampNameNoCulprit) {
  const auto reports = [](Store &st, const std::string &node, double until) {
    for (double t = 0; t <= until; t += 10) put(st, node, "gen.tokens_per_s", t, 300);
  };
  Store st;
  Rules r;
  reports(st, "n1", 300);
  reports(st, "n2", 300);
  auto f = only(run_detectors(st, r, at(340)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "");
  EXPECT_NE(f[0].message.find("cluster stalled: n1, n2 stopped together (last progress "),
            std::string::npos)
      << f[0].message;
  EXPECT_EQ(f[0].message.find("after"), std::string::npos) << f[0].message;
  reports(st, "n3", 310);
  f = only(run_detectors(st, r, at(360)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("n1, n2 stopped together"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].message.find("; n3 stopped after them and waiting on them"), std::string::npos)
      << f[0].message;
  Store apart;
  reports(apart, "n1", 290);
  reports(apart, "n2", 300);
  f = only(run_detectors(apart, r, at(340)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "n1") << "a report earlier: the one that stopped first";
}

// Two nodes stopped together and both logged a crash: the one that crashed first is the one
// the other waited on. gpu1's NCCL watchdog fires ten minutes after gpu2 ran out of memory,
// and taking the newest crash moved the blame to gpu1, with a new critical alert saying the
// dead gpu2 was waiting on it.
TEST(DetectStall, OfNodesThatCrashedTheFirstCrashIsTheCulprit) {
  for (const bool first_in_order_crashed_first : {false, true}) {
    Store st;
    Rules r;
    for (const char *n : {"gpu1", "gpu2"}) healthy_steps(st, n);
    const char *first = first_in_order_crashed_first ? "gpu1" : "gpu2";
    const char *later = first_in_order_crashed_first ? "gpu2" : "gpu1";
    st.add_event(LogEvent{first,
                          "log:x",
                          at(13),
                          "ERROR",
                          {"cuda_oom"},
                          Severity::critical,
                          "torch.OutOfMemoryError: CUDA out of memory."});
    auto f = only(run_detectors(st, r, at(30)), "cluster_stall");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].subject, first);
    nccl_watchdog(st, later, 600);
    f = only(run_detectors(st, r, at(605)), "cluster_stall");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].subject, first) << f[0].message;
    // Their last steps are one: it "holds it up", not "stopped first", and the other stopped
    // "around it".
    EXPECT_NE(f[0].message.find(std::string(first) + " holds it up"), std::string::npos)
        << f[0].message;
    EXPECT_NE(f[0].message.find(std::string(later) + " stopped around it and is waiting on it"),
              std::string::npos)
        << f[0].message;
  }
}

// A node that went down with its GPU busy: its last sample said 92 % and its steps stopped,
// which read as the deadlock ("restart the runner") next to its node_down. Down, its GPU
// state is old and its node_down speaks: no step_stall or gpu_spin of its own, and it is the
// culprit the others wait on. Back up, its silence is judged once `after` of it has been
// watched: a sample that arrives before the log's backlog is no deadlock.
TEST(DetectStall, ADownOrJustReconnectedNodeIsNotJudgedFromItsSilence) {
  Store st;
  Rules r;
  for (const char *n : {"mac1", "mbp"}) {
    st.apply(NodeStatus{n, "", NodeState::up, "", at(0)});
    healthy_steps(st, n);
  }
  for (double t = 0; t <= 2; t += 1) put(st, "mbp", "gpu.active_ratio", t, 0.92);
  st.apply(NodeStatus{"mbp", "", NodeState::down, "connection refused", at(2)});
  auto f = run_detectors(st, r, at(20));
  EXPECT_TRUE(only(f, "gpu_spin").empty());
  ASSERT_EQ(only(f, "step_stall").size(), 1u);
  EXPECT_EQ(only(f, "step_stall")[0].node, "mac1");
  ASSERT_EQ(only(f, "cluster_stall").size(), 1u);
  EXPECT_EQ(only(f, "cluster_stall")[0].subject, "mbp");

  st.apply(NodeStatus{"mbp", "", NodeState::up, "", at(60)});
  put(st, "mbp", "gpu.active_ratio", 60, 0.92); // the sampler's first line, before the backlog
  f = run_detectors(st, r, at(60));
  EXPECT_TRUE(only(f, "gpu_spin").empty()) << "reconnected a moment ago";
  for (const auto &s : only(f, "step_stall")) EXPECT_NE(s.node, "mbp");
  healthy_steps(st, "mbp", 60); // the backlog and new steps arrive
  EXPECT_TRUE(only(run_detectors(st, r, at(61.2)), "gpu_spin").empty());
  put(st, "mbp", "gpu.active_ratio", 80, 0.92);
  EXPECT_EQ(only(run_detectors(st, r, at(80)), "gpu_spin").size(), 1u)
      << "watched for 20 s since: a silence with a busy GPU is the deadlock again";
}

// A node that hung, then whose connection flapped (down 3 s every 15 s, each outage shorter
// than node_down's `for`): its stall was cleared at the first reconnect and never said again,
// while it stayed hung for minutes. A node that had stopped before an outage stays stalled
// through it, down or back up.
TEST(DetectStall, AHungNodeWhoseLinkFlapsStaysStalled) {
  Store st;
  Rules r;
  st.apply(NodeStatus{"mac1", "", NodeState::up, "", at(0)});
  healthy_steps(st, "mac1"); // the last step at ~1.04 s, then the hang
  for (double t = 30; t < 300; t += 15) {
    st.apply(NodeStatus{"mac1", "", NodeState::down, "connection lost", at(t)});
    for (double tick = t; tick < t + 3; tick += 1)
      EXPECT_EQ(only(run_detectors(st, r, at(tick)), "step_stall").size(), 1u) << "down " << tick;
    st.apply(NodeStatus{"mac1", "", NodeState::up, "", at(t + 3)});
    for (double tick = t + 3; tick < t + 15; tick += 1)
      EXPECT_EQ(only(run_detectors(st, r, at(tick)), "step_stall").size(), 1u) << "up " << tick;
  }
  EXPECT_TRUE(only(run_detectors(st, r, at(40)), "gpu_spin").empty());
}

// A streamed SGLang request's possible normal end is a warning; with the GPU still busy it is
// no end but the deadlock, critical (it said "spinning ... this may be its normal end"), and
// with the GPU idle it is not said to wait on a peer.
TEST(DetectStall, AStreamedRequestsPossibleEndFollowsTheGpu) {
  for (const double util : {100.0, 0.0}) {
    Store st;
    Rules r;
    put(st, "s", "req.completed", 0, 1); // the stream's access line, at its start
    for (double t = 1; t <= 60; t += 1) {
      put(st, "s", "gen.tokens_per_s", t, 40);
      put(st, "s", "req.running", t, 1);
    }
    for (double t = 60; t <= 90; t += 1) put(st, "s", "gpu.util_pct", t, util);
    const auto f = only(run_detectors(st, r, at(90)), "step_stall");
    ASSERT_EQ(f.size(), 1u) << util;
    if (util > 50) {
      EXPECT_EQ(f[0].severity, Severity::critical);
      EXPECT_EQ(f[0].message.find("normal end"), std::string::npos) << f[0].message;
    } else {
      EXPECT_EQ(f[0].severity, Severity::warning);
      EXPECT_NE(f[0].message.find("GPU idle (0% utilisation); the request's access line"),
                std::string::npos)
          << f[0].message;
    }
  }
}

// An engine that reports rates (vLLM, SGLang, llama.cpp) logs no steps and no fence_wait and
// runs no exo runner: its hang with the GPU busy is said in its own words. It read "no step
// ... spinning in fence_wait" and "the fence_wait deadlock shape ... restart the runner".
TEST(DetectStall, AReportingEnginesHangIsSaidInItsOwnWords) {
  Store st;
  Rules r;
  for (double t = 0; t <= 300; t += 10) {
    put(st, "v", "gen.tokens_per_s", t, 1000);
    put(st, "v", "req.running", t, 18);
  }
  for (double t = 300; t <= 340; t += 1) put(st, "v", "gpu.util_pct", t, 95);
  const auto all = run_detectors(st, r, at(340));
  const auto stall = only(all, "step_stall");
  const auto spin = only(all, "gpu_spin");
  ASSERT_EQ(stall.size(), 1u);
  ASSERT_EQ(spin.size(), 1u);
  EXPECT_NE(stall[0].message.find("no progress for 40 s while generating (last progress "),
            std::string::npos)
      << stall[0].message;
  for (const auto &f : {stall[0], spin[0]}) {
    EXPECT_EQ(f.message.find("fence_wait"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("exo"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("runner"), std::string::npos) << f.message;
  }
  EXPECT_NE(spin[0].message.find("restart the server on this node"), std::string::npos)
      << spin[0].message;
}

// SGLang at 1 step/s prints a Decode batch every 40 s; a request's access line (not streamed:
// at its end) comes up to one report after the last one. 25 s after was past `after` (15 s)
// and no end: the idle server's critical step_stall at 55 s never resolved. The same silence
// without the access line is the hang it was.
TEST(DetectStall, ARequestsEndWithinOneSlowReportOfItsLastIsAnEnd) {
  for (const bool answered : {true, false}) {
    Store st;
    Rules r;
    for (double t = 0; t <= 320; t += 40) {
      put(st, "s", "gen.tokens_per_s", t, 1.0);
      put(st, "s", "req.running", t, 1);
    }
    if (answered) put(st, "s", "req.completed", 345, 1);
    for (const double t : {376.0, 420.0})
      EXPECT_EQ(only(run_detectors(st, r, at(t)), "step_stall").size(), answered ? 0u : 1u)
          << (answered ? "answered" : "hung") << " at " << t;
  }
}

// A node whose link went down 50 s after another had hung was named the culprit the hung
// node waited on: a node down explains the others only when it stopped no later than they did.
// And a node back up from an outage stays in the cluster view while its own step_stall waits
// for its backlog: dropping out resolved the cluster_stall, which fired again 11 s later.
TEST(DetectStall, TheCulpritStoppedFirstAndAReconnectKeepsTheClusterStall) {
  Store st;
  Rules r;
  for (const char *n : {"n07", "n12", "n20"}) st.apply(NodeStatus{n, "", NodeState::up, "", at(0)});
  healthy_steps(st, "n12", 0);  // hangs at ~1 s
  healthy_steps(st, "n07", 49); // generating until ~50 s...
  healthy_steps(st, "n20", 49); // ...as this one, which then waits
  st.apply(NodeStatus{"n07", "", NodeState::down, "No route to host", at(51)});
  auto f = only(run_detectors(st, r, at(70)), "cluster_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "n12") << f[0].message;
  st.apply(NodeStatus{"n07", "", NodeState::up, "", at(80)});
  for (double t = 80; t < 100; t += 1) {
    f = only(run_detectors(st, r, at(t)), "cluster_stall");
    ASSERT_EQ(f.size(), 1u) << t;
    EXPECT_NE(f[0].message.find("n07"), std::string::npos) << t << " " << f[0].message;
  }
}

TEST(DetectStall, FinishedRequestIsNotAStallAndClockJumpBackIsNot) {
  Store st;
  Rules r;
  healthy_steps(st, "mac1");
  put(st, "mac1", "gen.tokens", 1.1, 30); // the request's summary line
  EXPECT_TRUE(only(run_detectors(st, r, at(60)), "step_stall").empty());
  Store st2;
  healthy_steps(st2, "mac1", 100);
  EXPECT_TRUE(only(run_detectors(st2, r, at(50)), "step_stall").empty()); // now < last
  EXPECT_EQ(only(run_detectors(st2, r, at(130)), "step_stall").size(), 1u);
  // Too few steps: not generating.
  Store st3;
  healthy_steps(st3, "mac1", 0, 2);
  EXPECT_TRUE(only(run_detectors(st3, r, at(60)), "step_stall").empty());
}

// SGLang prints a Decode batch line every 40 decode steps: 40 s apart for a model at 1 step/s,
// so three never fell within the 60 s active_window and a hang after ten minutes of steady
// decoding was never reported. Reports at a steady cadence count; isolated ones do not.
TEST(DetectStall, ASlowEnginesSteadyReportsAreGenerating) {
  Store st;
  Rules r;
  for (double t = 0; t <= 600; t += 40) {
    put(st, "s", "gen.tokens_per_s", t, 1.0);
    put(st, "s", "req.running", t, 1);
  }
  EXPECT_TRUE(only(run_detectors(st, r, at(600 + 50)), "step_stall").empty())
      << "one report late is not yet a stall: 15 s after the 40 s cadence";
  auto f = only(run_detectors(st, r, at(600 + 56)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_DOUBLE_EQ(f[0].threshold, 15.0 + 40.0);
  Store isolated; // three requests' single reports, minutes apart and uneven
  for (const double t : {0.0, 200.0, 260.0}) {
    put(isolated, "s", "gen.tokens_per_s", t, 30.0);
    put(isolated, "s", "req.running", t, 1);
  }
  EXPECT_TRUE(only(run_detectors(isolated, r, at(1000)), "step_stall").empty());
}

// min_steps above 33: the window of recent steps held at most 33, so a node with 100 uneven
// steps in its active_window never counted as generating, and its hang went unreported.
TEST(DetectStall, MinStepsAboveThirtyThreeCountsEveryStep) {
  Store st;
  Rules r;
  r.stall.min_steps = 40;
  double last = 0;
  for (int i = 0; i < 100; ++i) { // 0.2 to 0.7 s apart: 45 s of steps
    put(st, "mac1", "step.eval_ms", last, 36);
    last += 0.2 + 0.5 * ((i * 7) % 10) / 10.0;
  }
  // Past the threshold: 50 times the median interval (~0.45 s).
  auto f = only(run_detectors(st, r, at(last + 40)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::critical);
  r.stall.min_steps = 101; // more than came: not generating
  EXPECT_TRUE(only(run_detectors(st, r, at(last + 40)), "step_stall").empty());
}

TEST(DetectStall, RateEnginesStallWhenRunningWithZeroThroughput) {
  Store st;
  Rules r;
  for (int i = 0; i < 10; ++i) {
    put(st, "gpu1", "gen.tokens_per_s", i * 5.0, 40);
    put(st, "gpu1", "req.running", i * 5.0, 2);
  }
  for (int i = 10; i < 20; ++i) {
    put(st, "gpu1", "gen.tokens_per_s", i * 5.0, 0.0); // vLLM keeps logging 0.0 tokens/s
    put(st, "gpu1", "req.running", i * 5.0, 2);
  }
  auto f = only(run_detectors(st, r, at(95)), "step_stall");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("GPU state unknown"), std::string::npos);
  put(st, "gpu1", "req.running", 96, 0); // finished
  EXPECT_TRUE(only(run_detectors(st, r, at(97)), "step_stall").empty());
}

TEST(DetectOverhead, SeedsStepOf36msWith29msOverhead) {
  Store st;
  Rules r;
  healthy_steps(st, "mac1");
  auto f = only(run_detectors(st, r, at(1.2)), "orchestration_overhead");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0].value, 28.5 / 36.0, 1e-9);
  Store ok;
  for (int i = 0; i < 30; ++i) step(ok, "mac1", i * 0.033, 33, 30, 1, 0.5, i);
  EXPECT_TRUE(only(run_detectors(ok, r, at(1.2)), "orchestration_overhead").empty());
  Store few; // fewer than min_samples steps, or parts missing
  for (int i = 0; i < 3; ++i) step(few, "mac1", i * 0.036, 36, 7, 0.5, 0.5, i);
  put(few, "mac1", "step.eval_ms", 0.2, 36);
  EXPECT_TRUE(only(run_detectors(few, r, at(0.3)), "orchestration_overhead").empty());
}

// Steps that stopped are a stall's case, not overhead's: the overhead of the last steps fired
// 26 s into a fence_wait deadlock ("time lost outside the GPU" beside gpu_spin), and on a
// node that was down.
TEST(DetectOverhead, StepsThatStoppedOrANodeDownAreNoOverhead) {
  Store st;
  Rules r;
  healthy_steps(st, "mac1"); // the last at ~1.04 s
  EXPECT_EQ(only(run_detectors(st, r, at(10)), "orchestration_overhead").size(), 1u);
  EXPECT_TRUE(only(run_detectors(st, r, at(17)), "orchestration_overhead").empty())
      << "no step for the stall's `after` (15 s)";
  st.apply(NodeStatus{"mac1", "", NodeState::down, "connection refused", at(5)});
  EXPECT_TRUE(only(run_detectors(st, r, at(10)), "orchestration_overhead").empty());
}

// A step's parts are the model and gpu_eval points with its timestamp: a step without a
// gpu_eval counts it as 0, one whose model is unknown or carries another time is left out,
// and a step after `now` is not yet.
TEST(DetectOverhead, PartsAreMatchedByTheStepsTimestamp) {
  Store st;
  const Rules r;
  for (int i = 0; i < 10; ++i) {
    const double t = i * 0.1;
    put(st, "mac1", "step.eval_ms", t, 40);
    const double model = 10.0 + i;
    if (i == 5)
      put(st, "mac1", "step.model_ms", t, kUnknown);
    else
      put(st, "mac1", "step.model_ms", i == 7 ? t + 0.05 : t, model);
    if (i != 3) put(st, "mac1", "step.gpu_eval_ms", t, 2);
  }
  put(st, "mac1", "step.eval_ms", 2.0, 40); // after `now`
  put(st, "mac1", "step.model_ms", 2.0, 1);
  auto f = only(run_detectors(st, r, at(1.5)), "orchestration_overhead");
  ASSERT_EQ(f.size(), 1u);
  // Shares x 40 of steps 0-4, 6, 8, 9: 28 27 26 27 24 22 20 19; the median is (24 + 26) / 2.
  EXPECT_DOUBLE_EQ(f[0].value, 25.0 / 40.0);
  EXPECT_NE(f[0].message.find("last step: eval 40.0 ms, model 19.0 ms, gpu_eval 2.0 ms"),
            std::string::npos)
      << f[0].message;
}

// exo's bare `[STEP N]` lines take the stamp of the line before them, so several steps share
// one time: each takes its own line's parts, in order. Each took the parts of the newest of
// them (100 ms steps of 90 ms model read as 95 % overhead beside a 10 ms step's 5 ms model).
// Where the parts at a time are fewer than the steps, which is whose is unknown: left out.
TEST(DetectOverhead, StepsThatShareAStampTakeTheirPartsInOrder) {
  Store st;
  const Rules r;
  for (int k = 0; k < 20; ++k) { // two steps of 70 % overhead, then one of 20 %, per stamp
    const double t = k * 0.1;
    step(st, "mac1", t, 40, 10, 2, 0.5, 3 * k);
    step(st, "mac1", t, 40, 10, 2, 0.5, 3 * k + 1);
    step(st, "mac1", t, 40, 30, 2, 0.5, 3 * k + 2);
  }
  auto f = only(run_detectors(st, r, at(2)), "orchestration_overhead");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_DOUBLE_EQ(f[0].value, 28.0 / 40.0);
  EXPECT_NE(f[0].message.find("last step: eval 40.0 ms, model 30.0 ms, gpu_eval 2.0 ms"),
            std::string::npos)
      << f[0].message;
  Store unpaired; // per stamp, a step with its model and one without
  for (int k = 0; k < 20; ++k) {
    const double t = k * 0.1;
    step(unpaired, "mac1", t, 40, 10, 2, 0.5, 2 * k);
    put(unpaired, "mac1", "step.eval_ms", t, 40);
    put(unpaired, "mac1", "step.gpu_eval_ms", t, 2);
  }
  EXPECT_TRUE(only(run_detectors(unpaired, r, at(2)), "orchestration_overhead").empty());
}

TEST(DetectThroughput, CollapseAgainstBaselineAndIdleIsNotACollapse) {
  Store st;
  Rules r;
  double t = 0;
  for (; t < 120; t += 0.5) put(st, "mac1", "step.eval_ms", t, 33);
  EXPECT_TRUE(only(run_detectors(st, r, at(t)), "throughput_collapse").empty());
  for (double end = t + 20; t < end; t += 1) put(st, "mac1", "step.eval_ms", t, 250);
  auto f = only(run_detectors(st, r, at(t)), "throughput_collapse");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0].value, 4.0, 1e-9);
  EXPECT_NEAR(f[0].threshold, 0.4 * 1000 / 33, 1e-9);
  put(st, "mac1", "req.running", t, 0);
  EXPECT_TRUE(only(run_detectors(st, r, at(t)), "throughput_collapse").empty());
}

// vLLM logs its throughput every 10 s: the 15 s recent window held one or two reports, fewer
// than the three a median needs, and a collapse never fired. The recent part reaches back to
// the third newest report; the baseline ends where it begins.
TEST(DetectThroughput, AnEngineReportingEveryTenSecondsStillCollapses) {
  Store st;
  Rules r;
  double t = 0;
  for (; t <= 300; t += 10) put(st, "gpu1", "gen.tokens_per_s", t, 180);
  EXPECT_TRUE(only(run_detectors(st, r, at(t)), "throughput_collapse").empty());
  put(st, "gpu1", "gen.tokens_per_s", t, 20);
  EXPECT_TRUE(only(run_detectors(st, r, at(t)), "throughput_collapse").empty())
      << "one low report and two high ones: the median is not low";
  put(st, "gpu1", "gen.tokens_per_s", t + 10, 18);
  auto f = only(run_detectors(st, r, at(t + 10)), "throughput_collapse");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_DOUBLE_EQ(f[0].value, 20.0) << "the median of 180, 20 and 18";
  EXPECT_DOUBLE_EQ(f[0].threshold, 0.4 * 180);
  // Reports that stopped are a stall's case, not a collapse's.
  EXPECT_TRUE(only(run_detectors(st, r, at(t + 80)), "throughput_collapse").empty());
}

// vLLM reads a long prompt at thousands of tokens a second while its generation rate says 0.0
// for minutes ("Avg prompt throughput: 5800.0 tokens/s, Avg generation throughput: 0.0
// tokens/s, Running: 1 reqs"): that is work, neither a hang nor a collapse. A server that
// reads nothing and generates nothing with requests running still collapses, and stalls
// once its reports stop.
TEST(DetectThroughput, ALongPrefillIsNeitherAStallNorACollapse) {
  Store st;
  Rules r;
  const auto report = [&](double t, double prompt, double gen, double running) {
    put(st, "g1", "prompt.tokens_per_s", t, prompt);
    put(st, "g1", "gen.tokens_per_s", t, gen);
    put(st, "g1", "req.running", t, running);
  };
  double t = 0;
  for (; t < 300; t += 10) report(t, 0, 42, 1);
  for (const double end = t + 110; t < end; t += 10) { // 110 s: a 128K prompt at ~1200 tok/s
    report(t, 5800, 0, 1);
    for (double tick = t; tick < t + 10; tick += 5) {
      const auto f = run_detectors(st, r, at(tick));
      EXPECT_TRUE(only(f, "step_stall").empty()) << "prefill at " << tick;
      EXPECT_TRUE(only(f, "throughput_collapse").empty()) << "prefill at " << tick;
    }
  }
  for (const double end = t + 60; t < end; t += 10) report(t, 0, 0, 16);
  EXPECT_EQ(only(run_detectors(st, r, at(t - 5)), "throughput_collapse").size(), 1u)
      << "16 requests running, nothing read, nothing generated";
  EXPECT_EQ(only(run_detectors(st, r, at(t)), "step_stall").size(), 1u)
      << "reports of 0 and 0 are no progress: the last was the prefill's, 60 s ago";
}

// A burst of long prompts on a busy vLLM: chunked prefill shares each step with decoding, and
// generation falls from ~1025 to ~270 tok/s while the server reads 5200 prompt tokens a
// second and runs 30 requests, not 18. It alerted as a collapse; the server's tokens a second
// (prompt and generation) rose fivefold. The same fall with the prompts as before is one.
TEST(DetectThroughput, PromptsTakingDecodingsPlaceAreNoCollapse) {
  for (const bool burst : {true, false}) {
    Store st;
    Rules r;
    double t = 0;
    for (; t < 300; t += 10) {
      put(st, "v", "prompt.tokens_per_s", t, 120);
      put(st, "v", "gen.tokens_per_s", t, 1020 + static_cast<int>(t) % 11);
      put(st, "v", "req.running", t, 18);
    }
    bool collapsed = false;
    for (const double end = t + 60; t < end; t += 10) {
      put(st, "v", "prompt.tokens_per_s", t, burst ? 5233.1 : 120);
      put(st, "v", "gen.tokens_per_s", t, burst ? 268.8 : 100);
      put(st, "v", "req.running", t, burst ? 30 : 18);
      collapsed =
          collapsed || !only(run_detectors(st, r, at(t + 1)), "throughput_collapse").empty();
    }
    EXPECT_EQ(collapsed, !burst) << (burst ? "a burst of prompts" : "decoding slowed");
  }
}

// No prompt takes minutes to read: an engine that reports prompt throughput and a generation
// rate of 0.0 for 8 minutes with 32 requests running is stuck (a preemption loop), and it said
// nothing until its log ended. A prefill counts as progress, and its 0.0 as a pause, for 2
// minutes after generation last moved.
TEST(DetectThroughput, APrefillThatNeverEndsIsAStallAndACollapse) {
  Store st;
  Rules r;
  double t = 0;
  for (; t < 300; t += 10) {
    put(st, "g1", "prompt.tokens_per_s", t, 900);
    put(st, "g1", "gen.tokens_per_s", t, 640);
    put(st, "g1", "req.running", t, 32);
  }
  bool stalled = false, collapsed = false;
  for (const double end = t + 480; t < end; t += 10) {
    put(st, "g1", "prompt.tokens_per_s", t, 5800);
    put(st, "g1", "gen.tokens_per_s", t, 0);
    put(st, "g1", "req.running", t, 32);
    const auto f = run_detectors(st, r, at(t + 5));
    if (t < 300 + 100) {
      EXPECT_TRUE(only(f, "step_stall").empty()) << t;
      EXPECT_TRUE(only(f, "throughput_collapse").empty()) << t;
    }
    for (const auto &s : only(f, "step_stall")) {
      // The prompt reports are not the "last step": generation stopped at 290 s.
      EXPECT_NE(s.message.find(", a prompt being read; last step " + iso8601_utc(at(290))),
                std::string::npos)
          << s.message;
      EXPECT_EQ(s.message.rfind("no progress for ", 0), 0u) << s.message;
      stalled = true;
    }
    collapsed = collapsed || !only(f, "throughput_collapse").empty();
  }
  EXPECT_TRUE(stalled);
  EXPECT_TRUE(collapsed);
}

} // namespace
} // namespace clustertop
