#include "clustertop/detect/detect_view.hpp"

namespace clustertop {

DetectView::DetectView(const Store &store) : store_(store) {
  const auto &all = store.all_series();
  entries_.reserve(all.size());
  for (const auto &[key, series] : all) { // key order: each node's series are contiguous
    auto [it, fresh] = by_node_.try_emplace(key.node, entries_.size(), entries_.size());
    (void)fresh;
    entries_.push_back(Entry{key.metric, key.device, &series});
    it->second.second = entries_.size();
  }
}

std::pair<const DetectView::Entry *, const DetectView::Entry *>
DetectView::range(const std::string &node) const {
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return {nullptr, nullptr};
  return {entries_.data() + it->second.first, entries_.data() + it->second.second};
}

const Series *DetectView::series(const Key &key) const {
  auto [b, e] = range(key.node);
  for (; b != e; ++b)
    if (b->metric == key.metric && b->device == key.device) return b->series;
  return nullptr;
}

double DetectView::latest(const Key &key) const {
  const Series *s = series(key);
  return s == nullptr || s->empty() ? kUnknown : s->back().value;
}

std::vector<std::pair<std::string_view, const Series *>>
DetectView::devices(const std::string &node, std::string_view metric) const {
  std::vector<std::pair<std::string_view, const Series *>> out;
  auto [b, e] = range(node);
  for (; b != e; ++b)
    if (b->metric == metric) out.emplace_back(b->device, b->series);
  return out;
}

} // namespace clustertop
