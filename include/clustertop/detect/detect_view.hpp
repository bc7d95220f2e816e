// DetectView: a read-only index over a Store, so that the detectors' many lookups cost an
// array read instead of a walk down the store's map each. Nodes are numbered in the store's
// order and metric names are numbered once (MetricId); a node's device-less series of a
// metric is then one slot of a table. Holds pointers into the store: the store never removes
// a node, series or event ring, so they stay valid while the store lives; refresh() picks up
// what was added since (cheap when nothing was).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clustertop/store/store.hpp"

namespace clustertop {

class DetectView {
public:
  DetectView(const Store &store); // NOLINT(google-explicit-constructor): tests pass a Store

  // Re-indexes the store if a node, series or event ring appeared since the last index.
  void refresh();

  using MetricId = std::uint32_t;
  static constexpr MetricId kNoMetric = ~MetricId{0};
  // The number of a metric name; kNoMetric when no node has a series of it.
  [[nodiscard]] MetricId metric_id(std::string_view metric) const;

  [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }
  [[nodiscard]] const std::string &node_name(std::size_t n) const { return *nodes_[n].name; }
  [[nodiscard]] const NodeInfo *node_info(std::size_t n) const { return nodes_[n].info; }
  [[nodiscard]] const RingBuffer<LogEvent> *node_events(std::size_t n) const {
    return nodes_[n].events;
  }
  // A node's device-less series of a metric, or nullptr.
  [[nodiscard]] const Series *series(std::size_t n, MetricId m) const {
    return m == kNoMetric ? nullptr : slots_[n * metric_count_ + m];
  }
  // A node's series of a metric for one device (a short scan of the node's series).
  [[nodiscard]] const Series *series(std::size_t n, MetricId m, std::string_view device) const;
  // The newest value of that series (NaN when it has none, or is not there).
  [[nodiscard]] double latest(std::size_t n, MetricId m, std::string_view device = {}) const;

  struct Entry {
    MetricId metric;
    std::string_view device;
    const Series *series;
  };
  // Every series of a node, by metric name then device (the store's key order).
  [[nodiscard]] std::pair<const Entry *, const Entry *> entries(std::size_t n) const {
    return {entries_.data() + nodes_[n].begin, entries_.data() + nodes_[n].end};
  }

  // By name, for the cluster view (which names nodes, not numbers).
  [[nodiscard]] const NodeInfo *node(const std::string &name) const { return store_.node(name); }

private:
  void build();

  struct Node {
    const std::string *name;
    const NodeInfo *info;
    const RingBuffer<LogEvent> *events;
    std::size_t begin; // its entries
    std::size_t end;
  };

  const Store &store_;
  Store::Shape shape_;
  std::vector<Node> nodes_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string_view, MetricId> metric_ids_;
  std::unordered_map<std::string_view, std::size_t> node_index_;
  std::size_t metric_count_ = 0;
  std::vector<const Series *> slots_; // node * metric_count_ + metric: device "" only
};

} // namespace clustertop
