#include "clustertop/transport/replay_stepper.hpp"

#include <algorithm>

namespace clustertop {

ReplayStepper::ReplayStepper(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock)
    : source_(source), pipeline_(pipeline), tick_(clock.tick), tail_(clock.tail),
      slice_(clock.slice), tail_given_(clock.tail_given) {
  if (source_.empty()) return;
  start_ = source_.first();
  now_ = start_;
  last_arrival_ = start_;
  next_tick_ = start_ + tick_;
}

TimePoint ReplayStepper::end() const {
  if (source_.empty()) return TimePoint{};
  // A log is read as the clock goes: its end is known once it is drained.
  if (!source_.done()) return TimePoint::max();
  // A recording whose watch ended cleanly ends there: the live run saw nothing after it.
  if (const auto ended = source_.ended(); ended && !tail_given_)
    return std::max(source_.last(), *ended);
  return source_.last() + tail_;
}

ReplayStepper::MarkStep ReplayStepper::step_to_mark(TimePoint limit) {
  const auto &marks = source_.marks();
  if (mark_ >= marks.size()) return MarkStep::none;
  const ReplaySource::Mark &m = marks[mark_];
  if (m.at > limit) return MarkStep::waiting;
  ++mark_;
  if (m.kind == ReplaySource::Mark::Kind::hold) {
    pipeline_.hold_alerts_until(m.at, m.until);
    return MarkStep::taken;
  }
  // What arrived by the mark: the drain it ends (a tick's is empty but for records a
  // write error or a reader skipped between them).
  arrived_.clear();
  for (auto at = source_.peek(); at && *at <= m.at; at = source_.peek())
    source_.take_until(m.at, arrived_);
  now_ = std::max(now_, m.at);
  if (!arrived_.empty()) {
    pipeline_.process(arrived_, now_);
    source_.recycle(arrived_);
    last_arrival_ = now_;
  }
  if (m.kind == ReplaySource::Mark::Kind::tick) pipeline_.tick(now_);
  // After the last mark, the replay's own ticks go on from the live run's last judgement.
  if (m.kind == ReplaySource::Mark::Kind::tick || next_tick_ <= now_) next_tick_ = now_ + tick_;
  return MarkStep::taken;
}

bool ReplayStepper::judged_to_its_end() const {
  return !tail_given_ && source_.ended() && !source_.marks().empty() &&
         mark_ >= source_.marks().size();
}

TimePoint ReplayStepper::advance_to(TimePoint target, std::size_t max_steps) {
  for (std::size_t steps = 0; steps < max_steps && !done(); ++steps) {
    const TimePoint end = this->end();
    const TimePoint limit = std::min(target, end);
    if (const MarkStep step = step_to_mark(limit); step == MarkStep::waiting)
      break;
    else if (step == MarkStep::taken)
      continue;
    const auto at = source_.peek();
    // Past the live run's last judgement it did not judge again before its watch ended:
    // neither does the replay (a tick at the end fired a stall the live run never printed).
    const bool no_more_ticks = judged_to_its_end();
    const TimePoint next_tick = no_more_ticks ? TimePoint::max() : next_tick_;
    // The next thing to happen is either a slice of arrivals or a tick, whichever comes
    // first; a slice's arrivals go to the pipeline together, at the latest one's time.
    if (at && *at <= next_tick && *at <= limit) {
      arrived_.clear();
      now_ =
          source_.take_until(std::min({next_tick, limit, *at + slice_}), arrived_).value_or(now_);
      pipeline_.process(arrived_, now_);
      source_.recycle(arrived_);
      last_arrival_ = now_;
    } else if (no_more_ticks) {
      if (limit < end) break; // the target has not reached the end yet
      now_ = std::max(now_, end);
    } else if (next_tick_ <= limit || (next_tick_ > end && limit >= end)) {
      // Past an hour of silence, on to the last tick before the next arrival, the end or
      // the target, whichever comes first (ticks stay on the start's grid).
      const TimePoint quiet_from = last_arrival_ + kIdleTicking;
      const TimePoint until = std::min({at.value_or(end), end, limit});
      if (next_tick_ > quiet_from && until != TimePoint::max() && until > next_tick_ + tick_) {
        const TimePoint last_tick = start_ + (until - start_) / tick_ * tick_; // > next_tick_
        ++gaps_skipped_;
        time_skipped_ += last_tick - next_tick_;
        next_tick_ = last_tick;
      }
      now_ = std::min(next_tick_, end);
      pipeline_.tick(now_);
      next_tick_ += tick_;
    } else {
      break;
    }
  }
  return now_;
}

} // namespace clustertop
