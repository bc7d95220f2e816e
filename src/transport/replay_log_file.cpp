// Plain logs as replay events, read as the replay clock reaches them (--node NAME=LOGFILE):
// large buffered reads, one file per node, merged by arrival time.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sys/stat.h>

#include <fmt/format.h>

#include "clustertop/transport/ssh.hpp"
#include "replay_internal.hpp"

namespace clustertop {
namespace {

constexpr std::size_t kMaxLine = ReplaySource::kMaxLineBytes; // longer lines are cut
constexpr std::size_t kChunk = 1 << 20;                       // bytes per read
// Lines of one time go out in batches of at most this many: a log whose lines all carry one
// time (or only the first carries any) is never held whole.
constexpr std::size_t kMaxBatchLines = 1024;
// Line strings kept for reuse, in recycled batches and loose each: as many as one take can
// hold (kMaxTakeLines, and the last batch may end past it), so that a replay whose lines all
// carry one time fills every batch with strings of the take before. A replay holds at most
// one take plus these.
constexpr std::size_t kMaxSpareLines = ReplaySource::kMaxTakeLines + kMaxBatchLines;

// The lines an event brings to a take: a batch its lines, anything else one.
std::size_t take_weight(const Event &e) {
  const auto *b = std::get_if<LineBatch>(&e);
  return b != nullptr ? std::max<std::size_t>(b->lines.size(), 1) : 1;
}

LineBatch take_batch(ReplaySource::Spares &spares) {
  if (spares.batches.empty()) return {};
  LineBatch b = std::move(spares.batches.back());
  spares.batches.pop_back();
  spares.lines -= b.lines.size();
  return b;
}

void keep_loose(ReplaySource::Spares &spares, std::string &&s) {
  if (spares.loose.size() < kMaxSpareLines) spares.loose.push_back(std::move(s));
}

// The batch's next line string: one it held already, else a loose one, else a new one.
std::string &line_slot(ReplaySource::Spares &spares, std::vector<std::string> &lines,
                       std::size_t &used) {
  if (used == lines.size()) {
    if (spares.loose.empty()) {
      lines.emplace_back();
    } else {
      lines.push_back(std::move(spares.loose.back()));
      spares.loose.pop_back();
    }
  }
  return lines[used++];
}

} // namespace

ReplaySource::LogFile::LogFile(std::string node, const std::string &path, std::FILE *file,
                               std::chrono::minutes zone)
    : node_(std::move(node)), stream_("log:" + path), file_(file),
      day_(replay_detail::file_day(path)), zone_(zone), buf_(kChunk) {}

ReplaySource::LogFile::~LogFile() { std::fclose(file_); }

// The next line without its newline (and a final '\r') or the NULs before its text, cut at
// kMaxLine bytes; false at the end of the file. A last line without a newline is still a
// line.
bool ReplaySource::LogFile::next_line(std::string &line) {
  line.clear();
  bool any = false;
  bool cut = false;
  while (true) {
    if (pos_ == end_) {
      if (eof_) break;
      pos_ = 0;
      end_ = std::fread(buf_.data(), 1, buf_.size(), file_);
      if (end_ == 0) {
        eof_ = true; // a read error ends the log too
        break;
      }
    }
    const char *start = buf_.data() + pos_;
    if (line.empty() && *start == '\0') { // NULs before a line's text: see LineSplitter
      ++pos_;
      continue;
    }
    const auto *nl = static_cast<const char *>(std::memchr(start, '\n', end_ - pos_));
    const std::size_t len = nl != nullptr ? static_cast<std::size_t>(nl - start) : end_ - pos_;
    if (len > kMaxLine - line.size()) cut = true;
    if (line.size() < kMaxLine) line.append(start, std::min(len, kMaxLine - line.size()));
    any = true;
    if (nl != nullptr) {
      pos_ += len + 1;
      break;
    }
    pos_ = end_;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  counts_.cut_lines += cut ? 1 : 0;
  return any;
}

std::optional<TimePoint> ReplaySource::LogFile::stamp(const std::string &line) {
  const auto st = replay_detail::find_stamp(line, day_.year, day_.midnight, &stamp_memo_);
  ++counts_.lines;
  if (!st) return ++counts_.unstamped, std::nullopt;
  TimePoint t = st->zoned ? st->t : st->t - zone_;
  using std::chrono::hours;
  if (st->yearless) { // a month and day: which year is a guess, made as a day is below
    constexpr auto kHalfYear = hours(24 * 183);
    for (int i = 0; i < 2 && !prev_ && t > day_.modified + hours(1); ++i)
      t = replay_detail::shift_years(t, -1);
    for (int i = 0; i < 2 && prev_ && t + kHalfYear < *prev_; ++i)
      t = replay_detail::shift_years(t, 1); // past New Year
    for (int i = 0; i < 2 && prev_ && t - kHalfYear > *prev_; ++i)
      t = replay_detail::shift_years(t, -1);
  } else if (st->dated && prev_ && t > *prev_ + kStrayJump && t > day_.modified + kLatestStamp) {
    // Not when the line was written: a stray stamp (a broken clock's 2099), far past the line
    // before and past the file's last change, moved the replay to it, held every later line
    // back for the hour ticked there (a false stall) and delivered them 73 years on, where a
    // crash among them was too old to count. (Not the first stamp, nor one that follows the
    // line before within kStrayJump: a log's days whose file was given an earlier time.)
    ++counts_.late_stamps;
    return std::nullopt;
  }
  if (!st->dated) { // a bare time of day: which day is a guess, made so
    if (!prev_) {
      // The first: on the last day that puts it before the file was last modified (an
      // hour allowed for a clock running ahead), not on the modification day itself, which
      // put a log that ended just after midnight, or a copy made the next day, a day late.
      while (t > day_.modified + hours(1)) t -= hours(24);
    } else {
      // The others: on the day from an hour before the line before to a day after it. A log
      // runs forward (a line an hour out of order at most), so a time of day well before
      // the last is of a later day: the nearest day folded the morning after an idle night
      // back onto the evening before, 10.5 h early, and its crash was too old to count.
      while (t < *prev_ - hours(1)) t += hours(24);
      while (t >= *prev_ + hours(23)) t -= hours(24);
    }
  }
  prev_ = t;
  return t;
}

bool ReplaySource::LogFile::start() {
  std::string line;
  while (next_line(line)) {
    const auto t = stamp(line);
    ahead_.push_back(std::move(line)); // lines before the first stamp take its time
    if (t) {
      now_ = *t;
      head = TimedEvent{now_, NodeStatus{node_, "", NodeState::up, "replay", now_, zone_}};
      return true;
    }
  }
  return false;
}

void ReplaySource::LogFile::advance(Spares &spares) {
  head.reset();
  if (ahead_.empty() && !has_carry_) return; // the end of the file
  LineBatch batch = take_batch(spares);
  batch.node.assign(node_);
  batch.stream.assign(stream_);
  batch.received_at = now_;
  std::size_t used = 0;
  for (auto &l : ahead_) { // the lines up to the first stamp (start())
    line_slot(spares, batch.lines, used).swap(l);
    keep_loose(spares, std::move(l)); // what the slot held
  }
  ahead_.clear();
  if (has_carry_) line_slot(spares, batch.lines, used).swap(carry_);
  has_carry_ = false;
  while (true) {
    // A full batch takes no slot for the line after it (its vector would double for one
    // line): that line is read straight into the carry.
    const bool full = used == kMaxBatchLines;
    std::string &line = full ? carry_ : line_slot(spares, batch.lines, used);
    if (!next_line(line)) {
      used -= full ? 0 : 1;
      break;
    }
    if (const auto t = stamp(line)) now_ = std::max(now_, *t); // an earlier stamp: no rewind
    if (full || now_ != batch.received_at) {
      if (!full) {
        carry_.swap(line); // the first line of the next batch
        --used;
      }
      has_carry_ = true;
      break;
    }
  }
  while (batch.lines.size() > used) { // kept for batches that need more
    keep_loose(spares, std::move(batch.lines.back()));
    batch.lines.pop_back();
  }
  const TimePoint at = batch.received_at;
  head = TimedEvent{at, std::move(batch)};
}

ReplaySource::ReplaySource() = default;
ReplaySource::~ReplaySource() = default;
ReplaySource::ReplaySource(ReplaySource &&) noexcept = default;
ReplaySource &ReplaySource::operator=(ReplaySource &&) noexcept = default;

void ReplaySource::recycle(std::vector<Event> &spent) {
  for (auto &e : spent) {
    auto *batch = std::get_if<LineBatch>(&e);
    if (batch == nullptr || spares_.lines + batch->lines.size() > kMaxSpareLines) continue;
    spares_.lines += batch->lines.size();
    spares_.batches.push_back(std::move(*batch));
  }
}

ReplaySource::LogCounts &ReplaySource::LogCounts::operator+=(const LogCounts &o) {
  lines += o.lines;
  unstamped += o.unstamped;
  late_stamps += o.late_stamps;
  cut_lines += o.cut_lines;
  return *this;
}

ReplaySource::LogCounts ReplaySource::log_counts() const {
  LogCounts all;
  for (const auto &log : logs_) all += log->counts();
  return all;
}

std::optional<TimePoint> ReplaySource::peek() const {
  std::optional<TimePoint> at;
  if (next_ < events_.size()) at = events_[next_].at;
  for (const auto &log : logs_)
    if (log->head && (!at || log->head->at < *at)) at = log->head->at;
  return at;
}

// Events at the same time keep the order of a stable sort by time: the recording's order,
// then the logs in --node order, each in its own order.
void ReplaySource::take_into(TimePoint t, std::vector<Event> &out, std::size_t &budget) {
  const auto take = [&](Event &&e) {
    budget -= std::min(budget, take_weight(e));
    out.push_back(std::move(e));
  };
  while (budget > 0 && next_ < events_.size() && events_[next_].at == t)
    take(std::move(events_[next_++].event));
  for (auto &log : logs_)
    while (budget > 0 && log->head && log->head->at == t) {
      take(std::move(log->head->event));
      log->advance(spares_);
    }
  last_ = t;
}

std::vector<Event> ReplaySource::take_next() {
  std::vector<Event> out;
  std::size_t budget = std::numeric_limits<std::size_t>::max();
  if (const auto t = peek()) take_into(*t, out, budget);
  return out;
}

std::optional<TimePoint> ReplaySource::take_until(TimePoint limit, std::vector<Event> &out) {
  std::optional<TimePoint> last;
  std::size_t budget = kMaxTakeLines;
  while (budget > 0) {
    const auto at = peek();
    if (!at || *at > limit) break;
    take_into(*at, out, budget);
    last = *at;
  }
  return last;
}

Result<ReplaySource> ReplaySource::from_logs(const std::vector<std::string> &node_logs,
                                             std::chrono::minutes zone) {
  ReplaySource src;
  for (const auto &spec : node_logs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Error{"invalid --node", "expected NAME=LOGFILE", spec,
                   "for example: --node mac1=exo-mac1.log"};
    const std::string name = spec.substr(0, eq), path = spec.substr(eq + 1);
    if (auto s = validate_node_name(name); !s)
      return Error{"invalid --node", s.error().reason, s.error().where,
                   "name the node with a label of your own: --node mac1=exo-mac1.log"};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return Error{"cannot replay log file", "it is a directory", path,
                   "name a log file; a directory written by --record is replayed as "
                   "`clustertop replay DIR`"};
    // A FIFO with no writer blocked the open, and /dev/zero was read for ever looking for a
    // first time, both deaf to SIGINT and SIGTERM: a replay reads files.
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      return Error{"cannot replay log file", "it is not a regular file (a pipe or a device)", path,
                   "save the log to a file first, then replay the file"};
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f == nullptr)
      return Error{"cannot open log file", std::strerror(errno), path, "check the path"};
    // An empty log (a node that wrote nothing yet) has nothing to replay; it stopped the
    // replay of the others, said to carry no timestamps.
    if (::fstat(::fileno(f), &st) == 0 && st.st_size == 0) {
      std::fclose(f);
      src.warnings_.push_back(fmt::format("{}: the log is empty; nothing replayed from it", path));
      continue;
    }
    auto log = std::make_unique<LogFile>(name, path, f, zone);
    if (!log->start())
      return Error{"no timestamps in log file", "no line carries a date or time of day", path,
                   "replay a recording made with --record instead"};
    const TimePoint at = log->head->at;
    src.first_ = src.first_ ? std::min(*src.first_, at) : at;
    src.logs_.push_back(std::move(log));
    src.nodes_.push_back(name);
  }
  if (src.logs_.empty() && !node_logs.empty())
    return Error{"nothing to replay", "every log given is empty", "",
                 "name a log that has lines, or a recording made with --record"};
  return src;
}

} // namespace clustertop
