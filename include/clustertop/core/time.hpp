// Time is data: every line carries its arrival time and every consumer gets `now` as a
// parameter. Only transports and the tick loop read the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace clustertop {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;
using Duration = std::chrono::nanoseconds;

inline TimePoint wall_now() { return std::chrono::time_point_cast<Duration>(Clock::now()); }
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
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

// "2026-11-23T18:07:01.123Z" (UTC, milliseconds).
std::string iso8601_utc(TimePoint t);

// Parses "30s", "500ms", "2m", "1h", "1.5s"; a bare number is seconds. false on junk.
bool parse_duration(const std::string &text, Duration &out);

} // namespace clustertop
