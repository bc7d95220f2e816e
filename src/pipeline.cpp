#include "clustertop/pipeline.hpp"

#include "clustertop/collect/collectors.hpp"

namespace clustertop {

Pipeline::Pipeline(Store &store, LineHandler lines, Rules rules)
    : store_(store), lines_(std::move(lines)), rules_(rules), detect_(store),
      book_(std::move(rules)) {}

void Pipeline::process(const std::vector<Event> &events, TimePoint now) {
  new_events_.clear();
  for (const auto &ev : events) {
    if (const auto *batch = std::get_if<LineBatch>(&ev)) {
      for (auto *s : sinks_) s->on_lines(*batch);
      if (lines_) lines_(*batch, store_, new_events_);
    } else if (const auto *status = std::get_if<NodeStatus>(&ev)) {
      store_.apply(*status);
      for (auto *s : sinks_) s->on_status(*status);
    }
  }
  if (events.empty()) return;
  for (auto *s : sinks_) s->on_drained(now);
  evaluate(now);
}

void Pipeline::hold_alerts_until(TimePoint now, TimePoint until) {
  hold_until_ = until;
  for (auto *s : sinks_) s->on_hold(now, until);
}

TickContext Pipeline::evaluate(TimePoint now) {
  if (now < hold_until_) return TickContext{store_, firing_, now};
  findings_.clear();
  detect_.run(rules_, now, findings_);
  const auto changes = book_.update(findings_, now);
  // Also while nothing changes: a firing alert's figures move on (memory left, time to OOM),
  // and the dashboard and exports show them from here.
  if (!changes.empty() || !firing_.empty()) firing_ = book_.firing();
  TickContext ctx{store_, firing_, now};
  for (const auto &t : changes) {
    ++transitions_;
    for (auto *s : sinks_) s->on_transition(t, ctx);
  }
  return ctx;
}

void Pipeline::tick(TimePoint now) {
  const auto ctx = evaluate(now);
  for (auto *s : sinks_) s->on_tick(ctx);
}

void Pipeline::clock_stepped(Duration step) {
  if (hold_until_ != TimePoint{}) hold_until_ += step;
  book_.shift(step);
  detect_.forget();
  for (auto *s : sinks_) s->on_clock_step(step);
}

void Pipeline::idle() {
  for (auto *s : sinks_) s->on_idle();
}

void Pipeline::end_watch(TimePoint at) {
  if (watch_ended_) return;
  watch_ended_ = true;
  const TickContext ctx{store_, firing_, at};
  for (auto *s : sinks_) s->on_watch_end(ctx);
}

void Pipeline::flush() {
  for (auto *s : sinks_) s->flush();
}

} // namespace clustertop

namespace clustertop {

LineHandler ingest_handler(Ingest &ingest) {
  return [&ingest](const LineBatch &batch, Store &store, std::vector<LogEvent> &events) {
    ingest.on_batch(batch, store, events);
  };
}

} // namespace clustertop
