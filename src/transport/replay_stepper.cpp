#include "clustertop/transport/replay_stepper.hpp"

#include <algorithm>

namespace clustertop {

ReplayStepper::ReplayStepper(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock)
    : source_(source), pipeline_(pipeline), tick_(clock.tick) {
  if (source_.empty()) return;
  start_ = source_.first();
  end_ = source_.last() + clock.tail;
  now_ = start_;
  next_tick_ = start_ + tick_;
}

TimePoint ReplayStepper::advance_to(TimePoint target) {
  target = std::min(target, end_);
  while (!done()) {
    const auto at = source_.peek();
    // The next thing to happen is either an arrival or a tick, whichever comes first.
    if (at && *at <= next_tick_ && *at <= target) {
      now_ = *at;
      pipeline_.process(source_.take_next(), now_);
    } else if (next_tick_ <= target || (next_tick_ > end_ && target >= end_)) {
      now_ = std::min(next_tick_, end_);
      pipeline_.tick(now_);
      next_tick_ += tick_;
    } else {
      break;
    }
  }
  return now_;
}

} // namespace clustertop
