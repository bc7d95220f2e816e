// Time is data: every line carries its arrival time and every consumer gets `now` as a
// parameter. Only transports and the tick loop read the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

// "2026-11-23T18:07:01.123Z" (UTC, milliseconds).
std::string iso8601_utc(TimePoint t);

// Parses "30s", "500ms", "2m", "1h", "1.5s"; a bare number is seconds. false on junk.
bool parse_duration(const std::string &text, Duration &out);

} // namespace clustertop
