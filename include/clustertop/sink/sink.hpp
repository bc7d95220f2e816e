// Sink: where the main thread's results go (tui, alert printer + hook, csv, prometheus,
// recorder). Called only on the main thread; a sink must never block it (hooks and HTTP
// run elsewhere and are fed copies).
#pragma once

#include <vector>

#include "clustertop/core/model.hpp"
#include "clustertop/detect/finding.hpp"

namespace clustertop {

class Store;

struct TickContext {
  const Store &store;
  const std::vector<Finding> &firing; // alerts firing now
  TimePoint now;
};

class Sink {
public:
  virtual ~Sink() = default;
  // Raw lines as they arrived (the recorder needs them; most sinks ignore them).
  virtual void on_lines(const LineBatch & /*batch*/) {}
  // Node and stream status changes as the transports reported them (the recorder keeps
  // them so a replay sees nodes drop off).
  virtual void on_status(const NodeStatus & /*status*/) {}
  // Every alert transition, in the tick it happens.
  virtual void on_transition(const AlertTransition & /*t*/, const TickContext & /*ctx*/) {}
  // Once per tick, after ingest and detectors.
  virtual void on_tick(const TickContext & /*ctx*/) {}
  // After a drain's events were handed on (lines to the parsers, statuses to the store),
  // just before the detectors judge them at `now` (the recorder keeps where the live run
  // judged, so that a replay judges there too).
  virtual void on_drained(TimePoint /*now*/) {}
  // At `now`, alerts were held until `until` (clustertop itself had not run).
  virtual void on_hold(TimePoint /*now*/, TimePoint /*until*/) {}
  // This machine's clock was stepped by `step` (WallClockWatch): a time held for later (the
  // next line or file due) moves with it. Held as it was, a due time 5 minutes ahead after
  // a step back wrote nothing for 5 minutes.
  virtual void on_clock_step(Duration /*step*/) {}
  // No tick is coming (a replay past its end, its screen still up): what a sink does between
  // ticks that is not judging (a hook's output shown, its exit reaped) is done now.
  virtual void on_idle() {}
  // The watch ends at ctx.now (a stop, a replay's end), once, before flush(), with the
  // alerts firing as last judged (at a tick or after a drain): what a periodic sink holds
  // for a later time (the CSV's period cut short) is written now, as of then.
  virtual void on_watch_end(const TickContext & /*ctx*/) {}
  // At exit (and when asked): write out everything buffered.
  virtual void flush() {}
};

} // namespace clustertop
