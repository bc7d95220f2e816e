#include "clustertop/sink/csv_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>

#include "clustertop/sink/atomic_file.hpp"

namespace clustertop {
namespace {

// "2026-11-23T18:07:01.123Z" -> "20261123T180701.123Z": no colons, sorts by time.
std::string file_stamp(TimePoint t) {
  std::string out;
  for (char c : iso8601_utc(t))
    if (c != '-' && c != ':') out += c;
  return out;
}

bool path_exists(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A failure that passes once descriptors are closed again (the process's or the system's).
bool out_of_descriptors(const Error &e) { return e.code == EMFILE || e.code == ENFILE; }

} // namespace

Result<std::unique_ptr<CsvSink>> CsvSink::create(const Store &store, CsvSinkOptions options) {
  struct stat st {};
  if (::stat(options.dir.c_str(), &st) != 0)
    return Error{"cannot use the CSV directory", std::strerror(errno), options.dir,
                 "create it first (mkdir -p) or fix --csv-dir"};
  if (!S_ISDIR(st.st_mode))
    return Error{"cannot use the CSV directory", "not a directory", options.dir,
                 "give --csv-dir a directory"};
  return std::unique_ptr<CsvSink>(new CsvSink(store, std::move(options)));
}

CsvSink::CsvSink(const Store &store, CsvSinkOptions options)
    : store_(store), options_(std::move(options)) {}

Result<std::string> CsvSink::next_path(TimePoint now, const char *tag) const {
  const std::string base = fmt::format("{}/clustertop-{}{}{}", options_.dir, file_stamp(now), tag,
                                       options_.format == CsvFormat::long_rows ? "-long" : "");
  std::string path = base + ".csv";
  for (int n = 2; path_exists(path) && n <= kMostNamesAStamp; ++n)
    path = fmt::format("{}-{}.csv", base, n);
  // Past the last number the last name was written over, and its file lost.
  if (path_exists(path))
    return Error{"no free CSV file name",
                 fmt::format("{}.csv and its -2 to -{} exist", base, kMostNamesAStamp),
                 options_.dir, "move older snapshots out of the directory"};
  return path;
}

Result<std::string> CsvSink::write_quietly(TimePoint now, const std::vector<Finding> &firing,
                                           const char *tag) {
  CsvOptions csv;
  csv.format = options_.format;
  csv.window = options_.window;
  auto path = next_path(now, tag);
  if (!path) return path;
  if (Status st = write_snapshot(store_, firing, now, *path, csv); !st) return st.error();
  ++written_;
  return path;
}

Result<std::string> CsvSink::write(TimePoint now, const std::vector<Finding> &firing,
                                   const char *tag) {
  auto done = write_quietly(now, firing, tag);
  if (!done && options_.on_error) options_.on_error(done.error());
  return done;
}

void CsvSink::on_transition(const AlertTransition &t, const TickContext &ctx) {
  // Pending alerts are not yet news; firing and resolved are.
  if (!options_.on_alert || t.state == AlertState::pending) return;
  if (alert_unwritten_since_) return; // one file, written at a later tick, stands for both
  auto done = write_quietly(ctx.now, ctx.firing, "-alert");
  if (done) return;
  Error e = done.error();
  if (out_of_descriptors(e)) {
    alert_unwritten_since_ = ctx.now;
    e.help = fmt::format("tried again at each tick for {:.0f} s; close descriptors or raise "
                         "the limit (ulimit -n)",
                         to_seconds(kAlertRetry));
  }
  if (options_.on_error) options_.on_error(e);
}

void CsvSink::retry_alert_snapshot(const TickContext &ctx) {
  if (!alert_unwritten_since_) return;
  auto done = write_quietly(ctx.now, ctx.firing, "-alert");
  if (!done && out_of_descriptors(done.error()) && ctx.now - *alert_unwritten_since_ < kAlertRetry)
    return; // the next tick tries again
  alert_unwritten_since_.reset();
  if (!done && options_.on_error) {
    Error e = done.error();
    e.what = "--csv-on-alert snapshot not written, given up: " + e.what;
    e.help.clear();
    options_.on_error(e);
  }
}

bool CsvSink::write_long_period(TimePoint now) {
  std::string text(kLongCsvHeader);
  text += long_rows_.rows();
  const auto path = next_path(now, "");
  if (Status st = path ? write_file_atomic(*path, text) : Status(path.error()); !st) {
    // The rows stay: the next file covers the failed period too (a full disk, a directory
    // gone for a while).
    if (options_.on_error) options_.on_error(st.error());
    return false;
  }
  long_rows_.clear_rows();
  ++written_;
  last_periodic_ = now;
  return true;
}

void CsvSink::report_lost_rows(std::size_t lost) {
  if (lost > 0 && options_.on_error)
    options_.on_error(Error{"samples left the store before the long CSV read them",
                            fmt::format("{} samples", lost), options_.dir,
                            "use a shorter --interval"});
}

void CsvSink::on_tick(const TickContext &ctx) {
  last_firing_ = ctx.firing;
  last_tick_ = ctx.now;
  retry_alert_snapshot(ctx);
  if (options_.every <= Duration::zero()) return;
  const bool long_rows = options_.format == CsvFormat::long_rows;
  if (long_rows) {
    // Every tick, not every period: a ring holds 3600 points, fewer than a period may bring.
    report_lost_rows(long_rows_.collect(store_));
    // Bounded memory whatever the period: a file is written early once its rows are this big.
    if (long_rows_.rows().size() > options_.long_rows_max && !write_long_period(ctx.now)) {
      // Neither written nor kept: memory stays bounded while the directory cannot be
      // written (a full disk), and the loss is said.
      const std::size_t dropped = long_rows_.count();
      long_rows_.clear_rows();
      if (options_.on_error)
        options_.on_error(Error{"long CSV rows dropped", fmt::format("{} rows", dropped),
                                options_.dir,
                                "they could not be written and passed the memory bound; free "
                                "the disk or fix --csv-dir"});
    }
  }
  if (!next_due_) {
    next_due_ = ctx.now + options_.every; // the first tick has nothing worth keeping yet
    return;
  }
  // Ticks come a little early or late (scheduling jitter): a tick within half a tick of the
  // due time is that time's tick, or a file would wait a whole extra tick.
  const Duration slack = std::min(options_.tick, options_.every) / 2;
  if (ctx.now + slack < *next_due_) return;
  // A whole period passed unwritten (a suspended laptop, a stopped process): it is skipped,
  // not written late. Writing it at the resume, then the next due one a tick later, put two
  // files a tick apart. The next file comes on the period's grid.
  // (Long format: a file holds the samples since the last file written, so the next one
  // holds the skipped period's too.)
  if (const bool missed = ctx.now > *next_due_ + options_.every; !missed) {
    if (long_rows)
      write_long_period(ctx.now);
    else if (write(ctx.now, ctx.firing, ""))
      last_periodic_ = ctx.now;
  }
  // Skip missed periods instead of writing a burst of files.
  while (*next_due_ <= ctx.now + slack) *next_due_ += options_.every;
}

void CsvSink::on_watch_end(const TickContext &ctx) {
  if (options_.every <= Duration::zero()) return;
  const TimePoint at = ctx.now;
  if (options_.format == CsvFormat::long_rows) {
    report_lost_rows(long_rows_.collect(store_)); // samples since the last tick
    // Not written now, they are lost with the process: said with their count.
    if (!long_rows_.rows().empty() && !write_long_period(at) && options_.on_error)
      options_.on_error(Error{"long CSV rows lost at the stop",
                              fmt::format("{} rows", long_rows_.count()), options_.dir,
                              "they could not be written; fix --csv-dir"});
  } else if (!last_tick_ || last_periodic_ != last_tick_) { // the last tick wrote none
    // Also before the first tick: a stop then still has what arrived, and the alerts that
    // fired after a drain since the last tick (left out, the file said no alert beside the
    // FIRING line printed before the stop).
    if (write(at, ctx.firing, "")) last_periodic_ = at;
  }
}

Result<std::string> CsvSink::snapshot_now(TimePoint now) { return write(now, last_firing_, ""); }

} // namespace clustertop
