// The cluster the detector benchmarks watch: every series full (3600 points), as after an
// hour of 1 Hz samplers and two minutes of 30 steps/s exo step lines, and one more second
// of it at a time for the steady state.
#pragma once

#include <string>

#include "clustertop/store/store.hpp"

namespace clustertop::bench {

inline TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

// Step line `i` (30 a second) of a node; `i` keeps counting in the steady-state benchmark.
inline void add_step(Store &st, const std::string &node, int i, double ts) {
  st.add(Sample{node, "step.eval_ms", "", 36.0 + (i % 5), at(ts)});
  st.add(Sample{node, "step.model_ms", "", 30.0, at(ts)});
  st.add(Sample{node, "step.gpu_eval_ms", "", 1.0, at(ts)});
  st.add(Sample{node, "step.fence_wait_ms", "", 0.3 + (i % 7) / 10.0, at(ts)});
  st.add(Sample{node, "step.index", "", static_cast<double>(i), at(ts)});
  st.add(Sample{node, "ctx.tokens", "", 16000.0 + i, at(ts)});
}

// One point of each 1 Hz sampler series, second `i`.
inline void add_samplers(Store &st, const std::string &node, int i, double t1) {
  st.add(Sample{node, "gpu.power_w", "", 31.0 + (i % 3), at(t1)});
  st.add(Sample{node, "mem.available_bytes", "", 8e9 - (i % 13) * 1e6, at(t1)});
  st.add(Sample{node, "mem.swap_used_bytes", "", 1e8, at(t1)});
  st.add(Sample{node, "mem.pressure_level", "", 0, at(t1)});
}

inline std::string node_name(int n) { return "node" + std::to_string(n); }

inline Store make_cluster(int nodes) {
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

// A node's series as Ingest holds them: found once, then written through
// Store::add(Series &, ...) with no key built or looked up per sample.
struct NodeSeries {
  Series *eval, *model, *gpu, *fence, *index, *ctx, *power, *avail, *swap, *pressure;
};

inline NodeSeries bind(Store &st, const std::string &node) {
  auto s = [&](const char *metric) { return &st.series_mut(SeriesKey{node, metric, ""}); };
  return {s("step.eval_ms"),       s("step.model_ms"),       s("step.gpu_eval_ms"),
          s("step.fence_wait_ms"), s("step.index"),          s("ctx.tokens"),
          s("gpu.power_w"),        s("mem.available_bytes"), s("mem.swap_used_bytes"),
          s("mem.pressure_level")};
}

// One second of a node's life, the same points as add_step and add_samplers give.
inline void add_second(NodeSeries &n, int second) {
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

} // namespace clustertop::bench
