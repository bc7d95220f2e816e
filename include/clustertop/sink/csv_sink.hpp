// CsvSink: CSV snapshot files in one directory — periodic (--csv-every), one per alert
// transition (--csv-on-alert), and on demand (dashboard key `e`). Main thread only; owns
// nothing but its schedule and file naming; reads the store it was given.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/sink/csv.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

struct CsvSinkOptions {
  std::string dir;   // where snapshots go; must exist and be a directory
  Duration every{0}; // 0: no periodic snapshots
  // The pipeline's tick (--interval): a tick within half of it of a due time writes that
  // time's file.
  Duration tick = std::chrono::seconds(1);
  bool on_alert = false; // a snapshot per alert transition
  CsvFormat format = CsvFormat::wide;
  Duration window = std::chrono::seconds(60); // wide: fence_wait max window
  // Periodic long files: rows kept before the file is due; past this it is written early, and
  // when that fails too they are dropped and counted.
  std::size_t long_rows_max = std::size_t{64} << 20U;
  // Where write failures go (a sink cannot return them); default: dropped.
  std::function<void(const Error &)> on_error;
};

class CsvSink : public Sink {
public:
  // How long an alert's snapshot that found no descriptor is tried again, tick by tick.
  static constexpr Duration kAlertRetry = std::chrono::seconds(10);
  // Checks the directory; Error when it is missing or not a directory.
  static Result<std::unique_ptr<CsvSink>> create(const Store &store, CsvSinkOptions options);

  void on_transition(const AlertTransition &t, const TickContext &ctx) override;
  void on_tick(const TickContext &ctx) override;
  void on_clock_step(Duration step) override {
    if (next_due_) *next_due_ += step;
    if (alert_unwritten_since_) *alert_unwritten_since_ += step;
  }

  // At a stop: the periodic file of the period cut short, as of the stop (long: every sample
  // since the last file; wide: the store at ctx.now, every column to that time, and the
  // alerts firing then, unless the last tick wrote its file). Without it a stop lost up to
  // a whole period of rows, silently; stamped with the last tick, the wide file's latest
  // steps ran past its 60 s window's end.
  void on_watch_end(const TickContext &ctx) override;

  // A snapshot of the store now, with the alerts firing at the last tick; returns the path
  // written. Used by the dashboard key `e`.
  Result<std::string> snapshot_now(TimePoint now);

  [[nodiscard]] std::size_t snapshots_written() const { return written_; }

  // The most files of one time and kind: -2 to -9999 after the first.
  static constexpr int kMostNamesAStamp = 9999;

private:
  CsvSink(const Store &store, CsvSinkOptions options);
  // "DIR/clustertop-20261123T180701.123Z[-alert][-long][-N].csv", never an existing name: an
  // error where N would pass kMostNamesAStamp.
  Result<std::string> next_path(TimePoint now, const char *tag) const;
  Result<std::string> write(TimePoint now, const std::vector<Finding> &firing, const char *tag);
  // write() without the report.
  Result<std::string> write_quietly(TimePoint now, const std::vector<Finding> &firing,
                                    const char *tag);
  // The --csv-on-alert file that found no descriptor (the process at its RLIMIT_NOFILE):
  // written at the next tick that can, for kAlertRetry.
  void retry_alert_snapshot(const TickContext &ctx);
  // A periodic long file: the rows collected since the last one written.
  bool write_long_period(TimePoint now); // false: not written (the error is reported)
  // Says that `lost` samples left their rings before the long rows read them.
  void report_lost_rows(std::size_t lost);

  const Store &store_;
  CsvSinkOptions options_;
  std::vector<Finding> last_firing_;
  std::optional<TimePoint> next_due_;
  std::optional<TimePoint> last_tick_;
  std::optional<TimePoint> last_periodic_;         // the time of the last periodic file written
  std::optional<TimePoint> alert_unwritten_since_; // see retry_alert_snapshot
  LongRows long_rows_; // periodic long files: rows since the last file written
  std::size_t written_ = 0;
};

} // namespace clustertop
