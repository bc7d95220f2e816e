// Step stalls: a node whose steps stopped while generating (step_stall, gpu_spin), and the
// cluster view over the stalled nodes (cluster_stall).
#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <span>

#include "clustertop/core/text.hpp"
#include "clustertop/detect/detectors.hpp"
#include "series_math.hpp"
#include "stall_signals.hpp"

namespace clustertop {
namespace {

using detail::fresh_held_max;
using detail::kLongestPrefill;
using detail::kPrefillRate;
using detail::kSlotReport;
using detail::last_known;
using detail::median;
using detail::MetricId;
using detail::request_ended;
using detail::slots_decoding;
using detail::stall_metrics;
using detail::StallMetrics;
using detail::window;

bool is_rate(std::string_view metric) {
  return metric.size() > 6 && metric.compare(metric.size() - 6, 6, "_per_s") == 0;
}

// The newest point that shows progress: any known value, or a positive rate; none after
// `until`.
std::optional<Point> last_progress(const Series *s, bool rate, TimePoint until = TimePoint::max()) {
  if (s == nullptr) return std::nullopt;
  for (std::size_t i = s->size(); i > 0; --i) {
    const Point &p = (*s)[i - 1];
    if (p.time <= until && is_known(p.value) && (!rate || p.value > 0)) return p;
  }
  return std::nullopt;
}

// The GPU figure that decided busy or idle, with the threshold it was held against: a
// finding reports that one, in its unit (a residency decision once reported the power).
struct GpuFigure {
  enum class Kind { power, utilisation, residency };
  Kind kind = Kind::power;
  double value = kUnknown;
  double threshold = kUnknown;

  [[nodiscard]] std::string words() const {
    switch (kind) {
    case Kind::utilisation: return fmt::format("{:.0f}% utilisation", value);
    case Kind::residency: return fmt::format("{:.0f}% residency", value * 100);
    case Kind::power: break;
    }
    return fmt::format("{:.0f} W", value);
  }
};

struct StallInfo {
  std::string node;
  TimePoint last;
  double silence_s = 0;
  double threshold_s = 0;
  GpuFigure gpu{};
  bool gpu_known = false;
  bool gpu_busy = false;
  bool crashed = false;      // a crash signature since its last step: its crash alert speaks for it
  TimePoint crashed_at{};    // the first such signature's time
  bool end_unlogged = false; // a streamed request alone, whose end the engine does not log
  // Why its own step_stall is held back, for a node that was generating when its connection
  // went: down (its node_down speaks; it counts in the cluster view), back up a moment ago
  // (its log's backlog may still come; it counts in the cluster view), or not watched at all
  // (a recording's watch ended: no stall of any kind).
  enum class Held { no, down, settling, unwatched } held = Held::no;
  // The last step was read back after an outage and has no time of its own: `last` is the
  // outage's start (a lower bound) and it was written by this time, the reconnect.
  std::optional<TimePoint> written_by{};
  // The last progress was a prompt being read; generation had last moved then (if known).
  std::optional<TimePoint> generated_last{};
  double last_fence_ms = kUnknown; // fence_wait on its last step (unknown: none logged)
  // Its progress is a periodic rate report (vLLM, SGLang, llama.cpp), not a step line: no
  // steps, no fence_wait, no exo runner to name.
  bool reports = false;
  // Other nodes of its cluster are watched: an idle GPU may be waiting on one of them. A
  // server watched alone, or alone in its cluster, waits on none.
  bool has_peers = true;
};

// Whether the requests completed since the last progress (`req.completed`: an HTTP access
// line, SGLang's `"POST /v1/chat/completions HTTP/1.1" 200 OK`) plausibly leave the server
// idle: as many as were running at that progress (`req.running`, SGLang's #running-req),
// or any when no count is known. One request answered while others still run is no end:
// they go on printing progress, and their silence is a hang. Only completions within
// `within` of the last progress count (`after`, or one report interval where reports come
// further apart): a request's end follows its last progress closely (SGLang prints a Decode
// batch every 40 steps), while a hung server's access lines for streams that start later
// (uvicorn logs one when the response starts) come at any time.
bool completions_leave_idle(const DetectView &view, std::size_t node, const StallMetrics &ids,
                            TimePoint last, Duration within) {
  std::size_t count = 0;
  for (const MetricId m : {ids.completed, ids.finished}) {
    const Series *completed = view.series(node, m);
    for (std::size_t i = completed == nullptr ? 0 : completed->size(); i > 0; --i) {
      const Point &p = (*completed)[i - 1];
      if (p.time < last) break;
      if (p.time <= last + within && is_known(p.value)) ++count;
    }
  }
  if (count == 0) return false;
  const Series *running = view.series(node, ids.running);
  for (std::size_t i = running == nullptr ? 0 : running->size(); i > 0; --i) {
    const Point &p = (*running)[i - 1];
    if (p.time <= last && is_known(p.value)) return static_cast<double>(count) >= p.value;
  }
  return true; // no running count known
}

// How far before the last progress a request's end may be stamped and still be its end: a
// line stamped by the node (exo's `runner ready`, to the millisecond) and a step line
// stamped by its arrival here (exo's bare `[STEP N]`) are on two clocks, which agree only
// within the skew that is not corrected (2 s) and the transport's delay. A `runner ready`
// stamped just before the last step's arrival was a false step_stall after a normal end.
constexpr Duration kTwoClocks = std::chrono::seconds(2);
// Lines read in one pass of a transport's loop carry arrival times this close: nodes whose
// last steps are that close stopped together as far as anyone can tell.
constexpr Duration kOneRead = std::chrono::milliseconds(5);

// A running count of 0 since the last progress means the server was idle since: a request
// that came after it is judged once it has made progress of its own (its first report,
// "Running: 1 reqs, 0.0 tokens/s" while its prompt is read, had counted the idle time as a
// stall). A done point counts from kTwoClocks before it (a node's stamp, an arrival's).
//
// Not from before the last progress where the node's slots report their own progress
// (llama.cpp -np N): every line there is on one clock, and one slot's timing block followed
// by another slot's last line, then silence, is the server hanging after one request ended.
//
// There, every slot that decoded about the last progress must have ended after it (a point of
// a `done` metric each), less those that ended within a report before it: one slot's timing
// block half a second after the last progress lines of four, the other three mid-request and
// silent for good, was taken for the server's end, and its hang went unreported.
bool finished_after(const DetectView &view, std::size_t node, const StallMetrics &ids,
                    TimePoint last, Duration after) {
  const int slots =
      ids.decoded != DetectView::kNoMetric ? slots_decoding(view, node, ids.decoded, last) : 0;
  if (slots == 0)
    return request_ended(view, node, ids, last - kTwoClocks, last) ||
           completions_leave_idle(view, node, ids, last, after);
  int ends = 0, ended_before = 0;
  for (const auto m : ids.done) {
    const Series *done = view.series(node, m);
    for (std::size_t i = done == nullptr ? 0 : done->size(); i > 0; --i) {
      const Point &p = (*done)[i - 1];
      if (p.time < last - kSlotReport) break;
      if (!is_known(p.value)) continue;
      (p.time >= last ? ends : ended_before) += 1;
    }
  }
  return ends >= std::max(1, slots - ended_before) ||
         request_ended(view, node, ids, TimePoint::max(), last) || // a running count of 0
         completions_leave_idle(view, node, ids, last, after);
}

// Whether the silence may be a streamed request's normal end that the engine does not log:
// SGLang, without --log-requests, writes a streamed request's access line when its stream
// starts and nothing at its end, so [access line, Decode batch lines, silence] is an end as
// much as a hang, and every chat request ended in a critical page. Said so when the run of
// progress before the silence began (after an idle gap) with access lines for every request
// running at its last progress, and the node never logged a request's end (req.finished).
bool streamed_end_unlogged(const DetectView &view, std::size_t node, const StallMetrics &ids,
                           const Series &primary, TimePoint last, double idle_gap_s,
                           Duration after) {
  if (last_known(view.series(node, ids.finished))) return false; // ends are logged here
  const Series *completed = view.series(node, ids.completed);
  const auto running = last_known(view.series(node, ids.running));
  if (completed == nullptr || !running || !(running->value > 0)) return false;
  TimePoint run_from = last; // back over the run's progress to its first point
  for (std::size_t i = primary.size(); i > 0; --i) {
    const TimePoint t = primary[i - 1].time;
    if (t > run_from) continue;
    if (to_seconds(run_from - t) > idle_gap_s) break;
    run_from = t;
  }
  double started = 0;
  for (std::size_t i = completed->size(); i > 0; --i) {
    const Point &p = (*completed)[i - 1];
    if (p.time < run_from - after) break;
    if (p.time <= run_from + after && is_known(p.value)) started += 1;
  }
  return started >= running->value;
}

// Busy or idle from the GPU's utilisation (NVIDIA) or residency (Apple) when one is known;
// from its power only when neither is. Power says "busy" only on a Mac: an idle H100 draws
// ~70 W, far above the 10 W that tells a busy Apple GPU from an idle one, and made every
// NVIDIA stall a gpu_spin.
void classify_gpu(const DetectView &view, const StallRules &r, const StallMetrics &ids,
                  std::size_t node, TimePoint now, StallInfo &st) {
  const double power = fresh_held_max(view, node, ids.power, now, r.gpu_fresh);
  const double ratio = fresh_held_max(view, node, ids.ratio, now, r.gpu_fresh);
  const double util = fresh_held_max(view, node, ids.util, now, r.gpu_fresh);
  st.gpu_known = is_known(power) || is_known(ratio) || is_known(util);
  using Kind = GpuFigure::Kind;
  if (is_known(util) || is_known(ratio)) {
    const bool util_busy = is_known(util) && util >= r.busy_util_pct;
    const bool ratio_busy = is_known(ratio) && ratio >= r.busy_ratio;
    st.gpu_busy = util_busy || ratio_busy;
    // The figure that said busy; for an idle GPU the one known (utilisation first).
    if (util_busy || (!ratio_busy && is_known(util)))
      st.gpu = {Kind::utilisation, util, r.busy_util_pct};
    else
      st.gpu = {Kind::residency, ratio, r.busy_ratio};
  } else {
    st.gpu_busy = is_known(power) && power >= r.busy_power_w;
    st.gpu = {Kind::power, power, r.busy_power_w};
  }
}

// A crash signature logged at or after the last progress: the process that generated is
// gone, and the crash alert says so. Its silence as a step_stall too ("no step for 15 s while
// generating ... GPU state unknown") followed every crash, critical, naming no crash; the
// node still counts in the cluster view, where it is the one the others wait on.
// The time of the first such signature, if any.
std::optional<TimePoint> crashed_since(const DetectView &view, std::size_t node, TimePoint last) {
  const auto *events = view.node_events(node);
  if (events == nullptr) return std::nullopt;
  std::optional<TimePoint> first;
  for (std::size_t i = events->size(); i > 0; --i) {
    const LogEvent &e = (*events)[i - 1];
    if (e.time >= last - kTwoClocks && is_crash_event(e) && (!first || e.time < *first))
      first = e.time;
  }
  return first;
}

// An engine that reports less often than min_steps times in an active_window was never
// "generating": SGLang prints a Decode batch line every 40 decode steps, 40 s apart for a
// model at 1 step/s, and such a node's hang was never reported however long it had run.
// Its newest `need` reports count when they came at a steady cadence (no gap over twice
// another) of at most kSlowCadence; isolated requests minutes apart are no cadence.
constexpr Duration kSlowCadence = std::chrono::minutes(5);
bool steady_slow_reports(const Series *primary, TimePoint last, std::size_t need, bool rate,
                         std::vector<Point> &out) {
  window(primary, last - kSlowCadence * static_cast<int>(need), last, need, out);
  if (rate) std::erase_if(out, [](const Point &p) { return !(p.value > 0); });
  if (out.size() < need) return false;
  Duration shortest = Duration::max(), longest = Duration::zero();
  for (std::size_t i = 1; i < out.size(); ++i) {
    const Duration gap = out[i].time - out[i - 1].time;
    shortest = std::min(shortest, gap), longest = std::max(longest, gap);
  }
  return shortest > Duration::zero() && longest <= kSlowCadence && longest <= 2 * shortest;
}

// Nodes under their stall threshold, for the cluster view: `quiet` gets the last progress
// of one that has been silent a while (kTwoClocks), one that may yet stall; `moving` the
// progress series of those that moved within it.
struct UnderThreshold {
  struct Quiet {
    std::size_t node;
    TimePoint last;
  };
  struct Moving {
    std::size_t node;
    const Series *progress;
    bool rate;
  };
  // A node whose silence is a request's end or its runner's restart (`done`, as exo's
  // `runner ready`), logged at `done_at`.
  struct Ended {
    std::size_t node;
    TimePoint done_at;
  };
  std::vector<Quiet> quiet;
  std::vector<Moving> moving;
  std::vector<Ended> ended;
};

// The newest `done` point of a node (a request's end, a runner ready), if any.
std::optional<TimePoint> last_done(const DetectView &view, std::size_t node,
                                   const StallMetrics &ids) {
  std::optional<TimePoint> at;
  for (const auto m : ids.done)
    if (const auto p = last_known(view.series(node, m)); p && (!at || p->time > *at)) at = p->time;
  return at;
}

// Whether this progress came back after `stop`: its first progress after it followed a
// silence of `after` or more (or was its first). Read back from the newest point, to `stop`.
bool resumed_after(const UnderThreshold::Moving &m, TimePoint stop, Duration after) {
  std::optional<TimePoint> first_after;
  for (std::size_t i = m.progress->size(); i > 0; --i) {
    const Point &p = (*m.progress)[i - 1];
    if (!is_known(p.value) || (m.rate && !(p.value > 0))) continue;
    if (p.time <= stop) return first_after && *first_after - p.time >= after;
    first_after = p.time;
  }
  return first_after.has_value();
}

std::optional<StallInfo> node_stall(const DetectView &view, const StallRules &r,
                                    const StallMetrics &ids, std::size_t node, TimePoint now,
                                    DetectScratch &tmp, UnderThreshold *under = nullptr) {
  const Series *primary = nullptr;
  std::optional<Point> last;
  bool rate = false;
  std::optional<std::size_t> prefill; // kPrefillRate's place in the progress metrics
  for (std::size_t i = 0; i < ids.progress.size(); ++i) {
    if (r.progress[i] == kPrefillRate) {
      prefill = i;
      continue;
    }
    const Series *s = view.series(node, ids.progress[i]);
    const bool is_rate_metric = is_rate(r.progress[i]);
    auto p = last_progress(s, is_rate_metric);
    if (p && (!last || p->time > last->time)) last = p, primary = s, rate = is_rate_metric;
  }
  std::optional<TimePoint> generated_last; // set when a prompt report is the last progress
  if (prefill) {                           // within kLongestPrefill of the other progress
    const Series *s = view.series(node, ids.progress[*prefill]);
    auto p = last_progress(s, true, last ? last->time + kLongestPrefill : TimePoint::max());
    if (p && (!last || p->time > last->time)) {
      if (last) generated_last = last->time;
      last = p, primary = s, rate = true;
    }
  }
  if (!last) return std::nullopt;
  const auto note_under = [&] {
    if (under == nullptr) return;
    if (now - last->time >= kTwoClocks) return under->quiet.push_back({node, last->time});
    under->moving.push_back({node, primary, rate});
  };
  if (now - last->time < r.after) {
    note_under();
    return std::nullopt;
  }
  // A node that was generating when its connection went (its last progress within `after`
  // of the outage's start) is not judged from that silence: down, its node_down speaks; back
  // up, for `after`, while the samplers start at once and the log's backlog comes after the
  // stream's checks (a GPU sample that came first, with the last step from before the outage,
  // read as the deadlock, "restart the runner", on a node that had only reconnected). A node
  // that had stopped before the outage stays stalled through it, however often it flaps.
  const NodeInfo *info = view.node_info(node);
  // A node gone stale (every stream silent: a frozen sshd on a link that still answers) is
  // out of sight as a down one is; its critical step_stall came before its node_down and
  // stood through the outage. So is a node whose followed log's stream is down (its `tail`
  // restarting after a backoff): its steps cannot arrive, and no step is no hang.
  std::optional<TimePoint> log_down_since; // only for a node that is up
  if (info != nullptr && info->state == NodeState::up)
    for (const auto &[stream, status] : info->streams)
      if (status.state == NodeState::down && stream.starts_with("log:"))
        log_down_since = std::min(log_down_since.value_or(status.at), status.at);
  // (Connecting again after it was up: a recording's watch ended and the next one has not
  // heard from it yet.)
  const bool out_of_sight =
      info != nullptr &&
      (info->state == NodeState::down || info->state == NodeState::stale ||
       (info->state == NodeState::connecting && info->ever_up) || log_down_since);
  // Out of sight since it stopped being up: a stale node that turned down was gone from
  // its freeze, not from the down 20 s later.
  const TimePoint gone_at = log_down_since    ? *log_down_since
                            : info != nullptr ? info->left_up.value_or(info->since)
                                              : TimePoint{};
  const bool generating_at_outage =
      info != nullptr && (out_of_sight ? last->time >= gone_at - r.after
                                       : info->state == NodeState::up && info->outage_began &&
                                             now - info->since < r.after &&
                                             last->time >= *info->outage_began - r.after);
  auto &active = tmp.points[0];
  const std::size_t need = std::max<std::size_t>(r.min_steps, 2);
  // At least `need` points: a cap of 33 turned the check off for min_steps above 33.
  window(primary, last->time - r.active_window, last->time, std::max<std::size_t>(need, 33),
         active);
  if (rate) std::erase_if(active, [](const Point &p) { return !(p.value > 0); });
  if (active.size() < need && !steady_slow_reports(primary, last->time, need, rate, active))
    return std::nullopt;
  auto &gaps = tmp.values[0];
  gaps.clear();
  for (std::size_t i = 1; i < active.size(); ++i)
    gaps.push_back(to_seconds(active[i].time - active[i - 1].time));
  const double interval = median(gaps);
  StallInfo st{view.node_name(node), last->time, to_seconds(now - last->time), to_seconds(r.after)};
  st.generated_last = generated_last;
  st.reports = rate;
  if (info != nullptr && info->read_back && info->read_back->dated == last->time)
    st.written_by = info->read_back->arrived;
  // Rate lines are periodic reports: one missed report past `after` is enough.
  if (is_known(interval))
    st.threshold_s =
        rate ? st.threshold_s + interval : std::max(st.threshold_s, r.interval_multiple * interval);
  if (st.silence_s < st.threshold_s) {
    note_under();
    return std::nullopt;
  }
  // A request's end follows its last progress within one report: SGLang at 1 step/s prints
  // a Decode batch every 40 s, and a request's access line 20-40 s after the last one was
  // no end, its idle server a critical step_stall.
  const Duration end_within =
      is_known(interval) ? std::max(r.after, from_seconds(interval) + kTwoClocks) : r.after;
  if (finished_after(view, node, ids, last->time, end_within)) {
    if (under != nullptr)
      if (const auto done = last_done(view, node, ids); done && *done >= last->time)
        under->ended.push_back({node, *done});
    return std::nullopt;
  }
  // The fence_wait its last step logged (a step line gives its parts one stamp).
  if (const auto fence = last_known(view.series(node, ids.fence));
      fence && fence->time >= last->time - kTwoClocks)
    st.last_fence_ms = fence->value;
  const auto crash = crashed_since(view, node, last->time);
  st.crashed = crash.has_value();
  st.crashed_at = crash.value_or(TimePoint{});
  // Back up within `after`, it stays in the cluster view (dropping out resolved a
  // cluster_stall that fired again 11 s later).
  if (generating_at_outage)
    // A stale node (every stream silent, its link still open: a frozen machine) stays in
    // the cluster view as a down one does: left out, its peers' cluster_stall blamed one of
    // them that stopped 33 ms after it.
    st.held = info->state == NodeState::down || info->state == NodeState::stale
                  ? StallInfo::Held::down
              : info->state == NodeState::up && !log_down_since ? StallInfo::Held::settling
                                                                : StallInfo::Held::unwatched;
  // A node that is down has no GPU state: its last samples are from before the outage.
  if (info == nullptr || info->state != NodeState::down) classify_gpu(view, r, ids, node, now, st);
  // A GPU still busy after a streamed request's possible end is no end: it spins.
  st.end_unlogged = !st.gpu_busy && streamed_end_unlogged(view, node, ids, *primary, last->time,
                                                          st.threshold_s, r.after);
  return st;
}

// How long since the last progress: "67 s", or "59 to 67 s" where the last step's time is a
// lower bound (StallInfo::written_by).
std::string silence_words(const StallInfo &st) {
  if (!st.written_by) return fmt::format("{:.0f} s", st.silence_s);
  const double least = st.silence_s - to_seconds(*st.written_by - st.last);
  return fmt::format("{:.0f} to {:.0f} s", std::max(least, 0.0), st.silence_s);
}

// What the node's progress is called: an engine that reports rates takes no steps.
const char *progress_word(const StallInfo &st) { return st.reports ? "progress" : "step"; }

// "last step T", or, where a prompt being read was the last progress, when that was and when
// generation last moved (a stall after a long prefill gave the prefill's report as the step).
std::string last_words(const StallInfo &st) {
  if (st.written_by && !st.generated_last)
    return fmt::format("last {} written between {} and {}: read back at the reconnect, it has "
                       "no time of its own",
                       progress_word(st), iso8601_utc(st.last), iso8601_utc(*st.written_by));
  if (!st.generated_last) return fmt::format("last {} {}", progress_word(st), iso8601_utc(st.last));
  return fmt::format("last progress {}, a prompt being read; last step {}", iso8601_utc(st.last),
                     iso8601_utc(*st.generated_last));
}

std::string gpu_words(const StallInfo &st) {
  if (!st.gpu_known) return "GPU state unknown";
  if (st.gpu_busy)
    return fmt::format("GPU still busy ({}): {}", st.gpu.words(),
                       st.reports ? "a kernel or a collective that does not return, or a long "
                                    "prompt being read"
                                  : "spinning in fence_wait, or reading a long prompt");
  // Idle after a streamed request that may have ended normally: not said to wait on a peer.
  if (st.end_unlogged || !st.has_peers) return fmt::format("GPU idle ({})", st.gpu.words());
  return fmt::format("GPU idle ({}): waiting on a peer", st.gpu.words());
}

// The cluster the config put a node in ([[node]] cluster); "" for the one unnamed cluster.
std::string_view cluster_of(const Rules &rules, const std::string &node) {
  const auto it = rules.node_cluster.find(node);
  return it == rules.node_cluster.end() ? std::string_view{} : std::string_view(it->second);
}

// Whether another node of this node's cluster is watched.
bool has_peers(const DetectView &view, const Rules &rules, std::size_t node) {
  if (rules.node_cluster.empty()) return view.node_count() > 1;
  const std::string_view mine = cluster_of(rules, view.node_name(node));
  for (std::size_t n = 0; n < view.node_count(); ++n)
    if (n != node && cluster_of(rules, view.node_name(n)) == mine) return true;
  return false;
}

// The stalled nodes of one cluster (`cluster`: its name, "" for the one unnamed cluster), judged
// together. `under`: every node under its threshold; those of this cluster count (the last
// progress of one silent a while, that may yet stall, and the progress of those that moved).
void cluster_view(const DetectView &store, const Rules &rules, std::span<const StallInfo> stalled,
                  const UnderThreshold &under, std::string_view cluster,
                  std::vector<Finding> &out) {
  if (stalled.size() < 2) return;
  const Duration stall_after = rules.stall.after;
  // The fence_wait a step of a node stuck in the fence shows.
  const double fence_ms = rules.fence_wait.abs_ms;
  const auto ours = [&](std::size_t node) {
    return cluster_of(rules, store.node_name(node)) == cluster;
  };
  // A named cluster says its name, and a finding that names no culprit takes it as its
  // subject: two clusters' findings are two alerts.
  const std::string said = cluster.empty() ? "cluster" : fmt::format("cluster {}", cluster);
  const std::string no_culprit = cluster.empty() ? "" : fmt::format("cluster:{}", cluster);
  // Where no stalled node was judged stalled by itself (each is down, stale, or back up and
  // settling for `after`, its log's backlog still to come) or crashed, nothing is known to
  // hang: the finding keeps a cluster_stall that fires and starts none. Two nodes lost
  // together, the first one back paged "node3 holds it up" while every engine generated.
  const bool judged = std::any_of(stalled.begin(), stalled.end(), [](const StallInfo &st) {
    return st.held == StallInfo::Held::no || st.crashed;
  });
  const auto emit = [&](Finding f) {
    f.sustain_only = !judged;
    if (f.subject.empty()) f.subject = no_culprit;
    out.push_back(std::move(f));
  };
  TimePoint latest_stop = TimePoint::min();
  for (const auto &st : stalled) latest_stop = std::max(latest_stop, st.last);
  // A node that moves again after a silence, after they all stopped: the cluster is resuming
  // (its nodes never resume at one millisecond), and the ones still behind it waited on it.
  // Judged then, a second critical named a waiter as the one that "stopped first".
  if (std::any_of(under.moving.begin(), under.moving.end(), [&](const auto &m) {
        return ours(m.node) && resumed_after(m, latest_stop, stall_after);
      }))
    return;
  // So is one whose runner came up again (exo's `runner ready` after a crash) or whose request
  // ended after they all stopped: restarted runners come up milliseconds to seconds apart,
  // and in the 25 ms between the first and the others a second critical named a waiter as
  // the one that "stopped first".
  if (std::any_of(under.ended.begin(), under.ended.end(), [&](const UnderThreshold::Ended &e) {
        return ours(e.node) && e.done_at > latest_stop;
      }))
    return;
  std::size_t busy = 0;
  const StallInfo *culprit = &stalled.front();
  for (const auto &st : stalled) {
    if (st.gpu_busy) ++busy;
    if (st.last < culprit->last) culprit = &st;
  }
  if (busy == 1)
    for (const auto &st : stalled)
      if (st.gpu_busy) culprit = &st;
  std::string why, down, up; // the stalled nodes that are down, and the others
  // Without one busy GPU to tell, the one node whose last step waited long on its fence is
  // the one stuck in it (the deadlock's own shape); the earliest last step, a few
  // milliseconds ahead of it, named a node that was merely waiting.
  if (busy != 1) {
    const StallInfo *fenced = nullptr;
    std::size_t fences = 0;
    for (const auto &st : stalled)
      if (st.last_fence_ms > fence_ms) fenced = &st, ++fences;
    if (fences == 1)
      culprit = fenced,
      why = fmt::format("its last step waited {} ms on its GPU fence: likely stuck in fence_wait",
                        fixed_or_figures(fenced->last_fence_ms, 1));
  }
  // The node that crashed first: a peer's crash minutes later is most often the collective
  // timing out on it (NCCL's watchdog), and naming that peer moved the blame off the node
  // that died, with a new critical alert.
  // A crash that came long after its node stopped (NCCL's watchdog ten minutes into a hang,
  // on every rank: the first to time out is one that waited) is what the stop led to, not
  // what stopped it: it names no culprit. A runner that dies within kCrashCause of its
  // stop (exo's, 16-60 s into a Metal hang) still does.
  // Nor one that came that long after another stalled node had stopped: it cannot have
  // stopped that node (a vLLM's CUDA OOM three minutes after a llama.cpp server went quiet
  // was named the one the llama.cpp "is waiting on").
  constexpr Duration kCrashCause = std::chrono::minutes(2);
  TimePoint earliest = TimePoint::max();
  for (const auto &st : stalled) earliest = std::min(earliest, st.last);
  const Duration cause = std::max(stall_after, kCrashCause);
  const StallInfo *first_crash = nullptr;
  for (const auto &st : stalled)
    if (st.crashed && st.crashed_at <= st.last + cause && st.crashed_at <= earliest + cause &&
        (first_crash == nullptr || st.crashed_at < first_crash->crashed_at))
      first_crash = &st;
  if (first_crash != nullptr) culprit = first_crash, why = "it crashed: see its crash alert";
  const auto append = [](std::string &names, const std::string &node) {
    names += (names.empty() ? "" : ", ") + node;
  };
  std::size_t downs = 0;
  for (const auto &st : stalled) { // a node that dropped off explains the others best...
    const NodeInfo *info = store.node(st.node);
    if (info != nullptr && (info->state == NodeState::down || info->state == NodeState::stale)) {
      // ...when it stopped no later than they did: a node whose link went 50 s after another
      // had hung was named the one the hung node waited on.
      if (st.last <= earliest + kTwoClocks)
        culprit = &st, why = info->state == NodeState::down
                                 ? "node down: " + info->detail
                                 : std::string("node stale: no data from it, its link still open");
      append(down, st.node), ++downs;
    } else {
      append(up, st.node);
    }
  }
  if (downs > 1) {
    // Several dropped off together (a switch, a power blip): none of them explains the others,
    // and naming one (the last in order) flipped the culprit as they came back. Each has its
    // node_down alert; the nodes left waiting on them are named here, with no culprit.
    if (up.empty()) return;
    emit(Finding{"cluster_stall", "", "", Severity::critical, static_cast<double>(stalled.size()),
                 2.0,
                 fmt::format("{} stalled: {} are down; {} stopped with them and "
                             "waiting on them",
                             said, down, up)});
    return;
  }
  // A quiet peer that stopped about when they did (within half of `after`): not one still
  // generating, whose steps keep coming, nor one long gone.
  TimePoint first_stop = TimePoint::max(), last_stop = TimePoint::min();
  for (const auto &st : stalled)
    first_stop = std::min(first_stop, st.last), last_stop = std::max(last_stop, st.last);
  // Until that peer is judged, however long its threshold: cut short at one `after`, the
  // verdict named a waiter, then the peer (spinning on its GPU) in a second critical.
  const bool peer_pending =
      std::any_of(under.quiet.begin(), under.quiet.end(), [&](const UnderThreshold::Quiet &q) {
        return ours(q.node) && q.last >= first_stop - stall_after / 2 &&
               q.last <= last_stop + stall_after / 2;
      });
  if (why.empty() && busy != 1 && peer_pending &&
      std::all_of(stalled.begin(), stalled.end(), [](const StallInfo &st) {
        return st.gpu_known && !st.gpu_busy && !st.end_unlogged;
      })) {
    // Every stalled node's GPU is idle, waiting on a peer, and a peer that stopped after them
    // is yet to be judged: it is most likely the one they wait on. Named now, the verdict
    // was "stopped together" with no culprit, a critical alert replaced a second later by
    // the right one. Each stalled node has its step_stall meanwhile.
    return;
  }
  if (why.empty() && busy != 1) {
    // Chosen by the earliest last step alone: nodes whose last steps carry the same stamp
    // (vLLM and SGLang stamp to the second) stopped together, and naming the first in
    // order as the one the others wait on was a guess.
    // So did last steps of one read of the transports (stamped by their arrival, exo's
    // [STEP N], 11 µs apart): naming the first of them "stopped first" was a guess too.
    std::string together, after;
    for (const auto &st : stalled)
      append(st.last - culprit->last <= kOneRead ? together : after, st.node);
    if (together != culprit->node) {
      emit(Finding{
          "cluster_stall", "", "", Severity::critical, static_cast<double>(stalled.size()), 2.0,
          fmt::format("{} stalled: {} stopped together (last {} {}; {}){}", said, together,
                      progress_word(*culprit), iso8601_utc(culprit->last), gpu_words(*culprit),
                      after.empty()
                          ? ""
                          : fmt::format("; {} stopped after them and waiting on them", after))});
      return;
    }
  }
  if (why.empty()) why = gpu_words(*culprit);
  std::string waiting;
  for (const auto &st : stalled)
    if (&st != culprit) append(waiting, st.node);
  const bool one = stalled.size() == 2; // one node waits: "n2 ... is waiting"
  // Named for its busy GPU, a crash or its outage, the culprit may not have stopped first:
  // "n6 stopped first … n1 stopped after it" was false where n1's last step came 3 s before.
  std::size_t before = 0, after = 0; // the others' last steps against the culprit's
  for (const auto &st : stalled)
    before += st.last < culprit->last ? 1 : 0, after += st.last > culprit->last ? 1 : 0;
  const std::size_t others = stalled.size() - 1;
  // "Stopped first" only where it did: of last steps all alike, none stopped first.
  const bool first = before == 0 && after > 0, all_before = before == others,
             all_after = after == others;
  emit(Finding{
      "cluster_stall", "", culprit->node, Severity::critical, static_cast<double>(stalled.size()),
      2.0,
      first ? fmt::format("{} stalled: {} stopped first (last {} {}; {}); {} stopped {} "
                          "it and {} waiting on it",
                          said, culprit->node, progress_word(*culprit), iso8601_utc(culprit->last),
                          why, waiting, all_after ? "after" : "with or after", one ? "is" : "are")
            : fmt::format("{} stalled: {} holds it up (last {} {}; {}); {} stopped {} "
                          "it and {} waiting on it",
                          said, culprit->node, progress_word(*culprit), iso8601_utc(culprit->last),
                          why, waiting, all_before ? "before" : "around", one ? "is" : "are")});
}

} // namespace

std::optional<TimePoint> last_progress_before(const DetectView &view, const Rules &rules,
                                              std::size_t node, TimePoint before,
                                              DetectScratch &tmp) {
  const StallMetrics ids = stall_metrics(view, rules.stall, tmp.metrics);
  std::optional<TimePoint> last;
  for (std::size_t i = 0; i < ids.progress.size(); ++i) {
    if (rules.stall.progress[i] == kPrefillRate) continue;
    const auto p =
        last_progress(view.series(node, ids.progress[i]), is_rate(rules.stall.progress[i]), before);
    if (p && p->time < before && (!last || p->time > *last)) last = p->time;
  }
  return last;
}

std::optional<TimePoint> crashed_stall_since(const DetectView &view, const Rules &rules,
                                             std::size_t node, TimePoint now, DetectScratch &tmp) {
  const StallMetrics ids = stall_metrics(view, rules.stall, tmp.metrics);
  const auto st = node_stall(view, rules.stall, ids, node, now, tmp);
  // A stall that may be a streamed request's normal end was no generation the crash stopped
  // (an idle SGLang server's crash half an hour later stood until the next request), unless
  // the crash came within `after` of the last progress: that silence is the crash's (SGLang's
  // CUDA OOM a second after its last Decode batch resolved after 5 minutes, the server dead,
  // where the same log without the stream's access line kept it). A hang that ends in NCCL's
  // watchdog abort ten minutes later is one: the crash stands.
  if (!st || !st->crashed) return std::nullopt;
  if (st->end_unlogged && st->crashed_at > st->last + rules.stall.after) return std::nullopt;
  return st->last - kTwoClocks; // as crashed_since reads it
}

void detect_stalls(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                   std::vector<Finding> &out) {
  const StallMetrics ids = stall_metrics(view, rules.stall, tmp.metrics);
  std::vector<StallInfo> stalled;
  UnderThreshold under;
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    auto st = node_stall(view, rules.stall, ids, n, now, tmp, &under);
    if (!st || st->held == StallInfo::Held::unwatched) continue;
    st->has_peers = has_peers(view, rules, n);
    // A crashed node's crash alert and a down node's node_down speak for it; both still
    // count in the cluster view, where they are the ones the others wait on.
    if (st->crashed || st->held != StallInfo::Held::no) {
      stalled.push_back(std::move(*st));
      continue;
    }
    const std::string &node = view.node_name(n);
    out.push_back(
        Finding{"step_stall", node, "", st->end_unlogged ? Severity::warning : Severity::critical,
                st->silence_s, st->threshold_s,
                fmt::format("no {} for {} while generating ({}); {}{}",
                            st->generated_last ? "progress" : progress_word(*st),
                            silence_words(*st), last_words(*st), gpu_words(*st),
                            st->end_unlogged ? "; the request's access line came at its start (a "
                                               "streamed request), whose end the engine logs only "
                                               "with --log-requests: this may be its normal end"
                                             : "")});
    if (st->gpu_busy)
      out.push_back(
          Finding{"gpu_spin", node, "", Severity::critical, st->gpu.value, st->gpu.threshold,
                  st->reports ? fmt::format("progress stopped {} ago but the GPU stays "
                                            "busy ({}): a kernel or a collective that does not "
                                            "return, unless a long prompt is being read; if "
                                            "none is, restart the server on this node",
                                            silence_words(*st), st->gpu.words())
                              : fmt::format("steps stopped {} ago but the GPU stays busy "
                                            "({}): the fence_wait deadlock shape, unless a long "
                                            "prompt is being read (exo prints no line between "
                                            "queued requests); if none is, restart the runner "
                                            "on this node",
                                            silence_words(*st), st->gpu.words())});
    stalled.push_back(std::move(*st));
  }
  // Each cluster judged by itself, with its own nodes alone ([[node]] cluster; without names
  // every node is in one): two independent servers that stalled apart made one cluster_stall
  // naming one of them as the one the other "is waiting on".
  std::stable_sort(stalled.begin(), stalled.end(), [&](const StallInfo &a, const StallInfo &b) {
    return cluster_of(rules, a.node) < cluster_of(rules, b.node);
  });
  for (auto from = stalled.begin(); from != stalled.end();) {
    const std::string_view c = cluster_of(rules, from->node);
    const auto to = std::find_if(
        from, stalled.end(), [&](const StallInfo &st) { return cluster_of(rules, st.node) != c; });
    cluster_view(view, rules, {from, to}, under, c, out);
    from = to;
  }
}
} // namespace clustertop
