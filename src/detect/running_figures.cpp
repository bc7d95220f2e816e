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

bool TimeOrder::sorted(const Series &s) {
  const std::uint64_t first = s.pushed() - s.size(); // push number of item 0
  if (&s != series_ || checked_ > s.pushed()) {
    series_ = &s;
    checked_ = first;
    last_break_ = 0;
  }
  if (checked_ < first) checked_ = first; // gone unchecked: the ring dropped them
  // Locals in the loop: a store to a member could alias the ring's points, so the compiler
  // would reload every member on every point.
  std::uint64_t at = checked_, last_break = last_break_;
  TimePoint last_time = last_time_;
  for (const std::uint64_t end = s.pushed(); at < end; ++at) {
    const TimePoint t = s[static_cast<std::size_t>(at - first)].time;
    // Item 0's predecessor is gone, so only a later point can break the order.
    if (at > first && t < last_time) last_break = at;
    last_time = t;
  }
  checked_ = at;
  last_break_ = last_break;
  last_time_ = last_time;
  return last_break_ <= first;
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

} // namespace clustertop
