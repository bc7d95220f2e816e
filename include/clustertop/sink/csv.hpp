// CSV snapshots of the store: "wide" (one row per node) and "long" (one row per sample).
// Pure rendering plus write_snapshot (atomic file or stdout). Reads the store, never
// changes it, and never reads a clock: the snapshot time is a parameter.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"
#include "clustertop/detect/finding.hpp"

namespace clustertop {

class Store;
class Series;
struct SeriesKey;

enum class CsvFormat { wide, long_rows };

// "wide" | "long"; anything else is an Error naming the choices.
Result<CsvFormat> parse_csv_format(const std::string &text);

struct CsvOptions {
  CsvFormat format = CsvFormat::wide;
  // wide: fence_wait_max_ms is the maximum over (now - window, now].
  Duration window = std::chrono::seconds(60);
};

// The unit column of the long format, from the metric name's suffix ("gpu.power_w" -> "W").
std::string unit_of_metric(const std::string &metric);

std::string render_csv_wide(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                            Duration window = std::chrono::seconds(60));
std::string render_csv_long(const Store &store);

inline constexpr std::string_view kLongCsvHeader = "time,node,metric,device,value,unit\r\n";

// The long format's rows as samples arrive, for periodic long files. Each collect() appends
// the points pushed to each series since the call before, found by the series' push count,
// not by time: a period's file then holds every sample, however many more than a ring's
// points came in the period (a step series at 28 steps/s fills its 3600 in two minutes), and
// a sample with an older time that arrives late is not skipped.
class LongRows {
public:
  // Appends the new points' rows; returns how many points left a ring before they were read
  // (none unless a series got more points than its ring holds between two calls).
  std::uint64_t collect(const Store &store);
  [[nodiscard]] const std::string &rows() const { return rows_; }
  // How many rows are held (each ends with a line feed).
  [[nodiscard]] std::size_t count() const {
    return static_cast<std::size_t>(std::count(rows_.begin(), rows_.end(), '\n'));
  }
  void clear_rows() { rows_.clear(); }

private:
  std::unordered_map<const Series *, std::uint64_t> read_; // each series' push count read
  std::string rows_;
};
std::string render_csv(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                       const CsvOptions &options);

// Renders and writes one snapshot: path "-" is stdout, anything else is written atomically
// (temporary file + fsync + rename; symlinks refused; an old file survives a failure).
Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, CsvFormat format);
Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, const CsvOptions &options);

} // namespace clustertop
