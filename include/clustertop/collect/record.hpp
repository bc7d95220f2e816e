// What a parser makes of a line: a Record of metrics, a level and tags. Plain values;
// collect/ owns parsing and turning records into Samples and LogEvents.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "clustertop/core/model.hpp"

namespace clustertop {

struct Metric {
  std::string name;   // dotted, unit-suffixed: "step.eval_ms", "gpu.power_w"
  std::string device; // "" node-wide, else GPU index etc.
  double value = kUnknown;
};

struct Record {
  std::optional<TimePoint> time; // the line's own timestamp, when it has one
  std::vector<Metric> metrics;
  std::string level;
  std::vector<std::string> tags;
  Severity severity = Severity::info;
  // Not part of the value: metrics a shorter record left behind, strings and all, for
  // MetricWriter to reuse. A RecordBuffer recycles its records line after line, and
  // freeing metric names only to allocate them again a line later was a tenth of a replay.
  std::vector<Metric> spare;
};

} // namespace clustertop
