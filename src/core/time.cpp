#include "clustertop/core/time.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <string_view>
#include <system_error>

namespace clustertop {

Duration boot_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::optional<Duration> WallClockWatch::observe(TimePoint wall, Duration boot) {
  const auto last = std::exchange(last_, std::make_pair(wall, boot));
  if (!last) return std::nullopt;
  const Duration step = (wall - last->first) - (boot - last->second);
  if (std::chrono::abs(step) < kLeast) return std::nullopt;
  return step;
}

std::string iso8601_utc(TimePoint t) {
  const auto ns = t.time_since_epoch().count();
  auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
  auto ms = static_cast<int>((ns % 1'000'000'000) / 1'000'000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::optional<std::chrono::minutes> parse_zone_setting(std::string_view text) {
  if (text == "UTC" || text == "Z") return std::chrono::minutes{0};
  return parse_utc_offset(text);
}

std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text) {
  if (text.size() != 5 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  for (std::size_t i = 1; i < 5; ++i)
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int mins = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 14 || mins > 59) return std::nullopt;
  const int total = hours * 60 + mins;
  return std::chrono::minutes{text[0] == '-' ? -total : total};
}

std::string format_utc_offset(std::chrono::minutes offset) {
  const auto m = offset.count();
  const auto a = m < 0 ? -m : m;
  return fmt::format("{}{:02}{:02}", m < 0 ? '-' : '+', a / 60, a % 60);
}

std::string format_age(Duration d) {
  const auto s = static_cast<long long>(std::max(0.0, to_seconds(d)));
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 172800) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

std::string describe_clock_skew(Duration skew) {
  const double s = std::abs(to_seconds(skew));
  const char *way = skew < Duration::zero() ? "behind" : "ahead";
  if (s < 120) return fmt::format("clock {:.0f} s {}", s, way);
  if (s < 7200) return fmt::format("clock {:.0f} min {}", s / 60, way);
  return fmt::format("clock {:.1f} h {}", s / 3600, way);
}

bool parse_duration(const std::string &text, Duration &out) {
  // The documented form only: digits, optionally a '.' and more digits, then the unit.
  // strtod also took hex (`0x3s` was 3 s, `0x1p4s` 16 s), exponents, a sign and leading
  // spaces.
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  double value = 0;
  // from_chars: the number as written whatever the locale's decimal point.
  if (std::from_chars(text.data(), text.data() + i, value, std::chars_format::fixed).ec !=
          std::errc() ||
      !std::isfinite(value))
    return false;
  const std::string_view unit = std::string_view(text).substr(i);
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1;
  else if (unit == "ms")
    scale = 1e-3;
  else if (unit == "us")
    scale = 1e-6;
  else if (unit == "m")
    scale = 60;
  else if (unit == "h")
    scale = 3600;
  else
    return false;
  const double secs = value * scale;
  if (secs > 1e9) return false;
  out = from_seconds(secs);
  return true;
}

} // namespace clustertop
