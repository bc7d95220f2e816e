// What the stall checks and the throughput check both read (stall_signals.hpp).
#include "stall_signals.hpp"

#include "series_math.hpp"

namespace clustertop::detail {

StallMetrics stall_metrics(const DetectView &view, const StallRules &r,
                           std::vector<MetricId> &ids) {
  ids.clear();
  for (const auto &m : r.progress) ids.push_back(view.metric_id(m));
  for (const auto &m : r.done) ids.push_back(view.metric_id(m));
  const std::span<const MetricId> all(ids);
  return {view.metric_id("req.running"),  view.metric_id("req.completed"),
          view.metric_id("req.finished"), view.metric_id("gen.decoded_tokens"),
          view.metric_id("gpu.power_w"),  view.metric_id("gpu.active_ratio"),
          view.metric_id("gpu.util_pct"), view.metric_id("step.fence_wait_ms"),
          all.first(r.progress.size()),   all.subspan(r.progress.size())};
}

int slots_decoding(const DetectView &view, std::size_t node, MetricId decoded, TimePoint t) {
  int slots = 0;
  const auto [begin, end] = view.entries(node);
  for (const auto *e = begin; e != end; ++e) {
    if (e->metric != decoded || e->device.empty()) continue;
    for (std::size_t i = e->series->size(); i > 0; --i) {
      const TimePoint at = (*e->series)[i - 1].time;
      if (at < t - kSlotReport) break;
      if (at <= t + kSlotReport) {
        ++slots;
        break;
      }
    }
  }
  return slots;
}

bool request_ended(const DetectView &view, std::size_t node, const StallMetrics &ids,
                   TimePoint done_since, TimePoint idle_since) {
  for (const auto m : ids.done) {
    const auto p = last_known(view.series(node, m));
    if (p && p->time >= done_since) return true;
  }
  if (const Series *running = view.series(node, ids.running))
    for (std::size_t i = running->size(); i > 0; --i) {
      const Point &p = (*running)[i - 1];
      if (p.time < idle_since) break;
      if (p.value == 0) return true;
    }
  return false;
}

} // namespace clustertop::detail
