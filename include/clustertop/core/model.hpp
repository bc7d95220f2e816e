// The plain value types that flow one way through clustertop:
// transports -> LineBatch / NodeStatus -> parsers -> Sample / LogEvent -> store -> detectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/core/time.hpp"

namespace clustertop {

inline constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
inline bool is_known(double v) { return !std::isnan(v); }

// Lines read from one stream of one node, in arrival order.
struct LineBatch {
  std::string node;
  std::string stream; // stream name, e.g. "meminfo", "log:/tmp/exo.log"
  TimePoint received_at;
  std::vector<std::string> lines;
  // Its first `backfilled` lines were read back: written to a followed log before its `tail`
  // (re)started, while the node was out of reach, so `received_at` is not their time.
  std::size_t backfilled = 0;
};

enum class NodeState { connecting, up, stale, down };
const char *to_string(NodeState s);

// A transport's report on a node or on one of its streams (stream empty = whole node).
struct NodeStatus {
  std::string node;
  std::string stream;
  NodeState state = NodeState::connecting;
  std::string detail; // why, in words: "connection refused", "exited with status 127"
  TimePoint at;
  // On a node's `up`: how far the node's clock is ahead of UTC (`date +%z` at connect), the
  // zone its log lines' times without a zone are read in. Unset: unknown (read as UTC).
  std::optional<std::chrono::minutes> utc_offset{};
};

// One measured value. Metric names are dotted and carry their unit: "gpu.power_w",
// "mem.available_bytes", "step.fence_wait_ms". device is "" for node-wide values, else "0".
struct Sample {
  std::string node;
  std::string metric;
  std::string device;
  double value = kUnknown;
  TimePoint time;
};

enum class Severity { info, warning, critical };
const char *to_string(Severity s);

// A log line that matters: a level, tags ("crash", "oom", "gpu_timeout"), a severity.
struct LogEvent {
  std::string node;
  std::string stream;
  TimePoint time;
  std::string level; // "INFO", "ERROR", ... as the log wrote it; may be empty
  std::vector<std::string> tags;
  Severity severity = Severity::info;
  std::string line;
  // When its line reached clustertop (the batch's arrival; max: not known). A line stamped
  // by a clock running ahead of ours has arrived before its own time.
  TimePoint arrived = TimePoint::max();
};

} // namespace clustertop
