// The running figures an engine keeps between evaluations must equal the figure computed
// afresh at every look: checked against a plain scan as the ring wraps, holds NaN, and the
// window moves forward, jumps, moves back and changes series.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "clustertop/detect/running_figures.hpp"

namespace clustertop {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'771'800'000.0 + s); }

double scan(const Series &s, std::size_t begin, std::size_t end, bool largest) {
  double best = kUnknown;
  for (std::size_t i = begin; i < end; ++i) {
    const double v = s[i].value;
    if (!is_known(v)) continue;
    if (!is_known(best) || (largest ? v > best : v < best)) best = v;
  }
  return best;
}

void expect_same(double want, double got, int step) {
  ASSERT_EQ(is_known(want), is_known(got)) << "step " << step;
  if (is_known(want)) ASSERT_EQ(want, got) << "step " << step;
}

TEST(WindowExtreme, EqualsAFreshScanAsTheRingWrapsAndTheWindowMoves) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(0, 40), batch(0, 90), move(0, 99);
  Series a(300), b(300);
  WindowExtreme high(true), low(false);
  std::size_t begin = 0;
  int kept = 0, rising = 0;
  for (int step = 0; step < 3000; ++step) {
    Series &s = step % 1000 < 900 ? a : b; // a second series takes over for a while
    for (int k = batch(rng); k > 0; --k) {
      const int v = value(rng);
      // Rising values first (the lowest's queue keeps every point and gets compacted), then
      // random ones with ties; NaN throughout.
      const double x = step < 1500 ? static_cast<double>(++rising) : v % 17;
      s.push(Point{at(step), v == 0 ? kUnknown : x});
    }
    const std::size_t end = s.size() - std::min<std::size_t>(s.size(), move(rng) % 5);
    const int m = move(rng);
    if (m < 5)
      begin = 0; // the window moves back
    else if (m < 10)
      begin = end; // empty
    else
      begin = std::min(end, begin + static_cast<std::size_t>(m % 40));
    if (begin > end) begin = end;
    auto id = [](const Point &p) { return p.value; };
    const double h = high.update(s, begin, end, id), l = low.update(s, begin, end, id);
    expect_same(scan(s, begin, end, true), h, step);
    expect_same(scan(s, begin, end, false), l, step);
    if (is_known(h)) ++kept;
  }
  EXPECT_GT(kept, 1000); // most looks had points in the window: the comparison says something
}

} // namespace
} // namespace clustertop

namespace clustertop {
namespace {

// SortedEdge must give a binary search's answer over a series in time order, however far
// the time moved since the last look (forward, back, past either end), as the ring wraps
// and when it is handed another series.
TEST(SortedEdge, EqualsABinarySearchAsTheRingWrapsAndTheTimeMoves) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> batch(0, 40), gap(0, 3), move(0, 99);
  Series a(200), b(50);
  SortedEdge edge;
  int t_a = 0, t_b = 0, inside = 0;
  double look = 0;
  for (int step = 0; step < 4000; ++step) {
    const bool use_a = step % 500 < 450; // a second series takes over for a while
    Series &s = use_a ? a : b;
    int &t = use_a ? t_a : t_b;
    for (int k = batch(rng); k > 0; --k) { // ties (gap 0) and NaN values included
      t += gap(rng);
      s.push(Point{at(t), k % 7 == 0 ? kUnknown : 1.0});
    }
    const int m = move(rng);
    if (m < 5)
      look = -10; // before every point
    else if (m < 10)
      look = t + 10; // after every point
    else if (m < 20)
      look -= m; // back
    else
      look += (m % 9) * 0.5; // forward, on and between the points' times
    std::size_t want = 0;    // a plain scan: the first item at or after the time
    while (want < s.size() && s[want].time < at(look)) ++want;
    ASSERT_EQ(want, edge.find(s, at(look))) << "step " << step;
    if (want > 0 && want < s.size()) ++inside;
  }
  EXPECT_GT(inside, 1000); // most looks fell inside the series: the comparison says something
}

} // namespace
} // namespace clustertop

namespace clustertop {
namespace {

// detail::sampled(s, begin, end, max_n) as its definition says: the known items whose
// push number is a multiple of ceil(n / max_n), then the newest item when known.
std::vector<Point> plain_sampled(const Series &s, std::size_t begin, std::size_t end,
                                 std::size_t max_n) {
  std::vector<Point> out;
  if (begin >= end) return out;
  const std::uint64_t stride = (end - begin + max_n - 1) / max_n;
  const std::uint64_t first = s.pushed() - s.size();
  for (std::size_t i = begin; i < end; ++i)
    if (((first + i) % stride == 0 || i == end - 1) && is_known(s[i].value)) out.push_back(s[i]);
  return out;
}

// detail::nearest() as its definition says, for a series in time order: of the first item
// at or after t and the one before it, the known one nearest within the tolerance (the
// older of two equally near).
std::optional<Point> plain_nearest(const Series &s, TimePoint t, Duration tolerance) {
  std::size_t lo = 0;
  while (lo < s.size() && s[lo].time < t) ++lo;
  std::optional<Point> best;
  for (std::size_t i : {lo - 1, lo}) { // lo - 1 wraps to a huge index when lo is 0
    if (i >= s.size() || !is_known(s[i].value)) continue;
    const Duration gap = s[i].time > t ? s[i].time - t : t - s[i].time;
    const Duration best_gap = !best ? gap : best->time > t ? best->time - t : t - best->time;
    if (gap <= tolerance && (!best || gap < best_gap)) best = s[i];
  }
  return best;
}

// TrendSamples keeps picks and pairs between looks: each look must give what sampled() and
// nearest() give afresh, as both rings wrap, the window moves forward, jumps back and
// changes its stride, the paired series is cleared and refilled with older times, and
// another series takes over.
TEST(TrendSamples, EqualsFreshPicksAndPairsAsTheRingsWrapAndTheWindowMoves) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> batch(0, 12), gap(0, 4), move(0, 99);
  Series avail(300), avail2(300), ctx(120), ctx2(40);
  TrendSamples trend;
  int t_avail = 0, t_ctx = 0;
  std::size_t begin = 0, paired = 0, kept_pairs = 0;
  const Duration tolerance = std::chrono::seconds(2);
  for (int step = 0; step < 5000; ++step) {
    const bool second = step % 1000 >= 900; // another series takes over for a while
    Series &s = second ? avail2 : avail;
    // ... and, on its own schedule, another series to pair with (both are kept filled).
    Series &c = step % 700 >= 560 ? ctx2 : ctx;
    for (int k = batch(rng); k > 0; --k) { // ties (gap 0) and NaN values included
      t_avail += gap(rng);
      s.push(Point{at(t_avail), k % 5 == 0 ? kUnknown : 1.0 * k});
    }
    if (step % 700 == 699) { // the paired series restart, their clock behind the old one
      ctx.clear();
      ctx2.clear();
      t_ctx -= 60;
    }
    for (int k = batch(rng) * 3; k > 0; --k) { // half-second times that keep up with avail's
      t_ctx = std::max(t_ctx + gap(rng) % 2, 2 * t_avail - 80);
      ctx.push(Point{at(t_ctx * 0.5), k % 7 == 0 ? kUnknown : 2.0 * k});
      ctx2.push(Point{at(t_ctx * 0.5), k % 5 == 0 ? kUnknown : 3.0 * k});
    }
    const int m = move(rng);
    std::size_t end = s.size();
    if (m < 5)
      begin = 0; // back to the ring's start
    else if (m < 10 && end > 3)
      end -= 3; // the window's end moves back
    else
      begin = std::min(end, begin + static_cast<std::size_t>(m % 4)); // forward, or stays
    if (begin > end) begin = end;
    const std::size_t max_n = m % 13 == 0 ? 5 : 48; // now and then another stride
    std::vector<Point> got;
    trend.update(s, begin, end, max_n, got);
    const auto want = plain_sampled(s, begin, end, max_n);
    ASSERT_EQ(want.size(), got.size()) << "step " << step;
    for (std::size_t k = 0; k < want.size(); ++k) {
      ASSERT_EQ(want[k].time, got[k].time) << "step " << step << " pick " << k;
      ASSERT_TRUE(want[k].value == got[k].value ||
                  (!is_known(want[k].value) && !is_known(got[k].value)));
    }
    ASSERT_TRUE(c.in_time_order());                // pair()'s condition
    for (std::size_t k = got.size(); k > 0; --k) { // newest first, as context at OOM asks
      const auto p = trend.pair(k - 1, c, tolerance);
      const auto q = plain_nearest(c, got[k - 1].time, tolerance);
      ASSERT_EQ(q.has_value(), p.has_value()) << "step " << step << " pick " << k - 1;
      if (!q) continue;
      ASSERT_EQ(q->time, p->time) << "step " << step << " pick " << k - 1;
      ASSERT_EQ(q->value, p->value) << "step " << step << " pick " << k - 1;
      ++paired;
    }
    kept_pairs += got.size();
    if (begin + 250 < s.size()) begin += 100; // keep the window near the ring's end
  }
  // Most looks had picks with pairs: the comparison says something.
  EXPECT_GT(paired, 15000u);
  EXPECT_GT(kept_pairs, 50000u);
}

} // namespace
} // namespace clustertop
