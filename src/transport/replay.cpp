// The timestamps of plain log lines, which give a replayed log its arrival times.
#include "clustertop/transport/replay.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <sys/stat.h>

#include "clustertop/core/time.hpp"
#include "replay_internal.hpp"

namespace clustertop {
namespace {

bool num(const std::string &s, std::size_t pos, std::size_t n, int &out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Where a clock's text ended, and where the digits of its fraction of a second began
// (`end` when it has none; they end at `end`).
struct ClockEnd {
  std::size_t fraction = 0, end = 0;
};

// "HH:MM:SS[.frac]" at pos; nanoseconds of the day and where it ended.
bool clock_at(const std::string &s, std::size_t pos, long long &nanos, ClockEnd &at) {
  int h = 0, m = 0, sec = 0;
  if (!num(s, pos, 2, h) || pos + 2 >= s.size() || s[pos + 2] != ':' || !num(s, pos + 3, 2, m) ||
      pos + 5 >= s.size() || s[pos + 5] != ':' || !num(s, pos + 6, 2, sec) || h > 23 || m > 59 ||
      sec > 60)
    return false;
  nanos = (h * 3600LL + m * 60LL + sec) * 1'000'000'000LL;
  at.end = at.fraction = pos + 8;
  if (at.end < s.size() && (s[at.end] == '.' || s[at.end] == ',')) {
    std::size_t used = 0;
    at.fraction = at.end + 1;
    nanos += fraction_nanos(std::string_view(s).substr(at.fraction), used);
    at.end = at.fraction + used;
  }
  return true;
}

// The zone after the clock that ended at `end`, in nanoseconds east of UTC: "Z" is 0,
// "+hh[[:]mm]" / "-hh[[:]mm]" its offset; nullopt when none follows.
std::optional<long long> zone_offset(const std::string &s, std::size_t end) {
  if (end < s.size() && s[end] == 'Z') return 0;
  if (end >= s.size() || (s[end] != '+' && s[end] != '-')) return std::nullopt;
  int h = 0, m = 0;
  if (!num(s, end + 1, 2, h)) return std::nullopt;
  std::size_t mpos = end + 3 + (end + 3 < s.size() && s[end + 3] == ':' ? 1 : 0);
  if (!num(s, mpos, 2, m)) m = 0;
  return (s[end] == '-' ? -1 : 1) * (h * 3600LL + m * 60LL) * 1'000'000'000LL;
}

} // namespace

namespace replay_detail {
namespace {

// The stamp at i, if any, and where its clock ended.
std::optional<Stamp> stamp_at(const std::string &s, std::size_t i, int year, TimePoint day,
                              ClockEnd &at) {
  int y = 0, mo = 0, d = 0;
  long long secs = 0; // nanoseconds of the day
  auto at_day = [](long long days, long long ns) {
    return TimePoint{Duration{days * 86'400'000'000'000LL + ns}};
  };
  if (num(s, i, 4, y) && i + 10 < s.size() && s[i + 4] == '-' && num(s, i + 5, 2, mo) &&
      s[i + 7] == '-' && num(s, i + 8, 2, d) && (s[i + 10] == ' ' || s[i + 10] == 'T') &&
      clock_at(s, i + 11, secs, at) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && y >= 1900 &&
      y <= 2200) // as parse_time: the nanosecond clock ends in 2262
  {
    const auto zone = zone_offset(s, at.end);
    return Stamp{at_day(days_from_civil(y, mo, d), secs - zone.value_or(0)), true,
                 zone.has_value()};
  }
  if (num(s, i, 2, mo) && i + 5 < s.size() && s[i + 2] == '-' && num(s, i + 3, 2, d) &&
      s[i + 5] == ' ' && clock_at(s, i + 6, secs, at) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31)
    return Stamp{at_day(days_from_civil(year, mo, d), secs), true, false, true};
  if (clock_at(s, i, secs, at)) {
    const std::size_t end = at.end;
    if (end + 1 < s.size() && (s[end + 1] == 'M' || s[end + 1] == 'm')) { // loguru "...PM"
      const char ap = static_cast<char>(std::toupper(static_cast<unsigned char>(s[end])));
      const long long noon = 12 * 3600 * 1'000'000'000LL;
      if (ap == 'P' && secs < noon) secs += noon;
      if (ap == 'A' && secs >= noon) secs -= noon;
    }
    return Stamp{day + Duration{secs}, false};
  }
  return std::nullopt;
}

} // namespace

std::optional<Stamp> find_stamp(const std::string &line, int year, TimePoint day, StampMemo *memo) {
  const std::size_t scan = std::min<std::size_t>(line.size(), 80);
  // Every form has a ':' at most 13 bytes after its start ("YYYY-MM-DD HH:"): a line
  // without one there (most step lines) is turned away by one memchr.
  if (std::memchr(line.data(), ':', std::min(line.size(), scan + 13)) == nullptr)
    return std::nullopt;
  if (memo != nullptr) {
    TimePoint t;
    if (memo->fraction.recall(nullptr, line, t))
      return Stamp{t, memo->dated, memo->zoned, memo->yearless};
  }
  bool first = true; // no number started before i
  for (std::size_t i = 0; i < scan; ++i) {
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(line[i - 1])) || line[i - 1] == ':'))
      continue; // only at the start of a number
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) continue;
    ClockEnd at;
    const auto st = stamp_at(line, i, year, day, at);
    if (!st) {
      first = false;
      continue;
    }
    // Kept only for a stamp at the line's first number: the scan looked at nothing before
    // it but the bytes up to it. Past its clock, the forms look at most at a zone
    // ("+hh:mm") or "PM" after it: 7 bytes.
    if (memo != nullptr && first) {
      memo->fraction.keep(nullptr, line, at.end + 7, at.fraction, at.end, st->t);
      memo->dated = st->dated;
      memo->zoned = st->zoned;
      memo->yearless = st->yearless;
    }
    return st;
  }
  return std::nullopt;
}

TimePoint shift_years(TimePoint t, int years) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  // A 29th of February moved to a year without one counts on past the month's end: the 1st
  // of March (sys_days of a day past its month is defined so).
  const sys_days moved{
      year_month_day{ymd.year() + std::chrono::years{years}, ymd.month(), ymd.day()}};
  return TimePoint{moved.time_since_epoch() + (t - day)};
}

FileDay file_day(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  std::tm tm{};
  const std::time_t secs = st.st_mtime;
  gmtime_r(&secs, &tm);
  const long long days = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return {tm.tm_year + 1900, from_epoch_seconds(static_cast<double>(days) * 86400),
          TimePoint{std::chrono::seconds{secs}}};
}

} // namespace replay_detail

std::optional<TimePoint> line_time(const std::string &line, int year, TimePoint day) {
  auto st = replay_detail::find_stamp(line, year, day);
  if (!st) return std::nullopt;
  return st->t;
}

} // namespace clustertop
