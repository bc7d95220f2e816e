// Detectors: functions of (store, rules, now) -> findings. They never read a clock, never
// write to the store and decide nothing from earlier calls; the AlertBook adds time. What
// they may keep between calls is only there to save work: the store's index and buffers.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "clustertop/detect/detect_view.hpp"
#include "clustertop/detect/finding.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/detect/running_figures.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {

// Buffers the detectors reuse, so that a tick in which nothing fires allocates nothing once
// they have grown, and the per-node running figures of an engine (by node number; empty
// for a one-off evaluation, which then reads every window in full).
struct DetectScratch {
  std::array<std::vector<Point>, 2> points;
  std::array<std::vector<double>, 4> values;
  std::vector<DetectView::MetricId> metrics;
  std::vector<NodeFigures> figures;

  NodeFigures *figures_of(std::size_t node) {
    return node < figures.size() ? &figures[node] : nullptr;
  }
};

// fence_wait_stall: a step's fence wait above rules.abs_ms or a multiple of its median.
void detect_fence_wait(const DetectView &view, const Rules &rules, TimePoint now,
                       DetectScratch &tmp, std::vector<Finding> &out);
// step_stall per node (no progress while generating, with the GPU busy/idle shape),
// gpu_spin (stalled with a busy GPU: the fence_wait deadlock), and cluster_stall naming
// the node that stopped first (subject) and the nodes waiting on it.
void detect_stalls(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                   std::vector<Finding> &out);
// orchestration_overhead: median (eval - model - gpu_eval) / eval over recent steps.
void detect_overhead(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                     std::vector<Finding> &out);
// throughput_collapse: recent tokens/s far under its baseline.
void detect_throughput(const DetectView &view, const Rules &rules, TimePoint now,
                       DetectScratch &tmp, std::vector<Finding> &out);
// oom_headroom, oom_pressure, swap_growth, time_to_oom, context_at_oom, gpu_mem, kv_cache.
void detect_memory(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                   std::vector<Finding> &out);
// crash: tagged log events (crash, abort, gpu_timeout, ...) within rules.crash.hold, and
// past it while the node that crashed generating has made no progress since (it is dead).
// Whether a log event is a crash signature's (by its tags: crash, abort, cuda_oom, exited...).
bool is_crash_event(const LogEvent &e);
void detect_crashes(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                    std::vector<Finding> &out);
inline void detect_crashes(const DetectView &view, const Rules &rules, TimePoint now,
                           std::vector<Finding> &out) {
  DetectScratch tmp;
  detect_crashes(view, rules, now, tmp, out);
}
// The node's latest progress (a step, a report of generation) before `before`, if any.
std::optional<TimePoint> last_progress_before(const DetectView &view, const Rules &rules,
                                              std::size_t node, TimePoint before,
                                              DetectScratch &tmp);
// For a node that stalled while generating and logged a crash signature at or after its last
// progress: the time from which a crash line is what stopped it (its last progress, less the
// two clocks' tolerance); such a crash stands. None for other nodes.
std::optional<TimePoint> crashed_stall_since(const DetectView &view, const Rules &rules,
                                             std::size_t node, TimePoint now, DetectScratch &tmp);
// node_down, node_stale, stream_down from the node table.
void detect_nodes(const DetectView &view, TimePoint now, std::vector<Finding> &out);

// detect_fence_wait with buffers of its own, for one-off calls (its unit tests).
inline void detect_fence_wait(const DetectView &view, const Rules &rules, TimePoint now,
                              std::vector<Finding> &out) {
  DetectScratch tmp;
  detect_fence_wait(view, rules, now, tmp, out);
}

// Every detector, in the order above.
std::vector<Finding> run_detectors(const DetectView &view, const Rules &rules, TimePoint now);

// The detectors as the Pipeline runs them, once per batch of lines and once per tick: the
// same findings as run_detectors(store, rules, now), with the store's index and the buffers
// kept between calls (the index is rebuilt when a node, series or event ring appears).
class DetectEngine {
public:
  explicit DetectEngine(const Store &store) : view_(store) {}
  // Appends the findings at `now` to `out`.
  void run(const Rules &rules, TimePoint now, std::vector<Finding> &out);
  // Drops what was kept between calls (this machine's clock was stepped and the store's
  // times moved: figures kept by time would no longer match).
  void forget() { scratch_ = DetectScratch{}; }

private:
  DetectView view_;
  DetectScratch scratch_;
};

} // namespace clustertop
