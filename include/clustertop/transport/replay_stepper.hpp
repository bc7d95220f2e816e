// ReplayStepper: moves a replay forward to a given replay time — feeding the events that
// arrived by then to the pipeline a slice at a time and ticking every clock.tick — so a caller
// can pace it (real time, N x, or all at once) and draw in between. Owns no clock.
#pragma once

#include <limits>
#include <vector>

#include "clustertop/pipeline.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {

class ReplayStepper {
public:
  ReplayStepper(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock);

  // Processes everything up to `target` (capped at end()), or stops after `max_steps` slices
  // and ticks (a later call goes on from there). Returns the replay time reached.
  TimePoint advance_to(TimePoint target,
                       std::size_t max_steps = std::numeric_limits<std::size_t>::max());

  [[nodiscard]] TimePoint start() const { return start_; }
  // The last line + the clock's tail; TimePoint::max() until the last line has been read.
  [[nodiscard]] TimePoint end() const;
  [[nodiscard]] TimePoint now() const { return now_; }
  [[nodiscard]] bool done() const { return source_.done() && now_ >= end(); }

  // A stretch without lines longer than kIdleTicking is not ticked through: an hour after
  // the last arrival, the detectors have seen all that silence shows (every window and hold
  // is shorter), and a stray stamp years ahead would otherwise cost a tick per second of the
  // gap. The clock jumps to the last tick before the next arrival (or the end).
  static constexpr Duration kIdleTicking = std::chrono::hours(1);
  // The gaps jumped so far, and their replay time in all.
  [[nodiscard]] std::size_t gaps_skipped() const { return gaps_skipped_; }
  [[nodiscard]] Duration time_skipped() const { return time_skipped_; }

private:
  ReplaySource &source_;
  Pipeline &pipeline_;
  Duration tick_, tail_, slice_;
  bool tail_given_;
  TimePoint start_, now_, next_tick_;
  TimePoint last_arrival_;
  std::size_t gaps_skipped_ = 0;
  Duration time_skipped_{0};
  std::vector<Event> arrived_; // one slice's arrivals, reused
  std::size_t mark_ = 0;       // the next of source_.marks() to replay

  // A recording that says where its live run judged is judged there and nowhere else, until
  // its last mark: `none` once there is none left (or none at all) to go by, `waiting` while
  // the next lies past `limit`.
  enum class MarkStep { none, taken, waiting };
  MarkStep step_to_mark(TimePoint limit);
  // A recording that says where its live run judged, up to a watch's end where the clock
  // stops, past its last mark: nothing more is judged (no tick) before the end.
  [[nodiscard]] bool judged_to_its_end() const;
};

} // namespace clustertop
