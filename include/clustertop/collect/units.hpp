// Numbers and units in collector output, converted once here for every definition:
// time units to ms, K/M/G suffixes, byte units to bytes, %, tok/s; N/A forms to unknown.
// Pure functions on text; no allocation on the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "clustertop/core/text.hpp"

namespace clustertop {

enum class UnitClass { none, time, bytes, percent, rate, power, temperature, frequency };

// Parses a leading decimal number ("-1.5e3", "0.5", ".5"); sets `rest` to what follows.
// comma_decimal accepts "2048,00". false when there is no number, or it is not finite or
// beyond ±kMaxMagnitude (no reading is; times a unit's factor it stays finite).
inline constexpr double kMaxMagnitude = 1e290;
bool parse_leading_number(std::string_view text, double &out, std::string_view &rest,
                          bool comma_decimal = false);

// The hot-path subset of parse_leading_number, inline: unsigned plain decimals ("29", "0.5")
// of at most 15 digits and no exponent. Gives the very same double as parse_leading_number
// where it accepts; false (use parse_leading_number) for every other form. `used`: chars read.
inline bool parse_plain_decimal(std::string_view t, double &out, std::size_t &used) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const std::size_t n = t.size() < 17 ? t.size() : 17; // 15 digits, '.', one char to look at
  std::uint64_t mant = 0;
  std::size_t i = 0;
  for (; i < n && t[i] >= '0' && t[i] <= '9'; ++i)
    mant = mant * 10 + static_cast<std::uint64_t>(t[i] - '0');
  if (i == 0) return false;
  std::size_t frac = 0;
  if (i + 1 < n && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9') {
    for (++i; i < n && t[i] >= '0' && t[i] <= '9'; ++i, ++frac)
      mant = mant * 10 + static_cast<std::uint64_t>(t[i] - '0');
  }
  // Too long for the window (more digits may follow) or an exponent: the general parser.
  if (i >= n && n < t.size()) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E' || t[i] == '.' || t[i] == ',')) return false;
  const std::size_t digits = frac > 0 ? i - 1 : i;
  if (digits > 15) return false;
  double v = static_cast<double>(mant);
  if (frac > 0) v /= kPow10[frac];
  out = v;
  used = i;
  return true;
}

// "[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "-", "" and the like.
bool is_unknown_text(std::string_view text);

// The class a unit belongs to and its factor to the base of that class (time: ms; bytes:
// bytes; power: W; others: 1), for text that is a unit (or empty); nullopt for text that is
// none ("zz", the "x10" of "0x10", the ":30:01" of a time of day). "K"/"M"/"G" are plain
// multipliers (1e3..), except for byte metrics where they are binary (sysctl's "2048.00M").
std::optional<UnitClass> known_unit_class(std::string_view unit, double &factor,
                                          bool bytes_context);

// What a metric name's suffix asks for: "_ms" time, "_bytes" bytes, "_pct" percent,
// "_per_s" rate, "_w" power, "_c" temperature, "_mhz" frequency.
UnitClass metric_class(std::string_view metric);

// `value` as a reading of `metric`, or unknown (NaN) where the metric's unit cannot hold it:
// a percentage ("_pct") below 0 or above 100 (nvidia-smi printing -5 for a GPU's
// utilization is no reading; /metrics exported it as a ratio of -0.05).
double checked_for_metric(std::string_view metric, double value);

// Full text-to-value for a metric: number, unit suffix converted to the metric's unit.
// NaN when unknown, unparsable, or the unit does not fit the metric.
double value_for_metric(std::string_view text, std::string_view metric, bool comma_decimal);

} // namespace clustertop
