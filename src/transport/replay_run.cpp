// The replay clock: feeds a ReplaySource to a Pipeline at arrival times, ticking as it goes.
#include <algorithm>
#include <cmath>
#include <thread>

#include "clustertop/pipeline.hpp"
#include "clustertop/transport/replay.hpp"
#include "clustertop/transport/replay_stepper.hpp"

namespace clustertop {
namespace {

// Slices (of at most kMaxTakeLines lines) and ticks between two questions to `stop`: a
// fraction of a second of work.
constexpr std::size_t kStepsBetweenChecks = 256;

} // namespace

Result<ReplayClock> replay_clock(const Options &options) {
  ReplayClock c;
  // The live run's floor too (run_tick): a tick of 1 µs spun a core for hours of wall time
  // on a five-minute recording.
  c.tick = options.interval.count() > 0 ? std::max<Duration>(options.interval, kMinTick)
                                        : std::chrono::seconds(1);
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
  c.tail_given = !options.until.empty();
  if (c.tail_given && !parse_duration(options.until, c.tail))
    return Error{"invalid --until", "expected a duration", options.until,
                 "for example --until 10m (how long the clock runs past the last line)"};
  return c;
}

ReplayEnd run_replay(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock,
                     const std::function<bool()> &stop, const std::function<bool()> &halt) {
  ReplayEnd out;
  if (source.empty()) return out;
  // The dashboard's ReplayStepper does the stepping; this only paces it.
  ReplayStepper stepper(source, pipeline, clock);
  const auto stopped = [&] { return stop && (out.stopped = stop()); };
  const auto halted = [&] { return halt && (out.stopped = halt()); };
  // Up to `target`, a step at a time while `halt` is given (so that it ends the replay at the
  // step that made it true), else in one call.
  const auto advance = [&](TimePoint target, std::size_t steps) {
    if (!halt) return void(stepper.advance_to(target, steps));
    for (std::size_t i = 0; i < steps && !stepper.done() && stepper.now() < target; ++i) {
      stepper.advance_to(target, 1);
      if (halted()) return;
    }
  };
  const auto finish = [&] {
    out.at = stepper.now();
    out.gaps_skipped = stepper.gaps_skipped();
    out.time_skipped = stepper.time_skipped();
    return out;
  };
  if (clock.speed <= 0) {
    // In bounded runs of slices and ticks (a run resumes where the last one left off, so
    // the replay is the same as in one go), asking `stop` in between.
    while (!stepper.done() && !stopped() && !halted())
      advance(TimePoint::max(), kStepsBetweenChecks);
    return finish();
  }
  const auto wall0 = std::chrono::steady_clock::now();
  for (TimePoint target = stepper.start() + clock.tick; !stepper.done(); target += clock.tick) {
    // real time divided by the speed factor, waited in pieces that `stop` can end; in double
    // seconds, capped: a tiny factor (1e-10) overflowed the clock's nanoseconds, and the
    // replay ran at full speed instead of never.
    constexpr double kLongestWait = 1e9; // seconds: ~32 years
    const double wait = std::min(
        to_seconds(std::min(target, stepper.end()) - stepper.start()) / clock.speed, kLongestWait);
    const auto due = wall0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(wait));
    while (std::chrono::steady_clock::now() < due) {
      if (stopped()) return finish();
      std::this_thread::sleep_until(
          std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
    if (stopped()) return finish();
    advance(target, std::numeric_limits<std::size_t>::max());
    if (halted()) return finish();
  }
  return finish();
}

} // namespace clustertop
