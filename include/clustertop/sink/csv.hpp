// CSV snapshots of the store: "wide" (one row per node) and "long" (one row per sample).
// Pure rendering plus write_snapshot (atomic file or stdout). Reads the store, never
// changes it, and never reads a clock: the snapshot time is a parameter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"
#include "clustertop/detect/finding.hpp"

namespace clustertop {

class Store;

enum class CsvFormat { wide, long_rows };

// "wide" | "long"; anything else is an Error naming the choices.
Result<CsvFormat> parse_csv_format(const std::string &text);

struct CsvOptions {
  CsvFormat format = CsvFormat::wide;
  // wide: fence_wait_max_ms is the maximum over (now - window, now].
  Duration window = std::chrono::seconds(60);
  // long: only samples strictly newer than this (periodic snapshots do not repeat rows).
  std::optional<TimePoint> since;
};

// The unit column of the long format, from the metric name's suffix ("gpu.power_w" -> "W").
std::string unit_of_metric(const std::string &metric);

std::string render_csv_wide(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                            Duration window = std::chrono::seconds(60));
std::string render_csv_long(const Store &store, std::optional<TimePoint> since = std::nullopt);
std::string render_csv(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                       const CsvOptions &options);

// Renders and writes one snapshot: path "-" is stdout, anything else is written atomically
// (temporary file + fsync + rename; symlinks refused; an old file survives a failure).
Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, CsvFormat format);
Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, const CsvOptions &options);

} // namespace clustertop
