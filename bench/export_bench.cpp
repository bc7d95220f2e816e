// Export speed: /metrics for 256 nodes (target < 10 ms) and a 256-node CSV snapshot
// (target < 50 ms), on a store filled like a busy cluster (8 GPUs per node, an hour of 1 Hz
// fence-wait history so the window scan has real work).
#include <benchmark/benchmark.h>

#include "clustertop/sink/csv.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

const TimePoint kNow = from_epoch_seconds(1'790'000'000);

Store busy_store(int nodes, int history) {
  Store store;
  for (int n = 0; n < nodes; ++n) {
    const std::string node = "node-" + std::to_string(n);
    store.apply(NodeStatus{node, "", NodeState::up, "", kNow});
    for (int i = history; i-- > 0;) {
      const TimePoint t = kNow - std::chrono::seconds(i);
      for (int g = 0; g < 8; ++g)
        store.add(Sample{node, "gpu.power_w", std::to_string(g), 250.5, t});
      for (const char *m :
           {"mem.total_bytes", "mem.available_bytes", "mem.used_bytes", "mem.swap_used_bytes",
            "mem.pressure_level", "step.eval_ms", "step.model_ms", "step.gpu_eval_ms",
            "step.fence_wait_ms", "gen.tokens_per_s", "ctx.tokens", "kv_cache.usage_pct"})
        store.add(Sample{node, m, "", 1234.5 + i, t});
    }
  }
  return store;
}

const std::vector<Finding> kFiring = {
    Finding{"fence_wait_stall", "node-3", "", Severity::critical, 40, 5, "fence wait 40 ms"},
    Finding{"oom_risk", "node-7", "", Severity::warning, 1e9, 2e9, "low memory"}};

void BM_PrometheusRender256(benchmark::State &state) {
  const Store store = busy_store(256, 60);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = render_prometheus(store, kFiring, kNow);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PrometheusRender256)->Unit(benchmark::kMillisecond);

void BM_CsvWideSnapshot256(benchmark::State &state) {
  const Store store = busy_store(256, 3600 / 16); // 4 min of history per series
  for (auto _ : state) {
    auto text = render_csv_wide(store, kFiring, kNow);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_CsvWideSnapshot256)->Unit(benchmark::kMillisecond);

// Rendering plus the atomic write (fsync included) of the 256-node wide snapshot.
void BM_CsvWideSnapshotFile256(benchmark::State &state) {
  const Store store = busy_store(256, 60);
  const std::string path = "/tmp/clustertop-export-bench.csv";
  for (auto _ : state) {
    if (!write_snapshot(store, kFiring, kNow, path, CsvFormat::wide).ok())
      state.SkipWithError("write failed");
  }
  std::remove(path.c_str());
}
BENCHMARK(BM_CsvWideSnapshotFile256)->Unit(benchmark::kMillisecond);

// Every sample of 256 nodes x 20 series x 60 points (307k rows).
void BM_CsvLongSnapshot256(benchmark::State &state) {
  const Store store = busy_store(256, 60);
  for (auto _ : state) {
    auto text = render_csv_long(store);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_CsvLongSnapshot256)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace clustertop

BENCHMARK_MAIN();
