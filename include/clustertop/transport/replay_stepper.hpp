// ReplayStepper: moves a replay forward to a given replay time — feeding every event that
// arrived by then to the pipeline at its own time and ticking every clock.tick — so a caller
// can pace it (real time, N x, or all at once) and draw in between. Owns no clock.
#pragma once

#include "clustertop/pipeline.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {

class ReplayStepper {
public:
  ReplayStepper(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock);

  // Processes everything up to `target` (capped at end()). Returns the replay time reached.
  TimePoint advance_to(TimePoint target);

  [[nodiscard]] TimePoint start() const { return start_; }
  [[nodiscard]] TimePoint end() const { return end_; } // last line + the clock's tail
  [[nodiscard]] TimePoint now() const { return now_; }
  [[nodiscard]] bool done() const { return now_ >= end_ && source_.done(); }

private:
  ReplaySource &source_;
  Pipeline &pipeline_;
  Duration tick_;
  TimePoint start_, end_, now_, next_tick_;
};

} // namespace clustertop
