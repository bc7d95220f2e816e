// Detectors for a 256-node cluster per tick: every series full (3600 points), as after an
// hour of 1 Hz samplers and two minutes of 30 steps/s exo step lines.
#include <benchmark/benchmark.h>
#include <string>
#include <vector>

#include "clustertop/detect/alert_book.hpp"
#include "clustertop/detect/detectors.hpp"

namespace clustertop {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

// Step line `i` (30 a second) of a node; `i` keeps counting in the steady-state benchmark.
void add_step(Store &st, const std::string &node, int i, double ts) {
  st.add(Sample{node, "step.eval_ms", "", 36.0 + (i % 5), at(ts)});
  st.add(Sample{node, "step.model_ms", "", 30.0, at(ts)});
  st.add(Sample{node, "step.gpu_eval_ms", "", 1.0, at(ts)});
  st.add(Sample{node, "step.fence_wait_ms", "", 0.3 + (i % 7) / 10.0, at(ts)});
  st.add(Sample{node, "step.index", "", static_cast<double>(i), at(ts)});
  st.add(Sample{node, "ctx.tokens", "", 16000.0 + i, at(ts)});
}

// One point of each 1 Hz sampler series, second `i`.
void add_samplers(Store &st, const std::string &node, int i, double t1) {
  st.add(Sample{node, "gpu.power_w", "", 31.0 + (i % 3), at(t1)});
  st.add(Sample{node, "mem.available_bytes", "", 8e9 - (i % 13) * 1e6, at(t1)});
  st.add(Sample{node, "mem.swap_used_bytes", "", 1e8, at(t1)});
  st.add(Sample{node, "mem.pressure_level", "", 0, at(t1)});
}

std::string node_name(int n) { return "node" + std::to_string(n); }

Store make_cluster(int nodes) {
  Store st;
  const double end = 3600;
  for (int n = 0; n < nodes; ++n) {
    const std::string node = node_name(n);
    for (int i = 0; i < 3600; ++i) {
      add_step(st, node, i, end - 120 + i / 30.0); // step lines at 30 Hz
      add_samplers(st, node, i, i);                // 1 Hz samplers over the hour
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

// A node's series as Ingest holds them: found once, then written through
// Store::add(Series &, ...) with no key built or looked up per sample.
struct NodeSeries {
  Series *eval, *model, *gpu, *fence, *index, *ctx, *power, *avail, *swap, *pressure;
};

NodeSeries bind(Store &st, const std::string &node) {
  auto s = [&](const char *metric) { return &st.series_mut(SeriesKey{node, metric, ""}); };
  return {s("step.eval_ms"),       s("step.model_ms"),       s("step.gpu_eval_ms"),
          s("step.fence_wait_ms"), s("step.index"),          s("ctx.tokens"),
          s("gpu.power_w"),        s("mem.available_bytes"), s("mem.swap_used_bytes"),
          s("mem.pressure_level")};
}

// One second of a node's life, the same points as add_step and add_samplers give.
void add_second(NodeSeries &n, int second) {
  for (int j = 0; j < 30; ++j) {
    const int i = (second - 3480) * 30 + j; // continues make_cluster's step index
    const TimePoint t = at(second + j / 30.0);
    Store::add(*n.eval, t, 36.0 + (i % 5));
    Store::add(*n.model, t, 30.0);
    Store::add(*n.gpu, t, 1.0);
    Store::add(*n.fence, t, 0.3 + (i % 7) / 10.0);
    Store::add(*n.index, t, static_cast<double>(i));
    Store::add(*n.ctx, t, 16000.0 + i);
  }
  const TimePoint t1 = at(second);
  Store::add(*n.power, t1, 31.0 + (second % 3));
  Store::add(*n.avail, t1, 8e9 - (second % 13) * 1e6);
  Store::add(*n.swap, t1, 1e8);
  Store::add(*n.pressure, t1, 0);
}

// The live steady state: each iteration is one more second of the cluster's life. Every node
// gets that second's 30 step lines (6 step metrics each) and one point of every 1 Hz
// sampler, then `now` moves on a second and the detectors and the AlertBook run once, as
// Pipeline::evaluate does. Only that tick is timed: adding the samples is the ingest path's
// cost, not the detectors'. Nothing stays unchanged between ticks, so no result can come
// from a cache of the previous tick. The samples are written the way Ingest writes them
// (series found once); with `keyed` each is written by its name instead (Store::add(Sample):
// a key built and looked up in the store's map per sample), which is not the pipeline's
// path and leaves the caches far colder for the tick that follows.
void steady_state(benchmark::State &state, bool keyed) {
  const int nodes = static_cast<int>(state.range(0));
  Store st = make_cluster(nodes);
  std::vector<std::string> names;
  std::vector<NodeSeries> bound;
  for (int n = 0; n < nodes; ++n) {
    names.push_back(node_name(n));
    bound.push_back(bind(st, names.back()));
  }
  const Rules rules;
  DetectEngine detect(st); // as the Pipeline owns one
  AlertBook book{rules};
  std::vector<Finding> f;
  int second = 3600; // the first second not yet in the store
  std::size_t findings = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int n = 0; n < nodes; ++n) {
      if (!keyed) {
        add_second(bound[static_cast<std::size_t>(n)], second);
        continue;
      }
      const auto &node = names[static_cast<std::size_t>(n)];
      for (int j = 0; j < 30; ++j) {
        const int i = (second - 3480) * 30 + j; // continues make_cluster's step index
        add_step(st, node, i, second + j / 30.0);
      }
      add_samplers(st, node, second, second);
    }
    ++second;
    const TimePoint now = at(second);
    state.ResumeTiming();
    f.clear();
    detect.run(rules, now, f);
    auto tr = book.update(f, now);
    findings += f.size();
    benchmark::DoNotOptimize(tr);
  }
  state.counters["findings"] =
      benchmark::Counter(static_cast<double>(findings), benchmark::Counter::kAvgIterations);
  state.SetLabel(std::to_string(nodes) + " nodes");
}
void BM_DetectorsSteadyState(benchmark::State &state) { steady_state(state, false); }
void BM_DetectorsSteadyStateKeyedWrites(benchmark::State &state) { steady_state(state, true); }
// Each iteration adds 47 k samples untimed: a short minimum time keeps the run short.
BENCHMARK(BM_DetectorsSteadyState)->Arg(3)->Arg(256)->MinTime(0.2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DetectorsSteadyStateKeyedWrites)
    ->Arg(256)
    ->MinTime(0.2)
    ->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace clustertop

BENCHMARK_MAIN();
