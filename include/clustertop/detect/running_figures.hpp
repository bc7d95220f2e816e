// Figures over a store series kept up to date between evaluations from the points added
// since the last look, so a tick costs O(new points) instead of O(window). Points are named
// by their push number (RingBuffer::pushed), so a ring that wrapped between looks is read
// right. They only let a detector skip work whose outcome they already settle: each is
// exact, and a detector given none (a fresh DetectScratch) computes the same findings.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "clustertop/store/store.hpp"

namespace clustertop {

// The largest (or smallest) known value of f(point) over items [begin, end) of a series,
// where begin and end only move forward from one look to the next (a monotonic queue; a
// range that moves back is rebuilt). f returns NaN for a point that does not count.
class WindowExtreme {
public:
  explicit WindowExtreme(bool largest) : largest_(largest) {}

  template <typename F> double update(const Series &s, std::size_t begin, std::size_t end, F f) {
    const std::uint64_t first = s.pushed() - s.size(); // push number of item 0
    const std::uint64_t b = first + begin, e = first + end;
    if (&s != series_ || b < begin_ || e < end_ || end_ < b) reset(s, b);
    begin_ = b;
    while (head_ < n_ && q_[head_].at < b) ++head_;
    if (end_ < e) {
      // Room for every new point up front (the storage only grows), then plain stores
      // through a local count: vector bookkeeping per point would dominate the loop.
      const std::size_t need = n_ + static_cast<std::size_t>(e - end_);
      if (q_.size() < need) q_.resize(std::max(need, 2 * q_.size()));
      std::size_t n = n_;
      const std::size_t head = head_;
      Item *q = q_.data();
      const Series::View ring = s.view();
      for (std::uint64_t at = end_; at < e; ++at) {
        const double v = f(ring[static_cast<std::size_t>(at - first)]);
        if (!is_known(v)) continue; // does not count
        if (largest_)
          while (n > head && !(q[n - 1].value > v)) --n;
        else
          while (n > head && !(q[n - 1].value < v)) --n;
        q[n++] = Item{at, v};
      }
      n_ = n;
    }
    end_ = e;
    compact();
    return head_ < n_ ? q_[head_].value : kUnknown;
  }

private:
  struct Item {
    std::uint64_t at;
    double value;
  };
  void reset(const Series &s, std::uint64_t b);
  void compact();

  bool largest_;
  const Series *series_ = nullptr;
  std::uint64_t begin_ = 0;
  std::uint64_t end_ = 0;
  std::vector<Item> q_; // storage; q_[head_, n_): candidates, oldest first, each worse after
  std::size_t n_ = 0;
  std::size_t head_ = 0;
};

// The first item of a series at or after a time, for a series in time order (Series::
// in_time_order): the one answer a binary search over the whole series gives, found from the
// last answer instead. A window's edge moves by the few points added since the last look,
// so a short gallop near the old edge replaces a dozen probes spread over the ring (each a
// cache miss on a long series, and each waiting on the one before).
class SortedEdge {
public:
  std::size_t find(const Series &s, TimePoint t);

private:
  const Series *series_ = nullptr;
  std::uint64_t at_ = 0; // push number of the last answer (pushed() for "none at or after")
};

// The trend window's sampled() picks of a series and, for each, the point of a second
// series in time order that nearest() pairs with it (context at OOM pairs available memory
// with context tokens), kept by push number between looks. sampled() picks points, not
// places in the window, so a look mostly finds last look's picks and their pairs again:
// only the few new picks are read from the ring and searched for in the second series.
// A pair is kept only once a point at or after its time exists, so that no point added
// later can be nearer; it is used again only while the points it was chosen from are
// still in the ring. Exact: pair() gives what nearest() gives for the same picks.
class TrendSamples {
public:
  // sampled(s, begin, end, max_n, out).
  void update(const Series &s, std::size_t begin, std::size_t end, std::size_t max_n,
              std::vector<Point> &out);
  // nearest(&other, t, tolerance) for pick k of the last update (t its time), with `other`
  // in time order (Series::in_time_order).
  std::optional<Point> pair(std::size_t k, const Series &other, Duration tolerance);

private:
  // A kept pair: `other`'s push number of the first point at or after the pick's time,
  // which point was picked (that one, the one before it, or none) and a copy of it
  // (reading it in the ring would cost a cache miss a pick).
  struct Memo {
    std::uint64_t lo_at = 0;
    Point pair{};
    enum class Near : std::uint8_t { unset, none, lo, before_lo } near = Near::unset;
  };
  Memo &memo(std::size_t k) { return k < at_.size() - head_ ? memos_[head_ + k] : newest_memo_; }
  void drop_front();

  const Series *series_ = nullptr;
  const Series *other_ = nullptr; // the series the memos pair with
  std::uint64_t stride_ = 0;
  std::uint64_t begin_ = 0; // the last look's first and newest push numbers
  std::uint64_t newest_at_ = 0;
  std::uint64_t next_ = 0; // the next multiple of the stride to read
  // The kept picks before the newest, oldest first, from head_ on: push numbers, points
  // and memos side by side, so a look reads the points in a few cache lines.
  std::vector<std::uint64_t> at_;
  std::vector<Point> points_;
  std::vector<Memo> memos_;
  std::size_t head_ = 0;
  std::uint64_t newest_pick_ = ~std::uint64_t{0}; // the newest point, picked whatever its
  TimePoint newest_time_{};                       // push number: its time and memo
  Memo newest_memo_;
};

// What an engine keeps per node between evaluations.
struct NodeFigures {
  WindowExtreme rate_base_high{true};    // throughput from step times: baseline's highest rate
  WindowExtreme rate_recent_low{false};  // ... and the recent window's lowest
  WindowExtreme swap_low{false};         // the swap window's lowest swap use
  std::array<SortedEdge, 3> eval_edges;  // step.eval_ms: baseline start, split and `now`
  std::array<SortedEdge, 2> swap_edges;  // mem.swap_used_bytes: swap window's start and end
  std::array<SortedEdge, 2> avail_edges; // mem.available_bytes: trend window's start and end
  TrendSamples avail_trend;              // ... its trend picks, paired with ctx.tokens
};

} // namespace clustertop
