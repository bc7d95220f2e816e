// Pipeline: the main-thread core shared by live and replay runs. Takes drained events with
// a `now`, hands lines to the parsers (Ingest), applies node status to the Store, runs the
// detectors and the AlertBook, and calls the sinks. Owns the AlertBook; never reads a clock,
// never blocks, never touches sockets or the terminal itself.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "clustertop/core/event_queue.hpp"
#include "clustertop/detect/alert_book.hpp"
#include "clustertop/detect/detectors.hpp"
#include "clustertop/sink/sink.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {

class Ingest;

// Turns one batch of raw lines into store content, appending new log events.
// Live and replay runs pass Ingest::on_batch (see ingest_handler).
using LineHandler = std::function<void(const LineBatch &, Store &, std::vector<LogEvent> &)>;

// Adapts collect's Ingest (which must outlive the pipeline).
LineHandler ingest_handler(Ingest &ingest);

class Pipeline {
public:
  Pipeline(Store &store, LineHandler lines, Rules rules);

  // Sinks are called in the order added; they must outlive the pipeline. Add the recorder
  // first so it sees raw lines before anything else can fail.
  void add_sink(Sink &sink) { sinks_.push_back(&sink); }

  // Everything drained from the EventQueue (or read by a replay) at `now`: raw lines go to
  // the sinks' on_lines and the parsers, statuses to the store and on_status; then the
  // detectors run once, so an alert leaves in the same call as the line behind it.
  void process(const std::vector<Event> &events, TimePoint now);

  // Once per tick (also when nothing arrived: silence is news): detectors, AlertBook, and
  // every sink's on_tick.
  void tick(TimePoint now);

  // Until `until`, evaluations leave the alerts as they are (no detectors, no transitions;
  // sinks still get their ticks). After clustertop itself was stopped (Ctrl-Z, SIGSTOP) or
  // starved, what the nodes sent meanwhile is still on its way: judged before it arrived,
  // every generating node was "stalled" for as long as the stop lasted.
  // Said at `now` (the sinks hear of it: a recording keeps it for its replay).
  void hold_alerts_until(TimePoint now, TimePoint until);

  // This machine's clock was stepped by `step` (WallClockWatch): the alerts' times (pending
  // since, last seen, a hold) and the sinks' (on_clock_step) move with it, so that a step
  // back does not keep an alert from firing or clearing, nor a forward one fire it early.
  void clock_stepped(Duration step);

  // No more ticks for now (a replay past its end): every sink's on_idle().
  void idle();

  // The watch ends at `at`: every sink's on_watch_end, with the alerts firing as last
  // judged, once (later calls do nothing).
  void end_watch(TimePoint at);
  // At exit: every sink's flush().
  void flush();

  [[nodiscard]] const std::vector<Finding> &firing() const { return firing_; }
  [[nodiscard]] const AlertBook &alerts() const { return book_; }
  [[nodiscard]] const Store &store() const { return store_; }
  // Log events parsed by the last process() call.
  [[nodiscard]] const std::vector<LogEvent> &new_events() const { return new_events_; }
  [[nodiscard]] std::uint64_t transitions() const { return transitions_; }

private:
  TickContext evaluate(TimePoint now);

  Store &store_;
  LineHandler lines_;
  Rules rules_;
  DetectEngine detect_;           // reads store_: declared after it
  std::vector<Finding> findings_; // this evaluation's, kept to reuse its memory
  AlertBook book_;
  std::vector<Sink *> sinks_;
  std::vector<Finding> firing_;
  std::vector<LogEvent> new_events_;
  std::uint64_t transitions_ = 0;
  TimePoint hold_until_{};
  bool watch_ended_ = false; // end_watch() was called
};

} // namespace clustertop
