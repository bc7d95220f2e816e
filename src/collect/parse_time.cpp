// Line timestamps: a tiny strptime that never reads the clock or the locale.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "clustertop/collect/parser.hpp"
#include "clustertop/collect/units.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {
namespace {

struct Fields {
  int year = -1, month = -1, day = -1, hour = 0, minute = 0;
  int second = 0;
  std::int64_t nanos = 0; // the fraction of the second, exactly (a double cannot hold .001)
  int pm = -1;            // -1 none, 0 AM, 1 PM
  int tz_minutes = 0;
  bool zoned = false;        // the text gave its zone (Z, +hh:mm)
  std::string_view fraction; // the fraction's digits, within the text
};

bool read_int(std::string_view &s, int max_digits, int &out) {
  int v = 0;
  int n = 0;
  while (n < max_digits && !s.empty() && s.front() >= '0' && s.front() <= '9') {
    v = v * 10 + (s.front() - '0');
    s.remove_prefix(1);
    ++n;
  }
  out = v;
  return n > 0;
}

bool read_seconds(std::string_view &s, Fields &f) {
  if (!read_int(s, 2, f.second)) return false;
  f.nanos = 0;
  f.fraction = {};
  if (!s.empty() && (s.front() == '.' || s.front() == ',')) {
    s.remove_prefix(1);
    std::size_t used = 0;
    f.nanos = fraction_nanos(s, used);
    f.fraction = s.substr(0, used);
    s.remove_prefix(used);
  }
  return true;
}

bool read_tz(std::string_view &s, int &minutes, bool &zoned) {
  if (s.empty()) return true;
  if (s.front() == 'Z') return s.remove_prefix(1), zoned = true;
  if (s.front() != '+' && s.front() != '-') return true;
  zoned = true;
  const int sign = s.front() == '-' ? -1 : 1;
  s.remove_prefix(1);
  int h = 0;
  int m = 0;
  if (!read_int(s, 2, h)) return false;
  if (!s.empty() && s.front() == ':') s.remove_prefix(1);
  read_int(s, 2, m);
  minutes = sign * (h * 60 + m);
  return true;
}

bool apply_directive(char d, std::string_view &s, Fields &f) {
  switch (d) {
  case 'Y': return read_int(s, 4, f.year);
  case 'm': return read_int(s, 2, f.month);
  case 'd': return read_int(s, 2, f.day);
  case 'H': return read_int(s, 2, f.hour);
  case 'I': return read_int(s, 2, f.hour);
  case 'M': return read_int(s, 2, f.minute);
  case 'S': return read_seconds(s, f);
  case 'z': return read_tz(s, f.tz_minutes, f.zoned);
  case 'p':
    if (s.size() < 2) return false;
    if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'M' || s[1] == 'm'))
      f.pm = 0;
    else if ((s[0] == 'P' || s[0] == 'p') && (s[1] == 'M' || s[1] == 'm'))
      f.pm = 1;
    else
      return false;
    s.remove_prefix(2);
    return true;
  default: return false;
  }
}

bool scan(std::string_view text, std::string_view fmt, Fields &f) {
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '%' && i + 1 < fmt.size()) {
      if (!apply_directive(fmt[++i], text, f)) return false;
    } else if (fmt[i] == ' ') {
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    } else {
      if (text.empty() || text.front() != fmt[i]) return false;
      text.remove_prefix(1);
    }
  }
  return true;
}

} // namespace

bool parse_time(std::string_view text, const std::string &format, TimePoint received_at,
                TimePoint &out, FractionMemo *memo, std::chrono::minutes utc_offset) {
  using namespace std::chrono;
  text = trim(text);
  if (format == "epoch") {
    double v = 0;
    std::string_view rest;
    // Bounded so the nanosecond clock cannot overflow (it ends in 2262).
    if (!parse_leading_number(text, v, rest) || v < 0 || v > 7e9) return false;
    out = from_epoch_seconds(v);
    return true;
  }
  if (memo != nullptr && memo->recall(&format, text, out)) return true;
  Fields f;
  const std::string_view fmt =
      format == "iso8601" ? std::string_view("%Y-%m-%dT%H:%M:%S%z") : std::string_view(format);
  if (!scan(text, fmt, f)) return false;
  const bool dated = f.year >= 0 && f.month >= 0 && f.day >= 0;
  // A time without a zone is the writer's local time: `utc_offset` ahead of UTC.
  const minutes offset = f.zoned ? minutes{f.tz_minutes} : utc_offset;
  const bool no_day = f.day < 0, no_year = f.year < 0;
  if (!dated) { // a date part the text lacks: the arrival date, where the line was written
    const auto today = year_month_day{floor<days>(received_at + offset)};
    if (f.year < 0) f.year = static_cast<int>(today.year());
    if (f.month < 0) f.month = static_cast<int>(static_cast<unsigned>(today.month()));
    if (f.day < 0) f.day = static_cast<int>(static_cast<unsigned>(today.day()));
  }
  if (f.pm == 1 && f.hour < 12) f.hour += 12;
  if (f.pm == 0 && f.hour == 12) f.hour = 0;
  if (f.hour > 23 || f.minute > 59 || f.second >= 61) return false;
  const auto at_year = [&](int y) -> std::optional<TimePoint> {
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(f.month)},
                             day{static_cast<unsigned>(f.day)}};
    if (!ymd.ok() || y < 1900 || y > 2200) return std::nullopt;
    const auto t = sys_days{ymd}.time_since_epoch() + hours{f.hour} + minutes{f.minute} - offset +
                   seconds{f.second};
    return TimePoint{duration_cast<Duration>(t) + duration_cast<Duration>(nanoseconds{f.nanos})};
  };
  const auto t = at_year(f.year);
  if (!t) return false;
  out = *t;
  // A date taken from the arrival is the last one before it: a line is written before it
  // arrives, so a time of day an hour or more past the arrival's (a line written before
  // midnight that arrives after it, a backfilled line of last evening) is of the day before,
  // and a month and day more than a month ahead of the arrival's, of the year before. The
  // hour and the month allow for a node's clock running a little ahead.
  if (no_day) {
    while (out > received_at + hours{1}) out -= days{1};
    while (out <= received_at - hours{23}) out += days{1};
  } else if (no_year) {
    const auto other = out > received_at + days{31}     ? at_year(f.year - 1)
                       : out <= received_at - days{334} ? at_year(f.year + 1)
                                                        : std::nullopt;
    if (other) out = *other;
  }
  // The whole text was looked at. A time that took its date from the arrival time is not
  // kept: the next text's could differ (and a format without a date never has one, so the
  // memo keeps what another format of the same reader left).
  if (memo != nullptr && dated) {
    const auto begin =
        f.fraction.empty() ? 0 : static_cast<std::size_t>(f.fraction.data() - text.data());
    memo->keep(&format, text, text.size(), begin, begin + f.fraction.size(), out);
  }
  return true;
}

} // namespace clustertop
