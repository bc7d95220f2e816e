// What a parser makes of a line: a Record of metrics, a level and tags. Plain values;
// collect/ owns parsing and turning records into Samples and LogEvents.
#pragma once

#include <cstdint>
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

// Which metrics a record lists, when its parser can say: records whose layouts are equal
// and have an owner list metrics of the same names and devices in the same order (the kv
// parser reading lines by one shape). Lets Ingest write them to the series it found for
// the last such record, and the parser write only the values into a record that holds them.
struct RecordLayout {
  const void *owner = nullptr; // the parser; null: unknown
  std::uint64_t version = 0;   // which of its layouts
  bool operator==(const RecordLayout &) const = default;
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
  // The layout of `metrics`: MetricWriter resets it, a parser that knows sets it after.
  RecordLayout layout;
};

} // namespace clustertop
