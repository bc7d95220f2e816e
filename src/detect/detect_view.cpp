#include "clustertop/detect/detect_view.hpp"

namespace clustertop {

DetectView::DetectView(const Store &store) : store_(store) { build(); }

void DetectView::refresh() {
  if (store_.shape() != shape_) build();
}

void DetectView::build() {
  shape_ = store_.shape();
  nodes_.clear();
  entries_.clear();
  metric_ids_.clear();
  node_index_.clear();
  for (const auto &name : store_.nodes()) {
    // The node table's own copy of the name: it lives in a map node, so it never moves.
    const NodeInfo *info = store_.node(name);
    node_index_.emplace(info->name, nodes_.size());
    nodes_.push_back(Node{&info->name, info, store_.events(name), 0, 0});
  }
  const auto &all = store_.all_series();
  entries_.reserve(all.size());
  std::size_t current = nodes_.size();
  for (const auto &[key, series] : all) { // key order: each node's series are contiguous
    if (current == nodes_.size() || *nodes_[current].name != key.node) {
      auto it = node_index_.find(key.node);
      if (it == node_index_.end()) { // a series of an undeclared node: not expected, skipped
        current = nodes_.size();
        continue;
      }
      current = it->second;
      nodes_[current].begin = entries_.size();
    }
    const auto next = static_cast<MetricId>(metric_ids_.size());
    const MetricId id = metric_ids_.try_emplace(key.metric, next).first->second;
    entries_.push_back(Entry{id, key.device, &series});
    nodes_[current].end = entries_.size();
  }
  metric_count_ = metric_ids_.size();
  slots_.assign(nodes_.size() * metric_count_, nullptr);
  for (std::size_t n = 0; n < nodes_.size(); ++n)
    for (auto [b, e] = entries(n); b != e; ++b)
      if (b->device.empty()) slots_[n * metric_count_ + b->metric] = b->series;
}

DetectView::MetricId DetectView::metric_id(std::string_view metric) const {
  auto it = metric_ids_.find(metric);
  return it == metric_ids_.end() ? kNoMetric : it->second;
}

const Series *DetectView::series(std::size_t n, MetricId m, std::string_view device) const {
  if (m == kNoMetric) return nullptr;
  if (device.empty()) return series(n, m);
  for (auto [b, e] = entries(n); b != e; ++b)
    if (b->metric == m && b->device == device) return b->series;
  return nullptr;
}

double DetectView::latest(std::size_t n, MetricId m, std::string_view device) const {
  const Series *s = series(n, m, device);
  return s == nullptr || s->empty() ? kUnknown : s->back().value;
}

} // namespace clustertop
