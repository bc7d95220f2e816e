#include "clustertop/detect/running_figures.hpp"

#include <algorithm>

#include "series_math.hpp"

namespace clustertop {

void WindowExtreme::reset(const Series &s, std::uint64_t b) {
  series_ = &s;
  n_ = 0; // the storage stays for the next candidates
  head_ = 0;
  begin_ = b;
  end_ = b;
}

void WindowExtreme::compact() {
  // Dropped candidates stay at the front until they are half the buffer: then one move.
  if (head_ < 64 || head_ * 2 < n_) return;
  std::copy(q_.begin() + static_cast<std::ptrdiff_t>(head_),
            q_.begin() + static_cast<std::ptrdiff_t>(n_), q_.begin());
  n_ -= head_;
  head_ = 0;
}

namespace {

// In time order the answer is the one index whose predecessor is before t and which is
// not: galloping from any start index finds it, as a binary search does.
std::size_t gallop(const Series &s, TimePoint t, std::size_t i) {
  const std::size_t size = s.size();
  if (i < size && s[i].time < t) { // the answer is after i
    std::size_t lo = i + 1;
    for (std::size_t step = 1;; step *= 2) {
      const std::size_t probe = i + step;
      if (probe >= size) return detail::first_at_or_after(s, t, lo, size);
      if (!(s[probe].time < t)) return detail::first_at_or_after(s, t, lo, probe);
      lo = probe + 1;
    }
  }
  std::size_t hi = i; // s[hi] is at or after t (or hi is the end): the answer is <= hi
  for (std::size_t step = 1; hi > 0; step *= 2) {
    const std::size_t probe = hi > step ? hi - step : 0;
    if (s[probe].time < t) return detail::first_at_or_after(s, t, probe + 1, hi);
    hi = probe;
  }
  return 0;
}

} // namespace

std::size_t SortedEdge::find(const Series &s, TimePoint t) {
  const std::uint64_t first = s.pushed() - s.size(); // push number of item 0
  std::size_t i = s.size();
  if (&s == series_ && at_ <= s.pushed())
    i = static_cast<std::size_t>(std::max(at_, first) - first);
  series_ = &s;
  const std::size_t found = gallop(s, t, i);
  at_ = first + found;
  return found;
}

void TrendSamples::drop_front() {
  // Dropped picks: one move now and then.
  if (head_ < 64 || head_ * 2 < at_.size()) return;
  const auto h = static_cast<std::ptrdiff_t>(head_);
  at_.erase(at_.begin(), at_.begin() + h);
  points_.erase(points_.begin(), points_.begin() + h);
  memos_.erase(memos_.begin(), memos_.begin() + h);
  head_ = 0;
}

void TrendSamples::update(const Series &s, std::size_t begin, std::size_t end, std::size_t max_n,
                          std::vector<Point> &out) {
  out.clear();
  if (begin >= end || max_n == 0) return;
  const std::uint64_t first = s.pushed() - s.size(); // push number of item 0
  const std::uint64_t stride = detail::sample_stride(end - begin, max_n);
  const std::uint64_t b = first + begin, newest = first + end - 1;
  // A window that moved back, or picks with another stride or of another series: afresh.
  if (&s != series_ || stride != stride_ || b < begin_ || newest < newest_at_) {
    series_ = &s;
    stride_ = stride;
    at_.clear();
    points_.clear();
    memos_.clear();
    head_ = 0;
    next_ = detail::first_pick(b, stride);
    newest_pick_ = ~std::uint64_t{0};
  }
  begin_ = b;
  newest_at_ = newest;
  while (head_ < at_.size() && at_[head_] < b) ++head_;
  drop_front();
  next_ = std::max(next_, detail::first_pick(b, stride));
  const Series::View ring = s.view();
  for (; next_ < newest; next_ += stride) {
    const Point &p = ring[static_cast<std::size_t>(next_ - first)];
    if (!is_known(p.value)) continue;
    at_.push_back(next_);
    points_.push_back(p);
    // The last look's newest, when it is now a kept pick, keeps its memo.
    memos_.push_back(newest_pick_ == next_ ? newest_memo_ : Memo{});
  }
  out.assign(points_.begin() + static_cast<std::ptrdiff_t>(head_), points_.end());
  const Point &last = ring[end - 1];
  if (newest_pick_ != newest) newest_pick_ = newest, newest_memo_ = Memo{};
  newest_time_ = last.time;
  if (is_known(last.value)) out.push_back(last);
}

std::optional<Point> TrendSamples::pair(std::size_t k, const Series &other, Duration tolerance) {
  if (&other != other_) { // memos of another series: none holds
    other_ = &other;
    for (auto &m : memos_) m = Memo{};
    newest_memo_ = Memo{};
  }
  Memo &m = memo(k);
  const std::uint64_t first = other.pushed() - other.size(); // push number of item 0
  using Near = Memo::Near;
  // Kept: the point at or after t and the one before it are what they were, so nearest()
  // still picks from them; the one before may have left the ring (then only the other is
  // considered, which changes nothing unless the one before was the pair).
  if (m.near != Near::unset && m.lo_at >= first &&
      (m.near != Near::before_lo || m.lo_at - 1 >= first)) {
    if (m.near == Near::none) return std::nullopt;
    return m.pair;
  }
  const std::size_t kept = at_.size() - head_;
  const TimePoint t = k < kept ? points_[head_ + k].time : newest_time_;
  const std::size_t lo = detail::first_at_or_after_sorted(other, t, other.size());
  const std::size_t i = detail::near_index(other, lo, t, tolerance);
  if (lo < other.size()) { // a point at or after t: no later point can be nearer
    m.lo_at = first + lo;
    m.near = i == detail::kNone ? Near::none : i == lo ? Near::lo : Near::before_lo;
    if (i != detail::kNone) m.pair = other[i];
  } else {
    m.near = Near::unset;
  }
  return i == detail::kNone ? std::nullopt : std::optional<Point>(other[i]);
}

} // namespace clustertop
