// The replay clock: feeds a ReplaySource to a Pipeline at arrival times, ticking as it goes.
#include <algorithm>
#include <cmath>
#include <thread>

#include "clustertop/pipeline.hpp"
#include "clustertop/transport/replay.hpp"
#include "clustertop/transport/replay_stepper.hpp"

namespace clustertop {

Result<ReplayClock> replay_clock(const Options &options) {
  ReplayClock c;
  c.tick = options.interval.count() > 0 ? options.interval : std::chrono::seconds(1);
  // A recording holds the live run's own drains: replay them one by one, so its alerts carry
  // the very times the live run gave them. Plain logs have no drains, only line times.
  if (!options.replay_dir.empty()) c.slice = Duration::zero();
  if (!options.speed.empty() && options.speed != "max") {
    char *end = nullptr;
    const double s = std::strtod(options.speed.c_str(), &end);
    if (end == options.speed.c_str() || *end != '\0' || !(s > 0) || !std::isfinite(s))
      return Error{"invalid --speed", "expected a positive factor or max", options.speed,
                   "--speed 1 replays in real time, --speed 10 ten times faster, --speed max "
                   "as fast as possible"};
    c.speed = s;
  }
  if (!options.until.empty() && !parse_duration(options.until, c.tail))
    return Error{"invalid --until", "expected a duration", options.until,
                 "for example --until 10m (how long the clock runs past the last line)"};
  return c;
}

TimePoint run_replay(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock) {
  if (source.empty()) return TimePoint{};
  // The dashboard's ReplayStepper does the stepping; this only paces it.
  ReplayStepper stepper(source, pipeline, clock);
  if (clock.speed <= 0) return stepper.advance_to(TimePoint::max());
  const auto wall0 = std::chrono::steady_clock::now();
  for (TimePoint target = stepper.start() + clock.tick; !stepper.done(); target += clock.tick) {
    // real time divided by the speed factor
    std::this_thread::sleep_until(
        wall0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    (std::min(target, stepper.end()) - stepper.start()) / clock.speed));
    stepper.advance_to(target);
  }
  return stepper.now();
}

} // namespace clustertop
