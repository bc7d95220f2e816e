#include "series_math.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace clustertop::detail {

std::vector<Point> window(const Series *s, TimePoint from, TimePoint to, std::size_t max_n) {
  std::vector<Point> out;
  if (s == nullptr) return out;
  for (std::size_t i = s->size(); i > 0 && out.size() < max_n; --i) {
    const Point &p = (*s)[i - 1];
    if (p.time > to) continue; // a point from a clock that ran ahead: not yet
    if (p.time < from) break;
    if (is_known(p.value)) out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Point> last_known(const Series *s) {
  if (s == nullptr) return std::nullopt;
  for (std::size_t i = s->size(); i > 0; --i)
    if (is_known((*s)[i - 1].value)) return (*s)[i - 1];
  return std::nullopt;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !is_known(x); }), v.end());
  if (v.empty()) return kUnknown;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  const double hi = *mid;
  const double lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2;
}

std::optional<LineFit> fit_line(const std::vector<double> &x, const std::vector<double> &y) {
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

double fresh_max(const DetectView &store, const std::string &node, const std::string &metric,
                 TimePoint now, Duration fresh) {
  double best = kUnknown;
  for (const auto &[device, series] : store.devices(node, metric)) {
    auto p = last_known(series);
    if (!p || p->time < now - fresh) continue;
    if (!is_known(best) || p->value > best) best = p->value;
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

std::optional<Point> nearest(const Series *s, TimePoint t, Duration tolerance, std::size_t *hint) {
  if (s == nullptr || s->empty()) return std::nullopt;
  // With a hint (searches moving back in time), gallop back from it: the answer is usually
  // a few points away, so this stays within a cache line or two.
  std::size_t lo = 0, hi = s->size();
  if (hint != nullptr && *hint <= s->size()) {
    hi = *hint;
    std::size_t step = 1;
    while (hi > step && (*s)[hi - step].time >= t) step *= 2;
    lo = hi > step ? hi - step : 0;
  }
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if ((*s)[mid].time < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (hint != nullptr) *hint = std::min(lo + 1, s->size());
  std::optional<Point> best;
  for (std::size_t i = lo > 0 ? lo - 1 : 0; i < std::min(lo + 1, s->size()); ++i) {
    const Point &p = (*s)[i];
    const auto gap = p.time > t ? p.time - t : t - p.time;
    if (!is_known(p.value) || gap > tolerance) continue;
    if (!best || gap < (best->time > t ? best->time - t : t - best->time)) best = p;
  }
  return best;
}

std::vector<Point> thin(const std::vector<Point> &pts, std::size_t max_n) {
  if (pts.size() <= max_n || max_n == 0) return pts;
  const std::size_t stride = (pts.size() + max_n - 1) / max_n;
  std::vector<Point> out;
  for (std::size_t i = pts.size(); i > 0; i -= std::min(i, stride)) out.push_back(pts[i - 1]);
  std::reverse(out.begin(), out.end());
  return out;
}

} // namespace clustertop::detail

namespace clustertop::detail {
namespace {

// First index whose time is >= t (points in time order; a clock jump only blurs the edge).
std::size_t first_at_or_after(const Series &s, TimePoint t) {
  std::size_t lo = 0, hi = s.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (s[mid].time < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

} // namespace

std::vector<Point> sampled(const Series *s, TimePoint from, TimePoint to, std::size_t max_n) {
  std::vector<Point> out;
  if (s == nullptr || s->empty() || max_n == 0) return out;
  const std::size_t begin = first_at_or_after(*s, from);
  std::size_t end = first_at_or_after(*s, to);
  while (end < s->size() && (*s)[end].time == to) ++end;
  if (begin >= end) return out;
  const std::size_t n = end - begin;
  const std::size_t stride = (n + max_n - 1) / max_n;
  for (std::size_t i = end; i > begin; i -= std::min(i - begin, stride)) {
    const Point &p = (*s)[i - 1];
    if (is_known(p.value)) out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

} // namespace clustertop::detail
