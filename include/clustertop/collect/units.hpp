// Numbers and units in collector output, converted once here for every definition:
// time units to ms, K/M/G suffixes, byte units to bytes, %, tok/s; N/A forms to unknown.
// Pure functions on text; no allocation on the hot path.
#pragma once

#include <string_view>

namespace clustertop {

enum class UnitClass { none, time, bytes, percent, rate };

// Parses a leading decimal number ("-1.5e3", "0.5", ".5"); sets `rest` to what follows.
// comma_decimal accepts "2048,00". false when there is no number or it is not finite.
bool parse_leading_number(std::string_view text, double &out, std::string_view &rest,
                          bool comma_decimal = false);

// "[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "-", "" and the like.
bool is_unknown_text(std::string_view text);

// The class a unit belongs to and its factor to the base of that class
// (time: ms; bytes: bytes; others: 1). "K"/"M"/"G" are plain multipliers (1e3..), except for
// byte metrics where they are binary (sysctl's "2048.00M").
UnitClass unit_class(std::string_view unit, double &factor, bool bytes_context);

// What a metric name's suffix asks for: "_ms" time, "_bytes" bytes, "_pct" percent.
UnitClass metric_class(std::string_view metric);

// Full text-to-value for a metric: number, unit suffix converted to the metric's unit.
// NaN when unknown, unparsable, or the unit does not fit the metric.
double value_for_metric(std::string_view text, std::string_view metric, bool comma_decimal);

std::string_view trim(std::string_view s);

} // namespace clustertop
