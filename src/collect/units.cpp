#include "clustertop/collect/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "clustertop/core/model.hpp"

namespace clustertop {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::array<double, 19> kPow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                           1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct UnitEntry {
  std::string_view name;
  UnitClass cls;
  double factor;
};

// Longest names first where one is a prefix of another is not needed: exact match only.
constexpr std::array<UnitEntry, 54> kUnits = {{
    {"ns", UnitClass::time, 1e-6},
    {"us", UnitClass::time, 1e-3},
    {"\xC2\xB5s", UnitClass::time, 1e-3},
    {"\xCE\xBCs", UnitClass::time, 1e-3},
    {"ms", UnitClass::time, 1.0},
    {"s", UnitClass::time, 1e3},
    {"sec", UnitClass::time, 1e3},
    {"min", UnitClass::time, 6e4},
    {"secs", UnitClass::time, 1e3},
    {"second", UnitClass::time, 1e3},
    {"seconds", UnitClass::time, 1e3},
    {"milliseconds", UnitClass::time, 1.0},
    {"microseconds", UnitClass::time, 1e-3},
    {"nanoseconds", UnitClass::time, 1e-6},
    {"mins", UnitClass::time, 6e4},
    {"minutes", UnitClass::time, 6e4},
    {"h", UnitClass::time, 3.6e6},
    {"hr", UnitClass::time, 3.6e6},
    {"hrs", UnitClass::time, 3.6e6},
    {"hours", UnitClass::time, 3.6e6},
    {"B", UnitClass::bytes, 1.0},
    {"byte", UnitClass::bytes, 1.0},
    {"bytes", UnitClass::bytes, 1.0},
    {"kB", UnitClass::bytes, 1e3},
    {"KB", UnitClass::bytes, 1e3},
    {"MB", UnitClass::bytes, 1e6},
    {"GB", UnitClass::bytes, 1e9},
    {"TB", UnitClass::bytes, 1e12},
    {"KiB", UnitClass::bytes, 1024.0},
    {"MiB", UnitClass::bytes, 1048576.0},
    {"GiB", UnitClass::bytes, 1073741824.0},
    {"TiB", UnitClass::bytes, 1099511627776.0},
    {"%", UnitClass::percent, 1.0},
    {"percent", UnitClass::percent, 1.0},
    {"tok/s", UnitClass::rate, 1.0},
    {"t/s", UnitClass::rate, 1.0},
    {"tokens/s", UnitClass::rate, 1.0},
    {"tps", UnitClass::rate, 1.0},
    {"tokens-per-sec", UnitClass::rate, 1.0},
    {"tokens/sec", UnitClass::rate, 1.0},
    {"mW", UnitClass::power, 1e-3},
    {"W", UnitClass::power, 1.0},
    {"kW", UnitClass::power, 1e3},
    {"watt", UnitClass::power, 1.0},
    {"watts", UnitClass::power, 1.0},
    {"Watt", UnitClass::power, 1.0},
    {"Watts", UnitClass::power, 1.0},
    {"\xC2\xB0"
     "C",
     UnitClass::temperature, 1.0},                 // °C
    {"\xE2\x84\x83", UnitClass::temperature, 1.0}, // ℃
    {"MHz", UnitClass::frequency, 1.0},
    {"GHz", UnitClass::frequency, 1e3},
    {"kHz", UnitClass::frequency, 1e-3},
    {"Hz", UnitClass::frequency, 1e-6},
    {"C", UnitClass::temperature, 1.0},
}};

} // namespace

bool parse_leading_number(std::string_view text, double &out, std::string_view &rest,
                          bool comma_decimal) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  bool neg = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  std::uint64_t mant = 0;
  int digits = 0;
  int frac = 0;
  bool any = false;
  for (; i < n && is_digit(text[i]); ++i, any = true)
    if (digits < 18)
      mant = mant * 10 + static_cast<std::uint64_t>(text[i] - '0'), ++digits;
    else
      ++digits; // beyond 18 digits: the slow path below
  const char sep = comma_decimal ? ',' : '.';
  if (i < n && (text[i] == sep || text[i] == '.') && i + 1 < n && is_digit(text[i + 1])) {
    for (++i; i < n && is_digit(text[i]); ++i, any = true)
      if (digits < 18)
        mant = mant * 10 + static_cast<std::uint64_t>(text[i] - '0'), ++digits, ++frac;
      else
        ++digits;
  }
  if (!any) return false;
  const bool has_exp = i < n && (text[i] == 'e' || text[i] == 'E') && i + 1 < n &&
                       (is_digit(text[i + 1]) || text[i + 1] == '-' || text[i + 1] == '+');
  if (digits > 18 || has_exp || comma_decimal) {
    // Rare forms: let the standard library do it exactly.
    std::string copy(text.substr(0, std::min<std::size_t>(n, 400)));
    for (auto &c : copy)
      if (c == ',') c = '.';
    const char *b = copy.data() + (copy[0] == '+' ? 1 : 0);
    double v = 0;
    auto [p, ec] = std::from_chars(b, copy.data() + copy.size(), v);
    // Past kMaxMagnitude a unit's factor (up to 2^40) could make the value infinite.
    if (ec != std::errc{} || !std::isfinite(v) || std::fabs(v) > kMaxMagnitude) return false;
    out = v;
    rest = text.substr(static_cast<std::size_t>(p - copy.data()));
    return true;
  }
  double v = static_cast<double>(mant);
  if (frac > 0) v /= kPow10[static_cast<std::size_t>(frac)];
  out = neg ? -v : v;
  rest = text.substr(i);
  return true;
}

bool is_unknown_text(std::string_view text) {
  text = trim(text);
  if (text.empty() || text == "-" || text == "N/A" || text == "n/a" || text == "NaN" ||
      text == "nan" || text == "null")
    return true;
  return text.front() == '[' && text.back() == ']'; // [N/A], [Not Supported], [Unknown Error]
}

std::optional<UnitClass> known_unit_class(std::string_view unit, double &factor,
                                          bool bytes_context) {
  factor = 1.0;
  if (unit.empty()) return UnitClass::none;
  if (unit.size() == 2 && unit[0] == 'm' && unit[1] == 's') return UnitClass::time; // hot path
  if (unit.size() == 1 &&
      (unit[0] == 'K' || unit[0] == 'k' || unit[0] == 'M' || unit[0] == 'G' || unit[0] == 'T')) {
    constexpr double kDec[] = {1e3, 1e6, 1e9, 1e12};
    constexpr double kBin[] = {1024.0, 1048576.0, 1073741824.0, 1099511627776.0};
    const int step = unit[0] == 'M' ? 1 : unit[0] == 'G' ? 2 : unit[0] == 'T' ? 3 : 0;
    factor = bytes_context ? kBin[step] : kDec[step];
    return bytes_context ? UnitClass::bytes : UnitClass::none;
  }
  for (const auto &u : kUnits)
    if (u.name == unit) {
      factor = u.factor;
      return u.cls;
    }
  return std::nullopt;
}

UnitClass metric_class(std::string_view metric) {
  if (ends_with(metric, "_ms")) return UnitClass::time;
  if (ends_with(metric, "_bytes")) return UnitClass::bytes;
  if (ends_with(metric, "_pct")) return UnitClass::percent;
  if (ends_with(metric, "_per_s")) return UnitClass::rate;
  if (ends_with(metric, "_w")) return UnitClass::power;
  if (ends_with(metric, "_c")) return UnitClass::temperature;
  if (ends_with(metric, "_mhz")) return UnitClass::frequency;
  return UnitClass::none;
}

double checked_for_metric(std::string_view metric, double value) {
  if (metric_class(metric) == UnitClass::percent && !(value >= 0.0 && value <= 100.0))
    return kUnknown;
  return value;
}

double value_for_metric(std::string_view text, std::string_view metric, bool comma_decimal) {
  text = trim(text);
  if (is_unknown_text(text)) return kUnknown;
  double v = 0;
  std::string_view rest;
  if (!parse_leading_number(text, v, rest, comma_decimal)) return kUnknown;
  const auto want = metric_class(metric);
  double factor = 1.0;
  // The unit is the text right after the number, or its first word after a space; what
  // follows it is text ("12.5 ms per token"). One the converter does not know makes no value
  // where the metric has a unit to convert to ("1.13 seconds" was 1.13 ms, "2 gigabytes" 2
  // bytes), and where it is stuck to the number ("0x10", "36zz", "1,5"); a word after a
  // number of a unitless metric is its text ("5 tokens", "48 °C").
  const bool spaced = !rest.empty() && (rest.front() == ' ' || rest.front() == '\t');
  std::string_view unit = trim(rest);
  unit = unit.substr(0, std::min(unit.find(' '), unit.find('\t')));
  // A word's sentence punctuation is not its unit ("70.44 W.", "12 ms,").
  if (spaced)
    while (!unit.empty() && std::string_view(".,;:)").find(unit.back()) != std::string_view::npos)
      unit.remove_suffix(1);
  // A second number after a space is a thousands group ("1 234", as French and Swiss
  // locales print it) or something else entirely: neither is the first number alone.
  double second = 0;
  std::string_view after_second;
  if (spaced && parse_leading_number(unit, second, after_second, false))
    return kUnknown; // "5 -3", "5 .5" too
  const auto known = known_unit_class(unit, factor, want == UnitClass::bytes);
  if (!known) return spaced && want == UnitClass::none ? v : kUnknown;
  const auto got = *known;
  // A unit of another class than the metric's is no value (`45 C` into a `_w` metric); a
  // duration or a size is none into a metric without a class either.
  if (got != UnitClass::none && want != UnitClass::none && got != want) return kUnknown;
  // (A clock too: into a metric without a class, `5 Hz` read 5e-06, converted to MHz.)
  if ((got == UnitClass::time || got == UnitClass::bytes || got == UnitClass::frequency) &&
      want == UnitClass::none)
    return kUnknown;
  return v * factor;
}

} // namespace clustertop
