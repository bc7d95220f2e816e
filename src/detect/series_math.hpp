// Small statistics over store series for the detectors: windows, medians, line fits.
// Every function skips NaN points and tolerates empty input; none reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clustertop/detect/detect_view.hpp"

namespace clustertop::detail {

// Known points of `s` with time in [from, to], oldest first; at most `max_n` (the newest).
// Scans back from the newest, so a clock that jumped back only shortens the window.
// Fills `out` (cleared first): the detectors reuse one buffer across nodes and ticks.
void window(const Series *s, TimePoint from, TimePoint to, std::size_t max_n,
            std::vector<Point> &out);

// The newest known point, if any.
std::optional<Point> last_known(const Series *s);

// Median of the values (NaN skipped); NaN when empty. Reorders (and drops the NaNs of) `v`.
// The median is never under the smallest known value nor over the largest, so a detector
// may skip computing it when even those bounds cannot cross its threshold.
double median(std::vector<double> &v);

struct LineFit {
  double slope = 0;
  double intercept = 0;
  double r2 = 0;
};
// Least squares y = slope * x + intercept; nullopt with fewer than 2 points or no x spread.
// (Spans: a fit over the newest part of a window is a fit over the end of its lists.)
std::optional<LineFit> fit_line(std::span<const double> x, std::span<const double> y);

// Largest value over every device of a node's metric that its last two known samples held
// (the lower of the two; the last alone where the one before is older than `fresh`), none
// older than `fresh`. One sample is a moment, not a state: the first busy sample of a GPU
// resuming after a 45 s idle stall, read before its first step line arrived, made a spin.
double fresh_held_max(const DetectView &view, std::size_t node, DetectView::MetricId metric,
                      TimePoint now, Duration fresh);

// "1.5 GiB", "820 MiB": sizes as an operator reads them.
std::string human_bytes(double bytes);
// "12 s", "4 min", "2.5 h".
std::string human_duration(double seconds);

} // namespace clustertop::detail

namespace clustertop::detail {

// The known point nearest to `t` within `tolerance` (binary search; points are in time
// order unless the clock jumped, which at worst misses a pair). A hint from the last call
// (searches moving back in time) starts the search near the last answer; in time order it
// never changes the answer.
std::optional<Point> nearest(const Series *s, TimePoint t, Duration tolerance,
                             std::size_t *hint = nullptr);

} // namespace clustertop::detail

namespace clustertop::detail {

// The items [begin, end) of `s` with time in [from, to], found by binary search (points in
// time order; a clock jump only blurs the edges): what sampled() picks from.
std::pair<std::size_t, std::size_t> time_range(const Series &s, TimePoint from, TimePoint to);
// time_range()'s two steps: the first index whose time is >= t (binary search), and the
// first index from i on whose time is not t. time_range(s, from, to) is
// {first_at_or_after(s, from), past_equal(s, first_at_or_after(s, to), to)}, so two
// ranges that share an edge may share its search.
std::size_t first_at_or_after(const Series &s, TimePoint t);
// The same search within items [lo, hi) (the answer is hi when all of them are before t):
// nearest() narrows the range first.
std::size_t first_at_or_after(const Series &s, TimePoint t, std::size_t lo, std::size_t hi);
std::size_t past_equal(const Series &s, std::size_t i, TimePoint t);

// The first index below `hi` whose time is >= t, for a series in time order: the index a
// binary search finds, found by interpolating on time first (a few probes instead of a
// dozen); hi when none is. In time order nearest() of t, with or without a hint, picks
// from this index and the one before it (near_index()).
std::size_t first_at_or_after_sorted(const Series &s, TimePoint t, std::size_t hi);
// The point nearest() picks, by index: of items lo - 1 and lo (lo the first at or after t),
// the known one nearest to t within `tolerance`, the older of two equally near; kNone when
// neither is.
constexpr std::size_t kNone = ~std::size_t{0};
std::size_t near_index(const Series &s, std::size_t lo, TimePoint t, Duration tolerance);

// The stride between sampled() picks of n items.
inline std::uint64_t sample_stride(std::size_t n, std::size_t max_n) {
  return (static_cast<std::uint64_t>(n) + max_n - 1) / max_n;
}
// The first push number at or after `at` that sampled() picks with this stride.
inline std::uint64_t first_pick(std::uint64_t at, std::uint64_t stride) {
  return (at + stride - 1) / stride * stride;
}

// Known points with time in [from, to], at most about `max_n` spread evenly over the range,
// into `out` (cleared first), oldest first: the points whose push number (RingBuffer::
// pushed) is a multiple of the stride ceil(n / max_n), n the points in the range, and the
// newest point. The picks are tied to the points, not to the window's end, so as the
// window moves on most of one look's picks are the next look's (an engine keeps what it
// found for them). Bounds found by binary search: O(max_n), not O(window).
void sampled(const Series *s, TimePoint from, TimePoint to, std::size_t max_n,
             std::vector<Point> &out);
// sampled() over items [begin, end) of `s` as time_range() gives them (a caller that
// found the range another way).
void sampled(const Series &s, std::size_t begin, std::size_t end, std::size_t max_n,
             std::vector<Point> &out);

} // namespace clustertop::detail
