#include "clustertop/detect/running_figures.hpp"

namespace clustertop {

void WindowExtreme::reset(const Series &s, std::uint64_t b) {
  series_ = &s;
  q_.clear();
  head_ = 0;
  begin_ = b;
  end_ = b;
}

void WindowExtreme::compact() {
  // Dropped candidates stay at the front until they are half the buffer: then one move.
  if (head_ < 64 || head_ * 2 < q_.size()) return;
  q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(head_));
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
  for (; checked_ < s.pushed(); ++checked_) {
    const TimePoint t = s[static_cast<std::size_t>(checked_ - first)].time;
    // Item 0's predecessor is gone, so only a later point can break the order.
    if (checked_ > first && t < last_time_) last_break_ = checked_;
    last_time_ = t;
  }
  return last_break_ <= first;
}

} // namespace clustertop
