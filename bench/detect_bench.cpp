// Detectors for a 256-node cluster per tick: every series full (3600 points), as after an
// hour of 1 Hz samplers and two minutes of 30 steps/s exo step lines (detect_cluster.hpp).
#include <benchmark/benchmark.h>
#include <string>
#include <vector>

#include "clustertop/detect/alert_book.hpp"
#include "clustertop/detect/detectors.hpp"
#include "detect_cluster.hpp"

namespace clustertop {
namespace {

using namespace bench; // NOLINT(google-build-using-namespace): the cluster helpers

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
    for (std::size_t n = 0; n < names.size(); ++n) {
      if (keyed)
        add_second(st, names[n], second);
      else
        add_second(bound[n], second);
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
