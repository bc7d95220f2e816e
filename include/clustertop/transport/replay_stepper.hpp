// ReplayStepper: moves a replay forward to a given replay time — feeding the events that
// arrived by then to the pipeline a slice at a time and ticking every clock.tick — so a caller
// can pace it (real time, N x, or all at once) and draw in between. Owns no clock.
#pragma once

#include <vector>

#include "clustertop/pipeline.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {

class ReplayStepper {
public:
  ReplayStepper(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock);

  // Processes everything up to `target` (capped at end()). Returns the replay time reached.
  TimePoint advance_to(TimePoint target);

  [[nodiscard]] TimePoint start() const { return start_; }
  // The last line + the clock's tail; TimePoint::max() until the last line has been read.
  [[nodiscard]] TimePoint end() const;
  [[nodiscard]] TimePoint now() const { return now_; }
  [[nodiscard]] bool done() const { return source_.done() && now_ >= end(); }

private:
  ReplaySource &source_;
  Pipeline &pipeline_;
  Duration tick_, tail_, slice_;
  TimePoint start_, now_, next_tick_;
  std::vector<Event> arrived_; // one slice's arrivals, reused
};

} // namespace clustertop
