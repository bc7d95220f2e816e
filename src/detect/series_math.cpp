#include "series_math.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace clustertop::detail {

void window(const Series *s, TimePoint from, TimePoint to, std::size_t max_n,
            std::vector<Point> &out) {
  out.clear();
  if (s == nullptr) return;
  const Series::View v = s->view();
  for (std::size_t i = v.size; i > 0 && out.size() < max_n; --i) {
    const Point &p = v[i - 1];
    if (p.time > to) continue; // a point from a clock that ran ahead: not yet
    if (p.time < from) break;
    if (is_known(p.value)) out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
}

std::optional<Point> last_known(const Series *s) {
  if (s == nullptr) return std::nullopt;
  const Series::View v = s->view();
  for (std::size_t i = v.size; i > 0; --i)
    if (is_known(v[i - 1].value)) return v[i - 1];
  return std::nullopt;
}

double median(std::vector<double> &v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !is_known(x); }), v.end());
  if (v.empty()) return kUnknown;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  const double hi = *mid;
  const double lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2;
}

std::optional<LineFit> fit_line(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::nullopt;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0)) return std::nullopt;
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1.0;
  return f;
}

double fresh_held_max(const DetectView &view, std::size_t node, DetectView::MetricId metric,
                      TimePoint now, Duration fresh) {
  double best = kUnknown;
  for (auto [b, e] = view.entries(node); b != e; ++b) {
    if (b->metric != metric || b->series == nullptr) continue;
    const Series &s = *b->series;
    double held = kUnknown;
    int seen = 0;
    for (std::size_t i = s.size(); i > 0 && seen < 2; --i) {
      const Point &p = s[i - 1];
      if (!is_known(p.value)) continue;
      if (p.time < now - fresh) break;
      held = seen++ == 0 ? p.value : std::min(held, p.value);
    }
    if (is_known(held) && (!is_known(best) || held > best)) best = held;
  }
  return best;
}

std::string human_bytes(double bytes) {
  const double a = std::fabs(bytes);
  if (a >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
  if (a >= 1024.0 * 1024) return fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
  if (a >= 1024.0) return fmt::format("{:.0f} KiB", bytes / 1024.0);
  return fmt::format("{:.0f} B", bytes);
}

std::string human_duration(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

} // namespace clustertop::detail

namespace clustertop::detail {

std::size_t near_index(const Series &s, std::size_t lo, TimePoint t, Duration tolerance) {
  // Item lo - 1 first: of two points equally near, the older one is kept.
  std::size_t best = kNone;
  Duration best_gap{};
  auto consider = [&](std::size_t i) {
    const Point &p = s[i];
    const auto gap = p.time > t ? p.time - t : t - p.time;
    if (!is_known(p.value) || gap > tolerance) return;
    if (best == kNone || gap < best_gap) best = i, best_gap = gap;
  };
  if (lo > 0) consider(lo - 1);
  if (lo < s.size()) consider(lo);
  return best;
}

namespace {

// nearest()'s last step: of the points either side of `lo` (the first at or after t), the
// known one nearest to t within `tolerance`.
std::optional<Point> pick_near(const Series &s, std::size_t lo, TimePoint t, Duration tolerance) {
  const std::size_t i = near_index(s, lo, t, tolerance);
  return i == kNone ? std::nullopt : std::optional<Point>(s[i]);
}

} // namespace

std::optional<Point> nearest(const Series *s, TimePoint t, Duration tolerance, std::size_t *hint) {
  if (s == nullptr || s->empty()) return std::nullopt;
  // With a hint (searches moving back in time), gallop back from it: the answer is usually
  // a few points away, so this stays within a cache line or two.
  std::size_t lo = 0, hi = s->size();
  if (hint != nullptr && *hint <= s->size() && *hint > 0) {
    if ((*s)[*hint - 1].time < t) { // past the hint (times that are not falling)
      lo = *hint;
    } else {
      hi = *hint;
      std::size_t step = 1;
      while (hi > step && (*s)[hi - step].time >= t) step *= 2;
      lo = hi > step ? hi - step : 0;
    }
  }
  lo = first_at_or_after(*s, t, lo, hi);
  if (hint != nullptr) *hint = std::min(lo + 1, s->size());
  return pick_near(*s, lo, t, tolerance);
}

std::size_t first_at_or_after_sorted(const Series &s, TimePoint t, std::size_t hi) {
  // In time order the first point at or after t within [0, hi) is one index, however it
  // is searched for: a binary search and this interpolation find the same one.
  std::size_t lo = 0;
  if (hi > 0 && s[hi - 1].time < t) return hi; // all before t
  if (hi > 0 && s[0].time < t) {
    // s[0] < t <= s[hi-1]: guess by time, then widen around the guess until it brackets.
    const double t0 = epoch_seconds(s[0].time), t1 = epoch_seconds(s[hi - 1].time);
    const double frac = t1 > t0 ? (epoch_seconds(t) - t0) / (t1 - t0) : 0.0;
    auto g = static_cast<std::size_t>(frac * static_cast<double>(hi - 1));
    g = std::min(std::max<std::size_t>(g, 1), hi - 1); // s[0] < t, so the answer is >= 1
    std::size_t step = 1;
    if (s[g].time >= t) { // answer in (lo, g]
      while (g > step && s[g - step].time >= t) step *= 2;
      lo = g > step ? g - step : 0;
      hi = g;
    } else { // answer in (g, hi - 1]
      while (g + step < hi - 1 && s[g + step].time < t) step *= 2;
      lo = g + 1;
      hi = std::min(g + step, hi - 1);
    }
    lo = first_at_or_after(s, t, lo, hi);
  }
  return lo;
}

} // namespace clustertop::detail

namespace clustertop::detail {

std::size_t first_at_or_after(const Series &s, TimePoint t) {
  return first_at_or_after(s, t, 0, s.size());
}

std::size_t first_at_or_after(const Series &s, TimePoint t, std::size_t lo, std::size_t hi) {
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (s[mid].time < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

std::size_t past_equal(const Series &s, std::size_t i, TimePoint t) {
  while (i < s.size() && s[i].time == t) ++i;
  return i;
}

std::pair<std::size_t, std::size_t> time_range(const Series &s, TimePoint from, TimePoint to) {
  return {first_at_or_after(s, from), past_equal(s, first_at_or_after(s, to), to)};
}

void sampled(const Series *s, TimePoint from, TimePoint to, std::size_t max_n,
             std::vector<Point> &out) {
  out.clear();
  if (s == nullptr || s->empty() || max_n == 0) return;
  const auto [begin, end] = time_range(*s, from, to);
  sampled(*s, begin, end, max_n, out);
}

void sampled(const Series &s, std::size_t begin, std::size_t end, std::size_t max_n,
             std::vector<Point> &out) {
  out.clear();
  if (begin >= end || max_n == 0) return;
  const std::uint64_t stride = sample_stride(end - begin, max_n);
  const std::uint64_t first = s.pushed() - s.size(); // push number of item 0
  const std::uint64_t newest = first + end - 1;
  for (std::uint64_t at = first_pick(first + begin, stride); at < newest; at += stride) {
    const Point &p = s[static_cast<std::size_t>(at - first)];
    if (is_known(p.value)) out.push_back(p);
  }
  if (is_known(s[end - 1].value)) out.push_back(s[end - 1]);
}

} // namespace clustertop::detail
