#include "clustertop/sink/csv_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>

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

std::string CsvSink::next_path(TimePoint now, const char *tag) const {
  const std::string base = fmt::format("{}/clustertop-{}{}{}", options_.dir, file_stamp(now), tag,
                                       options_.format == CsvFormat::long_rows ? "-long" : "");
  std::string path = base + ".csv";
  for (int n = 2; path_exists(path) && n < 10000; ++n) path = fmt::format("{}-{}.csv", base, n);
  return path;
}

Result<std::string> CsvSink::write(TimePoint now, const std::vector<Finding> &firing,
                                   const char *tag, std::optional<TimePoint> since) {
  CsvOptions csv;
  csv.format = options_.format;
  csv.window = options_.window;
  csv.since = since;
  std::string path = next_path(now, tag);
  if (Status st = write_snapshot(store_, firing, now, path, csv); !st) {
    if (options_.on_error) options_.on_error(st.error());
    return st.error();
  }
  ++written_;
  return path;
}

void CsvSink::on_transition(const AlertTransition &t, const TickContext &ctx) {
  // Pending alerts are not yet news; firing and resolved are.
  if (!options_.on_alert || t.state == AlertState::pending) return;
  (void)write(ctx.now, ctx.firing, "-alert", std::nullopt);
}

void CsvSink::on_tick(const TickContext &ctx) {
  last_firing_ = ctx.firing;
  if (options_.every <= Duration::zero()) return;
  if (!next_due_) {
    next_due_ = ctx.now + options_.every; // the first tick has nothing worth keeping yet
    last_periodic_ = std::nullopt;
    return;
  }
  // Ticks come a little early or late (scheduling jitter): a tick within half a tick of the
  // due time is that time's tick, or a file would wait a whole extra tick.
  const Duration slack = std::min(options_.tick, options_.every) / 2;
  if (ctx.now + slack < *next_due_) return;
  // Long format: a file holds the samples since the last file written; after a failed write
  // (disk full) the next file covers the failed period too.
  if (write(ctx.now, ctx.firing, "", last_periodic_)) last_periodic_ = ctx.now;
  // Skip missed periods (a suspended laptop) instead of writing a burst of files.
  while (*next_due_ <= ctx.now + slack) *next_due_ += options_.every;
}

Result<std::string> CsvSink::snapshot_now(TimePoint now) {
  return write(now, last_firing_, "", std::nullopt);
}

} // namespace clustertop
