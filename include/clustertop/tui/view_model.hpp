// View model: what the dashboard shows about each node, read from the Store as of a given
// time (pure; `as_of` is data, so a paused screen is stable). No drawing here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/detect/finding.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop::tui {

struct NodeSummary {
  std::string name;
  NodeState state = NodeState::connecting;
  std::string detail;
  TimePoint since;
  std::optional<Duration> clock_skew; // NodeInfo::clock_skew
  double power_w = kUnknown;          // GPU power, summed over devices
  double mem_total = kUnknown, mem_used = kUnknown, mem_available = kUnknown;
  double mem_pressure = kUnknown; // 0 normal, 1 warn, 2 critical
  double swap_used = kUnknown, swap_total = kUnknown;
  double step_ms = kUnknown, model_ms = kUnknown, gpu_eval_ms = kUnknown;
  double overhead_ms = kUnknown; // eval - model - gpu_eval, when all three are known
  double tokens_per_s = kUnknown;
  double fence_ms = kUnknown, fence_worst_ms = kUnknown;
  double ctx_tokens = kUnknown;
  // Servers that report them (vLLM, SGLang): the KV cache's use and the requests it serves.
  double kv_cache_pct = kUnknown;
  double req_running = kUnknown, req_waiting = kUnknown;
  int warnings = 0, criticals = 0; // firing alerts on this node
  std::vector<std::string> badges; // firing rule names
};

NodeSummary summarize(const Store &store, const std::string &node,
                      const std::vector<Finding> &firing, TimePoint as_of, Duration window);
// The node's state and its detail, "down: connection refused"; the state once where the
// detail only repeats it ("connecting: connecting").
std::string state_words(const NodeSummary &n);
// A server's requests, "running 8 waiting 3" (either alone where only it is known); "" where
// neither is (exo, mlx-lm).
std::string request_words(const NodeSummary &n);

enum class SortMode { declared, name, alerts, power, step };
const char *to_string(SortMode m);
SortMode next(SortMode m);
// Node names in display order.
std::vector<std::string> sorted_nodes(const std::vector<NodeSummary> &nodes, SortMode mode);

// Per-bucket sum over every device of a metric (GPU power of a multi-GPU node); NaN where no
// device has a value.
std::vector<double> bucketize_devices(const Store &store, const std::string &node,
                                      const std::string &metric, TimePoint end, Duration window,
                                      int columns);

// Used memory per bucket: mem.used_bytes, else total - available.
std::vector<double> memory_used_buckets(const Store &store, const std::string &node, TimePoint end,
                                        Duration window, int columns);

// Cluster totals for the header.
struct ClusterSummary {
  std::size_t nodes = 0, up = 0;
  double power_w = kUnknown, tokens_per_s = kUnknown;
  int warnings = 0, criticals = 0;
};
ClusterSummary summarize_cluster(const std::vector<NodeSummary> &nodes,
                                 const std::vector<Finding> &firing);

} // namespace clustertop::tui
