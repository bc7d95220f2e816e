// Replay: reads a recording (--record DIR) or plain log files (--node NAME=LOGFILE, using
// the timestamps in their lines) into time-ordered events, and drives a Pipeline with a
// replay clock that runs on past the last line (`--until`, default 5 min) so a hang at the
// end of a log is still reported. Owns the loaded events; never parses metrics itself.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/config/options.hpp"
#include "clustertop/core/event_queue.hpp"
#include "clustertop/core/result.hpp"

namespace clustertop {

class Pipeline;

// The clock runs this long past the last line unless --until says otherwise.
inline constexpr Duration kDefaultReplayTail = std::chrono::minutes(5);

struct TimedEvent {
  TimePoint at;
  Event event;
};

class ReplaySource {
public:
  // Every *.ctrec file in `dir`, in name order. An unfinished last line (a copy taken while
  // recording) is ignored; a malformed record is counted in skipped().
  static Result<ReplaySource> from_recording(const std::string &dir);
  // "NAME=LOGFILE" each; lines without a timestamp take the previous line's time.
  static Result<ReplaySource> from_logs(const std::vector<std::string> &node_logs);

  [[nodiscard]] bool empty() const { return events_.empty(); }
  [[nodiscard]] TimePoint first() const { return events_.front().at; }
  [[nodiscard]] TimePoint last() const { return events_.back().at; }
  [[nodiscard]] bool done() const { return next_ >= events_.size(); }
  // Arrival time of the next event, if any.
  [[nodiscard]] std::optional<TimePoint> peek() const;
  // The events that arrived exactly at the next arrival time (one drain).
  std::vector<Event> take_next();
  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] std::size_t skipped() const { return skipped_; }

private:
  std::vector<TimedEvent> events_;
  std::size_t next_ = 0;
  std::size_t skipped_ = 0;
};

// The timestamp a log line carries, if any: "2026-02-23 18:07:01.123" / ISO 8601 with T
// and Z or offset; vLLM's "INFO 02-23 18:07:01" (year from `year`); a bare "18:07:01.123"
// (date from `day`, the UTC midnight of the file's day). Local times are taken as UTC.
std::optional<TimePoint> line_time(const std::string &line, int year, TimePoint day);

struct ReplayClock {
  double speed = 0; // 0: as fast as possible; 1: real time
  Duration tail = kDefaultReplayTail;
  Duration tick = std::chrono::seconds(1);
};
// Parses --speed ("max", "1", "10") and --until ("5m"); errors say what to type.
Result<ReplayClock> replay_clock(const Options &options);

// Feeds every event to the pipeline at its arrival time, ticks every `clock.tick` of replay
// time, and runs on to last() + tail. Returns the replay time it stopped at.
TimePoint run_replay(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock);

} // namespace clustertop
