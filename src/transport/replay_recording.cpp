// Loading a recording written by the Recorder (format in docs/alerts.md, "Recordings").
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>

#include "clustertop/sink/recorder.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {
namespace {

constexpr Duration kLongestHold = std::chrono::minutes(1);
constexpr const char *kBadTime = "a time that is not µs since the epoch before 2200";

// Splits off `n` space-separated fields; the rest of the line is the last field.
bool fields(const std::string &line, std::size_t n, std::vector<std::string> &out) {
  out.clear();
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto sp = line.find(' ', pos);
    if (sp == std::string::npos) return false;
    out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  out.push_back(line.substr(pos));
  return true;
}

// A time in µs since the epoch, before 2200 as the log stamps (the nanosecond clock ends in
// 2262): 19 digits overflowed stoll (an uncaught exception) and anything past 2262 the clock.
std::optional<TimePoint> micros(const std::string &s) {
  constexpr std::uint64_t kEnd = 7'258'118'400'000'000; // 2200-01-01T00:00:00Z
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t us = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    us = us * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (us >= kEnd) return std::nullopt;
  return TimePoint{std::chrono::microseconds(static_cast<std::int64_t>(us))};
}

std::optional<NodeState> state_of(const std::string &s) {
  for (auto st : {NodeState::connecting, NodeState::up, NodeState::stale, NodeState::down})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

struct FileReader {
  std::map<std::string, std::pair<std::string, std::string>> streams; // id -> node, stream
  std::map<std::string, std::size_t> read_back; // id -> its next L lines read back (`B`)
  std::vector<std::string> f;
  std::optional<TimePoint> ended; // its `E` record: the watch ended cleanly then
  std::vector<std::pair<std::string, std::chrono::minutes>> log_zones; // its `G` records
  std::string why; // what was wrong with the last malformed record

  // One record; false when malformed (`why` says how: set only then, a record read well
  // costs nothing more).
  bool record(const std::string &line, std::vector<TimedEvent> &out,
              std::vector<ReplaySource::Mark> &marks) {
    if (line.empty() || line[0] == '#') return true;
    const auto fail = [this](std::string reason) {
      why = std::move(reason);
      return false;
    };
    using Kind = ReplaySource::Mark::Kind;
    if (line.size() > 2 && line[1] == ' ' && (line[0] == 'T' || line[0] == 'K')) {
      const auto t = micros(line.substr(2));
      if (!t) return fail(kBadTime);
      marks.push_back({line[0] == 'T' ? Kind::drain : Kind::tick, *t});
      return true;
    }
    if (line.rfind("H ", 0) == 0 && fields(line.substr(2), 1, f)) {
      const auto t = micros(f[0]);
      const auto until = micros(f[1]);
      if (!t || !until) return fail(kBadTime);
      // A live hold lasts seconds: one ending before it starts, or past kLongestHold, is
      // damage (a hold of ten minutes hid every alert after it without a word).
      if (*until < *t || *until - *t > kLongestHold)
        return fail("a hold that ends before it starts or lasts more than a minute");
      marks.push_back({Kind::hold, *t, *until});
      return true;
    }
    if (line.rfind("D ", 0) == 0 && fields(line.substr(2), 2, f)) {
      streams[f[0]] = {record_unescape(f[1]), record_unescape(f[2])};
      return true;
    }
    if (line.rfind("L ", 0) == 0 && fields(line.substr(2), 2, f)) {
      auto t = micros(f[0]);
      if (!t) return fail(kBadTime);
      auto it = streams.find(f[1]);
      if (it == streams.end())
        return fail("a line of stream " + f[1] + ", which no D record before it defines");
      auto *last = out.empty() ? nullptr : std::get_if<LineBatch>(&out.back().event);
      // A read-back line goes before a batch's live lines: after them it starts a batch.
      auto left = read_back.find(f[1]);
      const bool back = left != read_back.end() && left->second > 0;
      if (back) --left->second;
      if (last == nullptr || out.back().at != *t || last->node != it->second.first ||
          last->stream != it->second.second || (back && last->backfilled < last->lines.size())) {
        out.push_back({*t, LineBatch{it->second.first, it->second.second, *t, {}}});
        last = std::get_if<LineBatch>(&out.back().event);
      }
      last->lines.push_back(record_unescape(f[2]));
      if (back) ++last->backfilled;
      return true;
    }
    if (line.rfind("B ", 0) == 0 && fields(line.substr(2), 2, f)) {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), n);
      if (!micros(f[0])) return fail(kBadTime);
      if (ec != std::errc{} || end != f[2].data() + f[2].size())
        return fail("a count of read-back lines that is not a number");
      if (streams.find(f[1]) == streams.end())
        return fail("read-back lines of stream " + f[1] + ", which no D record before it defines");
      read_back[f[1]] = n;
      return true;
    }
    if (line.rfind("Z ", 0) == 0 && fields(line.substr(2), 2, f)) {
      // The UTC offset of the status just before it, of the same node and time.
      auto *status = out.empty() ? nullptr : std::get_if<NodeStatus>(&out.back().event);
      const auto t = micros(f[0]);
      const auto offset = parse_utc_offset(f[2]);
      if (!t) return fail(kBadTime);
      if (!offset) return fail("a UTC offset that is not ±hhmm");
      if (status == nullptr || status->at != *t || status->node != record_unescape(f[1]))
        return fail("a zone that follows no status of its node and time");
      status->utc_offset = offset;
      return true;
    }
    if (line.rfind("G ", 0) == 0 && fields(line.substr(2), 2, f)) {
      const auto offset = parse_utc_offset(f[2]);
      if (!micros(f[0])) return fail(kBadTime);
      if (!offset) return fail("a UTC offset that is not ±hhmm");
      log_zones.emplace_back(record_unescape(f[1]), *offset);
      return true;
    }
    if (line.rfind("E ", 0) == 0) {
      ended = micros(line.substr(2));
      return ended ? true : fail(kBadTime);
    }
    if (line.rfind("S ", 0) == 0 && fields(line.substr(2), 4, f)) {
      auto t = micros(f[0]);
      if (!t) return fail(kBadTime);
      auto st = state_of(f[3]);
      if (!st) return fail("a state that is not connecting, up, stale or down");
      out.push_back({*t, NodeStatus{record_unescape(f[1]), record_unescape(f[2]), *st,
                                    record_unescape(f[4]), *t}});
      return true;
    }
    return fail("a record this format does not have, or one with a field missing");
  }
};

} // namespace

namespace {
// The status a node takes at a watch's end, until another file hears from it.
constexpr std::string_view kNotWatched = "not watched: the recording's watch ended here";
} // namespace

Result<ReplaySource> ReplaySource::from_recording(const std::string &dir,
                                                  bool clock_runs_past_end) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto &e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".ctrec") files.push_back(e.path());
  if (ec)
    return Error{"cannot read the recording directory", ec.message(), dir,
                 "pass the directory given to --record"};
  if (files.empty())
    return Error{"no recording in directory", "no *.ctrec file", dir,
                 "pass the directory given to --record, or replay logs with --node NAME=LOG"};
  std::sort(files.begin(), files.end());
  ReplaySource src;
  bool all_ended = true;
  for (const auto &p : files) {
    std::ifstream in(p, std::ios::binary);
    FileReader reader;
    std::string line;
    // The header names the format: a plain log renamed *.ctrec was "an empty recording", and
    // a later format was read as this one without a word.
    if (!std::getline(in, line) || line.rfind("#clustertop-recording ", 0) != 0)
      return Error{"not a recording", "no '#clustertop-recording' header", p.string(),
                   "replay plain logs with --node NAME=LOG"};
    // Format 2 adds where the live run judged (T, K, H); format 1 has none.
    if (line.rfind("#clustertop-recording 1 ", 0) != 0 &&
        line.rfind("#clustertop-recording 2 ", 0) != 0)
      return Error{"a recording format this clustertop does not read",
                   "header '" + line.substr(0, 40) + "', format 1 or 2 expected", p.string(),
                   "replay it with the clustertop that recorded it"};
    std::uint64_t offset = line.size() + 1; // where `line` starts
    const std::size_t first_mark = src.marks_.size();
    std::size_t line_number = 1, malformed = 0;
    std::string first_malformed; // where and why, said once a file
    while (std::getline(in, line)) {
      ++line_number;
      if (in.eof()) { // no final newline: cut off mid-write, or still being written
        src.warnings_.push_back(fmt::format(
            "{}: the last record is cut off at byte {} ({} bytes without a line end: the "
            "recording stopped in the middle of a write, or is still being written); it is not "
            "replayed, the records before it are",
            p.string(), offset, line.size()));
        break;
      }
      offset += line.size() + 1;
      if (!reader.record(line, src.events_, src.marks_)) {
        ++src.skipped_;
        if (malformed++ == 0) first_malformed = fmt::format("line {}: {}", line_number, reader.why);
      }
    }
    // A count alone left a reader guessing: 2084 records were every line of a node's log,
    // whose stream's D record was missing.
    if (malformed > 0)
      src.warnings_.push_back(fmt::format("{}: {} malformed record{} skipped, the first at {}",
                                          p.string(), malformed, malformed == 1 ? "" : "s",
                                          first_malformed));
    src.log_zones_.insert(src.log_zones_.end(), reader.log_zones.begin(), reader.log_zones.end());
    if (reader.ended) {
      // A mark past its watch's end is damage: the clock ran an hour past the end for one.
      const auto late =
          std::remove_if(src.marks_.begin() + static_cast<long>(first_mark), src.marks_.end(),
                         [&](const Mark &m) { return m.at > *reader.ended; });
      src.skipped_ += static_cast<std::size_t>(src.marks_.end() - late);
      src.marks_.erase(late, src.marks_.end());
      src.ended_ = std::max(src.ended_.value_or(*reader.ended), *reader.ended);
      // Nobody watched this file's nodes from its end until another recording of the same
      // directory (a watch restarted into it) hears from them: not a silence of theirs. The
      // gap between two watches read as a 25-minute hang.
      std::set<std::string> nodes;
      for (const auto &[id, stream] : reader.streams) nodes.insert(stream.first);
      for (const auto &node : nodes)
        src.events_.push_back({*reader.ended, NodeStatus{node, "", NodeState::connecting,
                                                         std::string(kNotWatched), *reader.ended}});
    } else {
      all_ended = false;
      src.warnings_.push_back(fmt::format(
          "{}: no end record (the watch was killed, or recorded by an older clustertop): the "
          "clock runs on past the last line (5 minutes, or --until), where a stall may be the "
          "watch's end rather than the cluster's; --until 0s stops at the last line",
          p.string()));
    }
  }
  if (!all_ended) src.ended_.reset();
  // Where the clock stops at the last watch's end, nothing follows to be no silence of the
  // nodes': they end as the live run left them (`up`), which its stop files (the CSV's period
  // cut short) show, and so do the replay's.
  if (src.ended_ && !clock_runs_past_end)
    std::erase_if(src.events_, [&](const TimedEvent &e) {
      const auto *status = std::get_if<NodeStatus>(&e.event);
      return e.at == *src.ended_ && status != nullptr && status->detail == kNotWatched;
    });
  std::stable_sort(src.events_.begin(), src.events_.end(),
                   [](const TimedEvent &a, const TimedEvent &b) { return a.at < b.at; });
  std::stable_sort(src.marks_.begin(), src.marks_.end(),
                   [](const Mark &a, const Mark &b) { return a.at < b.at; });
  if (src.events_.empty()) return Error{"empty recording", "no line or status recorded", dir, ""};
  src.first_ = src.events_.front().at;
  return src;
}

} // namespace clustertop
