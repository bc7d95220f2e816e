#include "clustertop/tui/widgets.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "clustertop/tui/canvas.hpp"

namespace clustertop::tui {
namespace {

// Three significant digits, the way people read dashboards.
std::string three_digits(double v) {
  const double a = std::fabs(v);
  // Past what any figure here reaches, an exponent: a garbled line's 9e99 filled a tile with
  // digits that read as another number when cut ("89999999999999991…").
  if (a >= 1e4 && std::isfinite(a)) return fmt::format("{:.3g}", v);
  if (a >= 100 || a == 0) return fmt::format("{:.0f}", v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

double fraction(double v, double lo, double hi) {
  if (!(hi > lo)) return 0.0;
  return std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
}

// Dot bits of a braille cell, column 0 and 1, from the bottom row up.
constexpr std::array<std::array<char32_t, 4>, 2> kDots{
    {{0x40, 0x04, 0x02, 0x01}, {0x80, 0x20, 0x10, 0x08}}};

// Level 0..levels for a known value, -1 for unknown. Known values get at least level 1.
int level(double v, double lo, double hi, int levels) {
  if (std::isnan(v)) return -1;
  const int l = static_cast<int>(std::lround(fraction(v, lo, hi) * levels));
  return std::max(1, l);
}

constexpr Duration kMaxGap = std::chrono::seconds(3);

} // namespace

std::string format_watts(double w) {
  if (std::isnan(w)) return kUnknownText;
  if (std::fabs(w) >= 1000) return three_digits(w / 1000) + " kW";
  return three_digits(w) + " W";
}

std::string format_bytes(double bytes) {
  if (std::isnan(bytes)) return kUnknownText;
  static constexpr std::array<const char *, 6> kUnits{"B", "K", "M", "G", "T", "P"};
  std::size_t u = 0;
  while (std::fabs(bytes) >= 1024 && u + 1 < kUnits.size()) {
    bytes /= 1024;
    ++u;
  }
  return three_digits(bytes) + " " + kUnits[u];
}

std::string format_ms(double ms) {
  if (std::isnan(ms)) return kUnknownText;
  if (std::fabs(ms) >= 1000) return three_digits(ms / 1000) + " s";
  return three_digits(ms) + " ms";
}

std::string format_count(double n) {
  if (std::isnan(n)) return kUnknownText;
  const double a = std::fabs(n);
  if (a >= 1e9) return three_digits(n / 1e9) + "G";
  if (a >= 1e6) return three_digits(n / 1e6) + "M";
  if (a >= 1e4) return three_digits(n / 1e3) + "K";
  return fmt::format("{:.0f}", n);
}

std::string format_rate(double per_s) {
  if (std::isnan(per_s)) return kUnknownText;
  if (std::fabs(per_s) >= 1e4) return format_count(per_s) + "/s";
  return three_digits(per_s) + "/s";
}

std::string format_tokens_rate(double per_s) {
  if (std::isnan(per_s)) return kUnknownText;
  return (std::fabs(per_s) >= 1e4 ? format_count(per_s) : three_digits(per_s)) + " tok/s";
}

std::string format_pct(double pct) {
  if (std::isnan(pct)) return kUnknownText;
  return fmt::format("{:.0f}%", pct);
}

int samples_per_cell(bool ascii) { return ascii ? 1 : 2; }

std::string sparkline(const std::vector<double> &values, double lo, double hi, bool ascii) {
  std::string out;
  if (ascii) {
    static constexpr std::string_view kLevels = "_.-=+*#";
    const int top = static_cast<int>(kLevels.size());
    for (double v : values) {
      const int l = level(v, lo, hi, top);
      out.push_back(l < 0 ? ' ' : kLevels[static_cast<std::size_t>(l - 1)]);
    }
    return out;
  }
  for (std::size_t i = 0; i < values.size(); i += 2) {
    char32_t cell = 0;
    for (std::size_t c = 0; c < 2 && i + c < values.size(); ++c) {
      const int l = level(values[i + c], lo, hi, 4);
      for (int k = 0; k < l; ++k) cell |= kDots[c][static_cast<std::size_t>(k)];
    }
    out += cell == 0 ? std::string(" ") : to_utf8(0x2800 + cell);
  }
  return out;
}

std::vector<std::string> graph(const std::vector<double> &values, int rows, double lo, double hi,
                               bool ascii) {
  rows = std::max(1, rows);
  const int per_cell = samples_per_cell(ascii);
  const int sub = ascii ? 2 : 4; // vertical steps per cell
  std::vector<int> levels;
  levels.reserve(values.size());
  for (double v : values) levels.push_back(level(v, lo, hi, rows * sub));
  std::vector<std::string> out(static_cast<std::size_t>(rows));
  const auto cells =
      (levels.size() + static_cast<std::size_t>(per_cell) - 1) / static_cast<std::size_t>(per_cell);
  for (int r = 0; r < rows; ++r) {
    const int base = (rows - 1 - r) * sub; // levels below this row
    auto &line = out[static_cast<std::size_t>(r)];
    for (std::size_t c = 0; c < cells; ++c) {
      if (ascii) {
        const int in_row = std::clamp(levels[c] - base, 0, sub);
        line.push_back(levels[c] < 0 ? ' ' : in_row == 2 ? '#' : in_row == 1 ? '.' : ' ');
        continue;
      }
      char32_t cell = 0;
      for (std::size_t k = 0; k < 2 && c * 2 + k < levels.size(); ++k) {
        const int in_row = std::clamp(levels[c * 2 + k] - base, 0, sub);
        for (int d = 0; d < in_row; ++d) cell |= kDots[k][static_cast<std::size_t>(d)];
      }
      line += cell == 0 ? std::string(" ") : to_utf8(0x2800 + cell);
    }
  }
  return out;
}

std::string bar(double frac, int width, bool ascii) {
  std::string out;
  if (width <= 0) return out;
  if (std::isnan(frac)) return std::string(static_cast<std::size_t>(width), ' ');
  const int eighths = static_cast<int>(std::lround(std::clamp(frac, 0.0, 1.0) * width * 8));
  for (int i = 0; i < width; ++i) {
    const int e = std::clamp(eighths - i * 8, 0, 8);
    if (ascii)
      out.push_back(e >= 4 ? '#' : ' ');
    else
      out += e == 0 ? std::string(" ") : to_utf8(static_cast<char32_t>(0x2590 - e));
  }
  return out;
}

std::vector<double> bucketize(const Series *series, TimePoint end, Duration window, int columns) {
  std::vector<double> out(static_cast<std::size_t>(std::max(0, columns)), kUnknown);
  if (series == nullptr || columns <= 0 || window.count() <= 0) return out;
  const TimePoint start = end - window;
  const double width = static_cast<double>(window.count()) / columns;
  for (std::size_t i = series->size(); i-- > 0;) {
    const Point &p = (*series)[i];
    if (p.time > end) continue;
    if (p.time <= start) break; // points are in arrival order; older ones follow
    if (std::isnan(p.value)) continue;
    auto b = static_cast<long>(static_cast<double>((p.time - start).count()) / width);
    b = std::clamp(b, 0L, static_cast<long>(columns) - 1);
    double &slot = out[static_cast<std::size_t>(b)];
    slot = std::isnan(slot) ? p.value : std::max(slot, p.value);
  }
  // Buckets narrower than the sampling interval would show a comb: carry a value forward
  // across holes shorter than kMaxGap, so only real silences stay blank.
  const auto carry = static_cast<int>(to_seconds(kMaxGap) * columns / to_seconds(window));
  int since_known = carry + 1;
  double last = kUnknown;
  for (auto &v : out) {
    if (!std::isnan(v)) {
      last = v;
      since_known = 0;
    } else if (++since_known <= carry && !std::isnan(last)) {
      v = last;
    }
  }
  return out;
}

double latest_at(const Series *series, TimePoint end) {
  if (series == nullptr) return kUnknown;
  for (std::size_t i = series->size(); i-- > 0;)
    if ((*series)[i].time <= end) return (*series)[i].value;
  return kUnknown;
}

double max_in_window(const Series *series, TimePoint end, Duration window) {
  double best = kUnknown;
  if (series == nullptr) return best;
  for (std::size_t i = series->size(); i-- > 0;) {
    const Point &p = (*series)[i];
    if (p.time > end || std::isnan(p.value)) continue;
    if (p.time <= end - window) break;
    best = std::isnan(best) ? p.value : std::max(best, p.value);
  }
  return best;
}

double nice_max(const std::vector<double> &values) {
  double m = kUnknown;
  for (double v : values)
    if (!std::isnan(v)) m = std::isnan(m) ? v : std::max(m, v);
  if (std::isnan(m) || m <= 0) return 1.0;
  return m * 1.1;
}

std::string fit(const std::string &text, int width, bool right_align) {
  if (width <= 0) return {};
  const auto cps = sanitize_utf8(text); // one element a cell
  const auto w = static_cast<std::size_t>(width);
  const bool cut = cps.size() > w;
  std::size_t kept = cut ? w - 1 : cps.size(); // cells of the text; then "…" if cut
  if (kept > 0 && kept < cps.size() && cps[kept] == kWideTail) --kept; // not half a glyph
  std::string body;
  for (std::size_t i = 0; i < kept; ++i) body += to_utf8(cps[i]);
  if (cut) body += "…";
  const std::string pad(w - kept - (cut ? 1 : 0), ' ');
  return right_align ? pad + body : body + pad;
}

} // namespace clustertop::tui
