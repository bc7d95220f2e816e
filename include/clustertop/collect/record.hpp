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
};

} // namespace clustertop
