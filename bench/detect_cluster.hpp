// The cluster the detector benchmarks watch: every series full (3600 points), as after an
// hour of 1 Hz samplers and two minutes of 30 steps/s exo step lines, and one more second
// of it at a time for the steady state.
#pragma once

#include <array>
#include <string>

#include "clustertop/store/store.hpp"

namespace clustertop::bench {

inline TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

// Every series of a node, by number: six of step lines, then four of 1 Hz samplers.
constexpr std::array<const char *, 10> kMetrics = {
    "step.eval_ms",        "step.model_ms",     "step.gpu_eval_ms", "step.fence_wait_ms",
    "step.index",          "ctx.tokens",        "gpu.power_w",      "mem.available_bytes",
    "mem.swap_used_bytes", "mem.pressure_level"};

// The values of step line `i` (30 a second; `i` keeps counting in the steady state) as
// put(metric number, value), and of the samplers' points of second `i`.
template <typename Put> void step_values(int i, Put put) {
  put(0, 36.0 + (i % 5));
  put(1, 30.0);
  put(2, 1.0);
  put(3, 0.3 + (i % 7) / 10.0);
  put(4, static_cast<double>(i));
  put(5, 16000.0 + i);
}
template <typename Put> void sampler_values(int i, Put put) {
  put(6, 31.0 + (i % 3));
  put(7, 8e9 - (i % 13) * 1e6);
  put(8, 1e8);
  put(9, 0.0);
}

inline std::string node_name(int n) { return "node" + std::to_string(n); }

inline Store make_cluster(int nodes) {
  Store st;
  const double end = 3600;
  for (int n = 0; n < nodes; ++n) {
    const std::string node = node_name(n);
    auto put_at = [&](double ts) {
      return [&st, &node, ts](std::size_t k, double v) {
        st.add(Sample{node, kMetrics[k], "", v, at(ts)});
      };
    };
    for (int i = 0; i < 3600; ++i) {
      step_values(i, put_at(end - 120 + i / 30.0)); // step lines at 30 Hz
      sampler_values(i, put_at(i));                 // 1 Hz samplers over the hour
    }
    st.apply(NodeStatus{node, "", NodeState::up, "", at(0)});
  }
  return st;
}

// A node's series as Ingest holds them (by kMetrics number): found once, then written
// through Store::add(Series &, ...) with no key built or looked up per sample.
using NodeSeries = std::array<Series *, kMetrics.size()>;

inline NodeSeries bind(Store &st, const std::string &node) {
  NodeSeries out{};
  for (std::size_t k = 0; k < kMetrics.size(); ++k)
    out[k] = st.series_mut(SeriesKey{node, kMetrics[k], ""});
  return out;
}

// One more second of a node's life, each point as put(metric number, time, value): the
// second's 30 step lines (make_cluster's step index continued) and its sampler points.
template <typename Put> void second_of(int second, Put put) {
  for (int j = 0; j < 30; ++j) {
    const TimePoint t = at(second + j / 30.0);
    step_values((second - 3480) * 30 + j, [&](std::size_t k, double v) { put(k, t, v); });
  }
  sampler_values(second, [&](std::size_t k, double v) { put(k, at(second), v); });
}

// ... written as Ingest writes.
inline void add_second(NodeSeries &n, int second) {
  second_of(second, [&](std::size_t k, TimePoint t, double v) { Store::add(*n[k], t, v); });
}
// ... written by key.
inline void add_second(Store &st, const std::string &node, int second) {
  second_of(second, [&](std::size_t k, TimePoint t, double v) {
    st.add(Sample{node, kMetrics[k], "", v, t});
  });
}

} // namespace clustertop::bench
