// Detectors for a 256-node cluster per tick: every series full (3600 points), as after an
// hour of 1 Hz samplers and two minutes of 30 steps/s exo step lines.
#include <benchmark/benchmark.h>
#include <string>

#include "clustertop/detect/alert_book.hpp"
#include "clustertop/detect/detectors.hpp"

namespace clustertop {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

Store make_cluster(int nodes) {
  Store st;
  const double end = 3600;
  for (int n = 0; n < nodes; ++n) {
    const std::string node = "node" + std::to_string(n);
    for (int i = 0; i < 3600; ++i) {
      const double ts = end - 120 + i / 30.0; // step lines at 30 Hz
      st.add(Sample{node, "step.eval_ms", "", 36.0 + (i % 5), at(ts)});
      st.add(Sample{node, "step.model_ms", "", 30.0, at(ts)});
      st.add(Sample{node, "step.gpu_eval_ms", "", 1.0, at(ts)});
      st.add(Sample{node, "step.fence_wait_ms", "", 0.3 + (i % 7) / 10.0, at(ts)});
      st.add(Sample{node, "step.index", "", static_cast<double>(i), at(ts)});
      st.add(Sample{node, "ctx.tokens", "", 16000.0 + i, at(ts)});
      const double t1 = i; // 1 Hz samplers over the hour
      st.add(Sample{node, "gpu.power_w", "", 31.0 + (i % 3), at(t1)});
      st.add(Sample{node, "mem.available_bytes", "", 8e9 - (i % 13) * 1e6, at(t1)});
      st.add(Sample{node, "mem.swap_used_bytes", "", 1e8, at(t1)});
      st.add(Sample{node, "mem.pressure_level", "", 0, at(t1)});
    }
    st.apply(NodeStatus{node, "", NodeState::up, "", at(0)});
  }
  return st;
}

void BM_DetectorsPerTick(benchmark::State &state) {
  const Store st = make_cluster(static_cast<int>(state.range(0)));
  const Rules rules;
  for (auto _ : state) {
    auto f = run_detectors(st, rules, at(3600.05));
    benchmark::DoNotOptimize(f);
  }
  state.SetLabel(std::to_string(state.range(0)) + " nodes");
}
BENCHMARK(BM_DetectorsPerTick)->Arg(3)->Arg(256)->Unit(benchmark::kMicrosecond);

void BM_DetectorsAndAlertBookPerTick(benchmark::State &state) {
  const Store st = make_cluster(256);
  AlertBook book{Rules{}};
  const Rules rules;
  double t = 3600.05;
  for (auto _ : state) {
    auto f = run_detectors(st, rules, at(t));
    auto tr = book.update(f, at(t));
    benchmark::DoNotOptimize(tr);
    t += 0.001;
  }
}
BENCHMARK(BM_DetectorsAndAlertBookPerTick)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace clustertop

BENCHMARK_MAIN();
