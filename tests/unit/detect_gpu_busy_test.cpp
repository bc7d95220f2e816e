// Whether a stalled node's GPU is busy (gpu_spin, and the culprit of a cluster_stall), from
// the figures of real samplers: nvidia-smi's power and utilisation, macmon's power and
// residency.
#include <gtest/gtest.h>

#include "detect_test_util.hpp"

namespace clustertop {
namespace {

using test::at;
using test::only;
using test::put;

// vLLM-style rate reports every 5 s while 2 requests run, the last at t=45: stalled from
// t=65 (15 s + one report interval).
void rate_reports_then_silence(Store &st, const std::string &node) {
  for (int i = 0; i < 10; ++i) {
    put(st, node, "gen.tokens_per_s", i * 5.0, 1055.3);
    put(st, node, "req.running", i * 5.0, 2);
  }
}

// nvidia-smi on an idle H100 (tests/fixtures/nvidia_smi/h100_idle.csv): 70.47 W, 0 %.
void idle_h100(Store &st, const std::string &node, double from, double to) {
  for (double t = from; t < to; t += 0.5) {
    put(st, node, "gpu.power_w", t, 70.47, "0");
    put(st, node, "gpu.util_pct", t, 0, "0");
  }
}

TEST(DetectGpuBusy, AnIdleH100DrawingSeventyWattsIsIdleNotSpinning) {
  Store st;
  const Rules r;
  rate_reports_then_silence(st, "gpu1");
  idle_h100(st, "gpu1", 0, 80);
  const auto f = run_detectors(st, r, at(70));
  const auto stall = only(f, "step_stall");
  ASSERT_EQ(stall.size(), 1u);
  EXPECT_NE(stall[0].message.find("GPU idle"), std::string::npos) << stall[0].message;
  EXPECT_TRUE(only(f, "gpu_spin").empty()) << "70 W at 0 % utilisation is an idle H100";
}

TEST(DetectGpuBusy, UtilisationDecidesBusyOnNvidiaAndPowerOnlyWithoutIt) {
  Store st;
  const Rules r;
  rate_reports_then_silence(st, "gpu1");
  for (double t = 0; t < 80; t += 0.5) { // tests/fixtures/nvidia_smi: 672.08 W at 100 %
    put(st, "gpu1", "gpu.power_w", t, 672.08, "0");
    put(st, "gpu1", "gpu.util_pct", t, 100, "0");
  }
  EXPECT_EQ(only(run_detectors(st, r, at(70)), "gpu_spin").size(), 1u);
  Store mac; // a sampler with power alone (the seeds' Mac at 56 W): power decides
  rate_reports_then_silence(mac, "mac2");
  for (double t = 0; t < 80; t += 1) put(mac, "mac2", "gpu.power_w", t, 56);
  EXPECT_EQ(only(run_detectors(mac, r, at(70)), "gpu_spin").size(), 1u);
}

// gpu1's steps stopped first (its GPU sampler gave nothing); gpu2, idle at ~70 W, stopped
// after it. An idle H100 is not "the only busy GPU" that would be named the culprit.
TEST(DetectGpuBusy, AnIdleH100IsNotTakenForTheClusterStallsCulprit) {
  Store st;
  const Rules r;
  rate_reports_then_silence(st, "gpu1");
  rate_reports_then_silence(st, "gpu2");
  put(st, "gpu2", "gen.tokens_per_s", 50, 1055.3);
  put(st, "gpu2", "req.running", 50, 2);
  idle_h100(st, "gpu2", 0, 90);
  const auto f = run_detectors(st, r, at(80));
  const auto cluster = only(f, "cluster_stall");
  ASSERT_EQ(cluster.size(), 1u);
  EXPECT_EQ(cluster[0].subject, "gpu1");
  EXPECT_NE(cluster[0].message.find("gpu2 stopped after it and is waiting on it"),
            std::string::npos)
      << cluster[0].message;
  EXPECT_TRUE(only(f, "gpu_spin").empty());
}

// macmon on a Mac whose GPU spins at low power (6.2 W, under busy_power_w) with 98 %
// residency: residency decided, so the alert reports residency against busy_ratio, not the
// power against 10 W (a firing alert read "value 6.2, threshold 10", "busy (6)").
TEST(DetectGpuBusy, GpuSpinReportsTheFigureThatDecidedInItsUnit) {
  Store st;
  const Rules r;
  rate_reports_then_silence(st, "mbp");
  for (double t = 0; t < 80; t += 1) {
    put(st, "mbp", "gpu.power_w", t, 6.2);
    put(st, "mbp", "gpu.active_ratio", t, 0.98);
  }
  const auto spin = only(run_detectors(st, r, at(70)), "gpu_spin");
  ASSERT_EQ(spin.size(), 1u);
  EXPECT_DOUBLE_EQ(spin[0].value, 0.98);
  EXPECT_DOUBLE_EQ(spin[0].threshold, r.stall.busy_ratio);
  EXPECT_NE(spin[0].message.find("busy (98% residency)"), std::string::npos) << spin[0].message;

  Store nv; // utilisation decides on NVIDIA, power alone on a sampler without either
  rate_reports_then_silence(nv, "gpu1");
  rate_reports_then_silence(nv, "mac2");
  for (double t = 0; t < 80; t += 0.5) {
    put(nv, "gpu1", "gpu.power_w", t, 672.08, "0");
    put(nv, "gpu1", "gpu.util_pct", t, 100, "0");
    put(nv, "mac2", "gpu.power_w", t, 56);
  }
  const auto both = only(run_detectors(nv, r, at(70)), "gpu_spin");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_DOUBLE_EQ(both[0].value, 100);
  EXPECT_DOUBLE_EQ(both[0].threshold, r.stall.busy_util_pct);
  EXPECT_NE(both[0].message.find("busy (100% utilisation)"), std::string::npos);
  EXPECT_DOUBLE_EQ(both[1].value, 56);
  EXPECT_DOUBLE_EQ(both[1].threshold, r.stall.busy_power_w);
  EXPECT_NE(both[1].message.find("busy (56 W)"), std::string::npos);
}

} // namespace
} // namespace clustertop
