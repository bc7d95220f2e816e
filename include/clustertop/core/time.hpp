// Time is data: every line carries its arrival time and every consumer gets `now` as a
// parameter. Only transports and the tick loop read the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "clustertop/core/text.hpp"

namespace clustertop {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;
using Duration = std::chrono::nanoseconds;

// In whole microseconds, as a recording keeps times: a rate worked out from arrival times
// (tokens/s) then comes out the same, to the last digit, in the live run and its replay.
inline TimePoint wall_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
}
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// CLOCK_BOOTTIME: runs on through a suspend and a SIGSTOP as the wall clock does, but is never
// stepped (WallClockWatch).
Duration boot_now();

// Tells when this machine's wall clock was stepped (NTP after a long drift, `date -s`)
// between two readings: the wall clock moved by more or less than the boot clock did.
// Every time clustertop holds is on the wall clock, and a node's skew was measured against it:
// after a step of 5 minutes forward, each node read as 5 minutes silent (a false critical
// stall for 100 s), and after a step back the loop did not tick for as long.
class WallClockWatch {
public:
  // Less than this is NTP's slewing or the distance between the two clocks' readings.
  static constexpr Duration kLeast = std::chrono::seconds(1);
  // The step since the last reading, forward (positive) or back, where it is kLeast or more.
  std::optional<Duration> observe(TimePoint wall, Duration boot);

private:
  std::optional<std::pair<TimePoint, Duration>> last_;
};
inline Duration from_seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
inline double epoch_seconds(TimePoint t) { return to_seconds(t.time_since_epoch()); }
inline TimePoint from_epoch_seconds(double s) { return TimePoint{from_seconds(s)}; }

// The digits at the start of `digits` read as a decimal fraction of a second, in exact
// nanoseconds (".001" is 1'000'000, which a double cannot hold); digits past the ninth are
// read and dropped. `used`: how many digits were read. Nine are kept and scaled once, with
// no division per digit: every line timestamp goes through here.
inline std::int64_t fraction_nanos(std::string_view digits, std::size_t &used) {
  static constexpr std::int64_t kScale[] = {
      1'000'000'000, 100'000'000, 10'000'000, 1'000'000, 100'000, 10'000, 1'000, 100, 10, 1};
  std::int64_t v = 0;
  std::size_t i = 0;
  for (; i < digits.size() && digits[i] >= '0' && digits[i] <= '9'; ++i)
    if (i < 9) v = v * 10 + (digits[i] - '0');
  used = i;
  return v * kScale[i < 9 ? i : 9];
}

// A timestamp reader's last answer, kept for the next text that differs from the one it
// read only in the digits of the second's fraction: a log's lines of one second, stamped in
// milliseconds. The reader says which bytes it looked at (a prefix of its text, and whether
// that reached the text's end), where the fraction's digits lie among them, and the time it
// read. A reader goes through the bytes in order and decides only on what it sees, so a text
// with the same bytes in those places, digits in the fraction's place and the same end makes
// it take the same steps to the same time, but for the fraction: recall() gives that time
// without the steps. `key` tells apart readers (formats) sharing one memo.
class FractionMemo {
public:
  // The time `text` reads as, when the memo holds a text it can answer for.
  [[nodiscard]] bool recall(const void *key, std::string_view text, TimePoint &out) {
    if (!held_ || key != key_) return false;
    const std::size_t n = looked_.size();
    if (saw_end_ ? text.size() != n : text.size() < n) return false;
    const std::string_view seen(looked_);
    if (!same_text(text.substr(0, frac_begin_), seen.substr(0, frac_begin_)) ||
        !same_text(text.substr(frac_end_, n - frac_end_), seen.substr(frac_end_)))
      return false;
    for (std::size_t i = frac_begin_; i < frac_end_; ++i)
      if (text[i] < '0' || text[i] > '9') return false;
    std::size_t used = 0;
    out =
        whole_ + Duration{fraction_nanos(text.substr(frac_begin_, frac_end_ - frac_begin_), used)};
    ++recalled_;
    return true;
  }
  // Times given by recall() (for tests).
  [[nodiscard]] std::uint64_t recalled() const { return recalled_; }
  // After a reading of `text` that gave `t`: it looked at text[0, looked) (reaching the
  // text's end when looked >= text.size()), and the fraction's digits are text[begin, end)
  // (begin == end: none), followed by a byte it looked at or by the end.
  void keep(const void *key, std::string_view text, std::size_t looked, std::size_t begin,
            std::size_t end, TimePoint t) {
    held_ = true;
    key_ = key;
    saw_end_ = looked >= text.size();
    looked_.assign(text.substr(0, looked));
    frac_begin_ = begin;
    frac_end_ = end;
    std::size_t used = 0;
    whole_ = t - Duration{fraction_nanos(text.substr(begin, end - begin), used)};
  }

private:
  bool held_ = false;
  const void *key_ = nullptr;
  std::string looked_;
  bool saw_end_ = false;
  std::size_t frac_begin_ = 0, frac_end_ = 0;
  TimePoint whole_{}; // the time read less its fraction
  std::uint64_t recalled_ = 0;
};

// "2026-11-23T18:07:01.123Z" (UTC, milliseconds).
std::string iso8601_utc(TimePoint t);

// A UTC offset as `date +%z` writes it ("+0530", "-0800"): minutes east of UTC; nullopt for
// anything else, or beyond the real zones' ±14 h. format_utc_offset writes it back.
std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text);
// A zone as a user gives one (config `log_zone`, `replay --zone`): an offset as above, or
// "UTC" or "Z" for +0000.
std::optional<std::chrono::minutes> parse_zone_setting(std::string_view text);
std::string format_utc_offset(std::chrono::minutes offset);

// A node's clock against this machine's (NodeInfo::clock_skew), as the dashboard and the
// figures line show it: "clock 45 s ahead", "clock 10 min behind", "clock 3.5 h behind".
std::string describe_clock_skew(Duration skew);
// A span in one unit, for people: "4s", "3m", "2h", "5d" (whole units; under 0 is 0s).
std::string format_age(Duration d);

// Parses "30s", "500ms", "2m", "1h", "1.5s", "250us"; a bare number is seconds. The number is
// decimal digits with at most one '.' (no sign, space, exponent or hex). false on junk.
bool parse_duration(const std::string &text, Duration &out);

} // namespace clustertop
