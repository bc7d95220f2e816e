// LineParser: one per stream and definition; turns lines into Records following a
// CollectorDef's parse spec. Holds only per-stream state (a block record in progress).
// Never reads a clock: the batch's received_at is passed in.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "clustertop/collect/definition.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

// Records produced by a feed; reused between lines so the hot path does not allocate.
class RecordBuffer {
public:
  // A fresh record (time/level/tags/severity cleared; metrics kept for MetricWriter).
  Record &next();
  void clear() { used_ = 0; }
  [[nodiscard]] std::size_t size() const { return used_; }
  Record &operator[](std::size_t i) { return records_[i]; }
  const Record &operator[](std::size_t i) const { return records_[i]; }
  void drop_last() { --used_; }

private:
  std::vector<Record> records_;
  std::size_t used_ = 0;
};

// Fills a record's metrics in place, reusing the strings already there.
class MetricWriter {
public:
  explicit MetricWriter(Record &r) : r_(r) {}
  ~MetricWriter() { r_.metrics.resize(n_); }
  MetricWriter(const MetricWriter &) = delete;
  MetricWriter &operator=(const MetricWriter &) = delete;
  // Returns the slot; the caller sets name/device/value.
  Metric &add();
  [[nodiscard]] std::size_t count() const { return n_; }

private:
  Record &r_;
  std::size_t n_ = 0;
};

class LineParser {
public:
  virtual ~LineParser() = default;
  // Appends finished records to `out`. false: the line was of no use (counted as skipped).
  virtual bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) = 0;
  // End of input: flush a record in progress.
  virtual void finish(RecordBuffer &out) { (void)out; }
};

std::unique_ptr<LineParser> make_parser(const CollectorDef &def);

// Reads a line's own timestamp; date parts the text lacks come from `received_at` (UTC).
bool parse_time(std::string_view text, const std::string &format, TimePoint received_at,
                TimePoint &out);

// Sets one metric from captured text following a MetricSpec (units, map, zero_unknown).
// false when the value is not usable (it is then left out of the record).
double metric_value(const MetricSpec &spec, std::string_view text, double scale_var = 1.0);

} // namespace clustertop
