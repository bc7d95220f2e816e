#include "clustertop/tui/view_model.hpp"

#include <algorithm>
#include <cmath>

#include "clustertop/tui/widgets.hpp"

namespace clustertop::tui {
namespace {

double add_known(double a, double b) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  return a + b;
}

double node_value(const Store &s, const std::string &node, const char *metric, TimePoint t) {
  return latest_at(s.series({node, metric, ""}), t);
}

void fill_memory(NodeSummary &n, const Store &s, TimePoint t) {
  n.mem_total = sampled_state(s, n.name, "mem.total_bytes", t);
  n.mem_available = sampled_state(s, n.name, "mem.available_bytes", t);
  n.mem_used = sampled_state(s, n.name, "mem.used_bytes", t);
  if (std::isnan(n.mem_used) && !std::isnan(n.mem_total) && !std::isnan(n.mem_available))
    n.mem_used = n.mem_total - n.mem_available;
  n.mem_pressure = sampled_state(s, n.name, "mem.pressure_level", t);
  n.swap_used = sampled_state(s, n.name, "mem.swap_used_bytes", t);
  n.swap_total = sampled_state(s, n.name, "mem.swap_total_bytes", t);
}

void fill_steps(NodeSummary &n, const Store &s, TimePoint t, Duration window) {
  n.step_ms = node_value(s, n.name, "step.eval_ms", t);
  n.model_ms = node_value(s, n.name, "step.model_ms", t);
  n.gpu_eval_ms = node_value(s, n.name, "step.gpu_eval_ms", t);
  if (!std::isnan(n.step_ms) && !std::isnan(n.model_ms) && !std::isnan(n.gpu_eval_ms))
    n.overhead_ms = std::max(0.0, n.step_ms - n.model_ms - n.gpu_eval_ms);
  const auto *fence = s.series({n.name, "step.fence_wait_ms", ""});
  n.fence_ms = latest_at(fence, t);
  n.fence_worst_ms = max_in_window(fence, t, window);
  // A rate is the node's state, as a sample is: a hung or down node showed its last 650 tok/s.
  n.tokens_per_s = generation_rate(s, n.name, t);
  n.ctx_tokens = node_value(s, n.name, "ctx.tokens", t);
  n.kv_cache_pct = node_value(s, n.name, "kv_cache.usage_pct", t);
  n.req_running = node_value(s, n.name, "req.running", t);
  n.req_waiting = node_value(s, n.name, "req.waiting", t);
}

} // namespace

std::string state_words(const NodeSummary &n) {
  const std::string state = to_string(n.state);
  return n.detail.empty() || n.detail == state ? state : state + ": " + n.detail;
}

std::string request_words(const NodeSummary &n) {
  std::string out;
  if (!std::isnan(n.req_running)) out = "running " + format_count(n.req_running);
  if (!std::isnan(n.req_waiting))
    out += (out.empty() ? "" : " ") + std::string("waiting ") + format_count(n.req_waiting);
  return out;
}

NodeSummary summarize(const Store &store, const std::string &node,
                      const std::vector<Finding> &firing, TimePoint as_of, Duration window) {
  NodeSummary n;
  n.name = node;
  if (const auto *info = store.node(node)) {
    n.state = info->state;
    n.detail = info->detail;
    n.since = info->since;
    n.clock_skew = info->clock_skew;
  }
  n.power_w = sampled_device_sum(store, node, "gpu.power_w", as_of);
  fill_memory(n, store, as_of);
  fill_steps(n, store, as_of, window);
  // Critical badges first: a tile cut to its width showed "[orchestration_overhead] […",
  // the node's only critical alert (step_stall) lost behind a warning.
  for (const bool critical : {true, false})
    for (const auto &f : firing) {
      if (f.node != node || (f.severity == Severity::critical) != critical) continue;
      ++(critical ? n.criticals : n.warnings);
      if (std::find(n.badges.begin(), n.badges.end(), f.rule) == n.badges.end())
        n.badges.push_back(f.rule);
    }
  return n;
}

const char *to_string(SortMode m) {
  switch (m) {
  case SortMode::declared: return "config order";
  case SortMode::name: return "name";
  case SortMode::alerts: return "alerts";
  case SortMode::power: return "GPU power";
  case SortMode::step: return "step time";
  }
  return "?";
}

SortMode next(SortMode m) {
  return m == SortMode::step ? SortMode::declared : static_cast<SortMode>(static_cast<int>(m) + 1);
}

std::vector<std::string> sorted_nodes(const std::vector<NodeSummary> &nodes, SortMode mode) {
  std::vector<const NodeSummary *> order;
  for (const auto &n : nodes) order.push_back(&n);
  // Unknown values sort last in the "largest first" modes.
  auto desc = [](double a, double b) {
    if (std::isnan(a)) return false;
    return std::isnan(b) || a > b;
  };
  auto less = [&](const NodeSummary *a, const NodeSummary *b) {
    switch (mode) {
    case SortMode::declared: return false;
    case SortMode::name: return a->name < b->name;
    case SortMode::alerts:
      return std::pair(a->criticals, a->warnings) > std::pair(b->criticals, b->warnings);
    case SortMode::power: return desc(a->power_w, b->power_w);
    case SortMode::step: return desc(a->step_ms, b->step_ms);
    }
    return false;
  };
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<std::string> out;
  for (const auto *n : order) out.push_back(n->name);
  return out;
}

std::vector<double> bucketize_devices(const Store &store, const std::string &node,
                                      const std::string &metric, TimePoint end, Duration window,
                                      int columns) {
  std::vector<double> out(static_cast<std::size_t>(std::max(0, columns)), kUnknown);
  for (const auto &[device, series] : store.devices(node, metric)) {
    auto b = bucketize(series, end, window, columns);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = add_known(out[i], b[i]);
  }
  return out;
}

std::vector<double> memory_used_buckets(const Store &store, const std::string &node, TimePoint end,
                                        Duration window, int columns) {
  if (const auto *used = store.series({node, "mem.used_bytes", ""}))
    return bucketize(used, end, window, columns);
  auto total = bucketize(store.series({node, "mem.total_bytes", ""}), end, window, columns);
  auto avail = bucketize(store.series({node, "mem.available_bytes", ""}), end, window, columns);
  const double known_total = latest_at(store.series({node, "mem.total_bytes", ""}), end);
  for (std::size_t i = 0; i < avail.size(); ++i) {
    const double t = std::isnan(total[i]) ? known_total : total[i];
    avail[i] = std::isnan(avail[i]) || std::isnan(t) ? kUnknown : t - avail[i];
  }
  return avail;
}

ClusterSummary summarize_cluster(const std::vector<NodeSummary> &nodes,
                                 const std::vector<Finding> &firing) {
  ClusterSummary c;
  c.nodes = nodes.size();
  for (const auto &n : nodes) {
    if (n.state == NodeState::up) ++c.up;
    c.power_w = add_known(c.power_w, n.power_w);
    c.tokens_per_s = add_known(c.tokens_per_s, n.tokens_per_s);
  }
  for (const auto &f : firing) {
    if (f.severity == Severity::critical)
      ++c.criticals;
    else
      ++c.warnings;
  }
  return c;
}

} // namespace clustertop::tui
