// Replay: reads a recording (--record DIR) or plain log files (--node NAME=LOGFILE, using
// the timestamps in their lines) into time-ordered events, and drives a Pipeline with a
// replay clock that runs on past the last line (`--until`, default 5 min) so a hang at the
// end of a log is still reported. A recording is loaded whole; plain logs are read as the
// clock reaches them, one batch ahead, so a replay holds one take of log lines at a time
// (see take_until), not the whole log. Never parses metrics itself.
#pragma once

#include <functional>

#include <cstddef>
#include <memory>
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
  ReplaySource();
  ~ReplaySource();
  ReplaySource(ReplaySource &&) noexcept;
  ReplaySource &operator=(ReplaySource &&) noexcept;

  // Every *.ctrec file in `dir`, in name order. An unfinished last line (a copy taken while
  // recording, a disk that filled mid-write) is not replayed, and said in warnings(); a
  // malformed record is counted in skipped().
  // Past a watch's end its nodes are not watched (a `connecting` status) until another
  // file hears from them; the last end's statuses are left out unless `clock_runs_past_end`
  // (--until), since nothing follows them.
  static Result<ReplaySource> from_recording(const std::string &dir,
                                             bool clock_runs_past_end = false);
  // "NAME=LOGFILE" each; lines without a timestamp take the previous line's time. Times
  // without a zone are at `zone` (--zone): the readers' arrival times, and the node's `up`
  // status carries it to the parsers (NodeStatus::utc_offset), so both read them alike.
  static Result<ReplaySource> from_logs(const std::vector<std::string> &node_logs,
                                        std::chrono::minutes zone = std::chrono::minutes{0});

  [[nodiscard]] bool empty() const { return !first_; }
  [[nodiscard]] TimePoint first() const { return first_.value_or(TimePoint{}); }
  // Arrival time of the latest event taken: the last of all once done().
  [[nodiscard]] TimePoint last() const { return last_; }
  [[nodiscard]] bool done() const { return !peek(); }
  // Arrival time of the next event, if any.
  [[nodiscard]] std::optional<TimePoint> peek() const;
  // The events that arrived exactly at the next arrival time (one drain).
  std::vector<Event> take_next();
  // Every event that arrived by `limit`, appended to `out` in arrival order (one replay
  // slice's drains together), but events of at most kMaxTakeLines lines in all (a batch
  // counts its lines, anything else one; the event that reaches the bound is taken whole): a
  // log whose lines all carry one time is handed over in bounded pieces, which recycle() can
  // keep every line string of. The arrival time of the last one taken; nullopt when none.
  static constexpr std::size_t kMaxTakeLines = 8192;
  std::optional<TimePoint> take_until(TimePoint limit, std::vector<Event> &out);
  [[nodiscard]] std::size_t skipped() const { return skipped_; }
  // What reading the --node logs met so far, all of them together (said at the end of a
  // replay).
  struct LogCounts {
    std::size_t lines = 0;
    // Lines without a time of their own: each took the time of the line before it.
    std::size_t unstamped = 0;
    // Stray stamps, more than kStrayJump past the stamp before and more than kLatestStamp
    // past their file's modification time: each took the time of the line before it.
    std::size_t late_stamps = 0;
    // Lines longer than kMaxLineBytes: the rest of each was not read.
    std::size_t cut_lines = 0;
    LogCounts &operator+=(const LogCounts &o);
  };
  [[nodiscard]] LogCounts log_counts() const;
  // A --node log's line is read up to this many bytes (the rest is counted as cut).
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;
  // How far past a log's modification time a stamp may be: a zone's offset (up to +14 h,
  // read as UTC without --zone) and an hour for a clock running ahead.
  static constexpr Duration kLatestStamp = std::chrono::hours(15);
  static constexpr Duration kStrayJump = std::chrono::hours(24 * 30);
  // What the replay should say about its input: a recording whose last record was cut off
  // (file and byte offset).
  [[nodiscard]] const std::vector<std::string> &warnings() const { return warnings_; }
  // When the watch that made a recording ended (its files' `E` records, the latest), if
  // every file has one; nullopt for plain logs and for a watch that was killed.
  [[nodiscard]] std::optional<TimePoint> ended() const { return ended_; }
  // A recording's nodes whose logs write in another zone than the node's (`log_zone` in the
  // live run's config; `G` records), in file order: the Store reads their lines so.
  [[nodiscard]] const std::vector<std::pair<std::string, std::chrono::minutes>> &log_zones() const {
    return log_zones_;
  }
  // The nodes of a plain-log replay, in --node order, for the store to declare before the
  // first line (a live run declares its inventory so): the dashboard's "config order".
  // Empty for a recording, whose nodes appear as they are first heard from.
  [[nodiscard]] const std::vector<std::string> &nodes() const { return nodes_; }
  // Where a recording's live run judged (format 2: docs/alerts.md, "Recordings"): after a
  // drain, at a tick, or where it held its alerts after it had not run; in time order. A
  // replay judges there, as the live run did. Empty for plain logs and format-1 recordings.
  struct Mark {
    enum class Kind { drain, tick, hold } kind;
    TimePoint at;
    TimePoint until{}; // a hold's end
  };
  [[nodiscard]] const std::vector<Mark> &marks() const { return marks_; }
  // Events taken from this source that the pipeline is done with: their batches, line
  // strings and all, are filled again with the next lines read (optional; leaves the
  // events' batches moved-from).
  void recycle(std::vector<Event> &spent);

  struct LogFile; // one --node log being read (replay_log_file.cpp)
  // Batches given back by recycle() for LogFile::advance to fill again, so that a warm
  // replay allocates nothing per line or per batch (its batches hold a few lines each
  // while every line has a time of its own).
  struct Spares {
    std::vector<LineBatch> batches;
    std::size_t lines = 0;          // line strings held by `batches`
    std::vector<std::string> loose; // strings left over where a batch held more lines
  };

private:
  // Events at the next arrival time `t` (peek()) while `budget` lines remain, taken off it;
  // the rest stay for the next call.
  void take_into(TimePoint t, std::vector<Event> &out, std::size_t &budget);

  std::vector<TimedEvent> events_; // a recording, loaded whole
  std::vector<Mark> marks_;        // and where its live run judged
  std::size_t next_ = 0;
  std::vector<std::unique_ptr<LogFile>> logs_; // plain logs, in --node order
  std::vector<std::string> nodes_;             // their nodes, in the same order
  std::optional<TimePoint> first_;
  TimePoint last_{};
  std::size_t skipped_ = 0;
  std::vector<std::string> warnings_;
  std::optional<TimePoint> ended_;
  std::vector<std::pair<std::string, std::chrono::minutes>> log_zones_;
  Spares spares_;
};

// The timestamp a log line carries, if any: "2026-02-23 18:07:01.123" / ISO 8601 with T
// and Z or offset; vLLM's "INFO 02-23 18:07:01" (year from `year`); a bare "18:07:01.123"
// (date from `day`, the UTC midnight of the file's day). Times without a zone are taken as
// UTC; a year outside 1900-2200 is not read as one.
std::optional<TimePoint> line_time(const std::string &line, int year, TimePoint day);

struct ReplayClock {
  double speed = 0; // 0: as fast as possible; 1: real time
  Duration tail = kDefaultReplayTail;
  bool tail_given = false; // --until: tick `tail` past the last line even where the watch ended
  Duration tick = std::chrono::seconds(1);
  // Arrivals within one slice go to the pipeline together, stamped with the latest one:
  // an alert is stamped at most this long after its line (a live drain is stamped within
  // milliseconds), while the detectors still run only a few times a second of log time.
  // Zero for a recording: each recorded drain on its own, as the live run had it.
  Duration slice = std::chrono::milliseconds(100);
};
// Parses --speed ("max", "1", "10") and --until ("5m"); errors say what to type.
Result<ReplayClock> replay_clock(const Options &options);

// Feeds the events to the pipeline a slice at a time (every event that arrived within
// `clock.slice` of the slice's first, and before the next tick, in one process() call at the
// latest arrival time, so an alert leaves in the tick of the line behind it), ticks every
// `clock.tick` of replay time, and runs on to last() + tail. `stop` (optional) is asked
// between steps of at most a minute of replay time and 100 ms of waiting: true ends the
// replay there (a signal, an output gone). `halt` (optional, cheap) is asked after every
// step: true ends the replay at once (--exit-on's alert, before a later transition prints).
// Returns the replay time it stopped at.
struct ReplayEnd {
  TimePoint at;
  bool stopped = false;         // by `stop`, before the end
  std::size_t gaps_skipped = 0; // ReplayStepper::kIdleTicking
  Duration time_skipped{0};
};
ReplayEnd run_replay(ReplaySource &source, Pipeline &pipeline, const ReplayClock &clock,
                     const std::function<bool()> &stop = {},
                     const std::function<bool()> &halt = {});

} // namespace clustertop
