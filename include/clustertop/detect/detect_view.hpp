// DetectView: a read-only index over a Store, built in one pass per evaluation, so that the
// detectors' many lookups cost a hash and a short scan instead of a walk down the store's
// map each. Holds pointers into the store: valid until the store next changes.
#pragma once

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

  struct Key {
    const std::string &node;
    std::string_view metric;
    std::string_view device = {};
  };
  [[nodiscard]] const Series *series(const Key &key) const;
  [[nodiscard]] double latest(const Key &key) const;
  // Every device's series of a node's metric, in device order.
  [[nodiscard]] std::vector<std::pair<std::string_view, const Series *>>
  devices(const std::string &node, std::string_view metric) const;

  [[nodiscard]] const std::vector<std::string> &nodes() const { return store_.nodes(); }
  [[nodiscard]] const NodeInfo *node(const std::string &name) const { return store_.node(name); }
  [[nodiscard]] const RingBuffer<LogEvent> *events(const std::string &node) const {
    return store_.events(node);
  }

private:
  struct Entry {
    std::string_view metric;
    std::string_view device;
    const Series *series;
  };
  std::pair<const Entry *, const Entry *> range(const std::string &node) const;

  const Store &store_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string_view, std::pair<std::size_t, std::size_t>> by_node_;
};

} // namespace clustertop
