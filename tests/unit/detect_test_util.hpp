// Helpers for the detector tests: a store filled with series at chosen times.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "clustertop/detect/detectors.hpp"

namespace clustertop::test {

inline TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

inline void put(Store &st, const std::string &node, const std::string &metric, double t, double v,
                const std::string &device = "") {
  st.add(Sample{node, metric, device, v, at(t)});
}

// One exo-style step line's samples.
inline void step(Store &st, const std::string &node, double t, double eval, double model,
                 double gpu_eval, double fence, double index) {
  put(st, node, "step.eval_ms", t, eval);
  put(st, node, "step.model_ms", t, model);
  put(st, node, "step.gpu_eval_ms", t, gpu_eval);
  put(st, node, "step.fence_wait_ms", t, fence);
  put(st, node, "step.index", t, index);
}

// A parser for tests of the plumbing only: every line is kept in the store, and "CRASH ..."
// lines become crash events.
inline void crash_parser(const LineBatch &b, Store &store, std::vector<LogEvent> &events) {
  for (const auto &line : b.lines) {
    store.add_log_line(b.node, b.stream, b.received_at, line);
    if (line.find("CRASH") == std::string::npos) continue;
    LogEvent e{b.node, b.stream, b.received_at, "ERROR", {"crash"}, Severity::critical, line};
    store.add_event(e);
    events.push_back(e);
  }
}

inline std::vector<Finding> only(const std::vector<Finding> &all, const std::string &rule) {
  std::vector<Finding> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const Finding &f) { return f.rule == rule; });
  return out;
}

} // namespace clustertop::test
