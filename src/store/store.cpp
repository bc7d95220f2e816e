#include "clustertop/store/store.hpp"

#include <algorithm>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"

namespace clustertop {

NodeInfo &Store::node_mut(const std::string &name) {
  auto it = nodes_.find(name);
  if (it != nodes_.end()) return it->second;
  node_order_.push_back(name);
  auto &info = nodes_[name];
  info.name = name;
  return info;
}

void Store::declare_node(const std::string &node) { node_mut(node); }

void Store::apply(const NodeStatus &status) {
  auto &info = node_mut(status.node);
  // A detail quotes what a node or ssh said ("auth failed: token=..."): its credentials are
  // left out here, once, for every reader (alerts, figures, the dashboard, CSV, stderr).
  if (!status.stream.empty()) {
    NodeStatus &kept = info.streams[status.stream];
    kept = status;
    kept.detail = redact_secrets(status.detail);
    return;
  }
  // A retry's `connecting` does not end a node's `down`: it stays unreachable until it is up
  // again, with the reason of its last failure, and `since` keeps the first failure's time.
  // (Each retry cleared the node_down finding: a PENDING, and a hook run, per retry, FIRING
  // only once one backoff outlasted `for`, and RESOLVED while the node stayed down.)
  if (info.state == NodeState::down && status.state == NodeState::connecting) return;
  // A node up from down or connecting is a new connection: its streams start anew and report
  // their states after the node's `up` (both transports report it first). The old
  // connection's are forgotten, or a stream down before an outage still read down between
  // the node's `up` and its stream's (25-50 ms) and raised a stale PENDING stream_down,
  // with a hook run, at every recovery. (Stale to up is the same connection: kept.)
  if (status.state == NodeState::up && info.state != NodeState::up &&
      info.state != NodeState::stale)
    info.streams.clear();
  if (status.state == NodeState::up && info.state != NodeState::up &&
      info.state != NodeState::stale)
    info.outage_began = info.left_up.value_or(info.since);
  if (info.state == NodeState::up && status.state != NodeState::up) info.left_up = status.at;
  // A declared node is `connecting` from no time: its first status, connecting too, starts
  // the clock ("connecting for 20794d" counted from 1970).
  if (info.state != status.state || info.since == TimePoint{}) info.since = status.at;
  info.ever_up = info.ever_up || status.state == NodeState::up;
  info.state = status.state;
  info.detail = redact_secrets(status.detail);
  if (status.utc_offset) info.utc_offset = status.utc_offset;
}

void Store::set_node_clock(const std::string &node, TimePoint node_clock, TimePoint arrived) {
  const Duration skew = std::chrono::duration_cast<std::chrono::seconds>(node_clock - arrived);
  const auto agree = [](Duration a, Duration b) {
    return a - b <= kClockSkewTolerance && b - a <= kClockSkewTolerance;
  };
  NodeInfo &info = node_mut(node);
  if (info.clock_read && agree(skew, info.clock_skew.value_or(Duration::zero()))) {
    info.clock_skew_unconfirmed.reset(); // a late reading between two good ones
    return;
  }
  // One reading's arrival time may be late by however long it waited to be read (65 s of
  // Ctrl-Z read as a clock 10..54 s behind, and shifted every line's time by that until the
  // next reading): a new skew is taken once two readings in a row say it.
  const bool confirmed = info.clock_skew_unconfirmed && agree(skew, *info.clock_skew_unconfirmed);
  if (info.clock_read && !confirmed) {
    info.clock_skew_unconfirmed = skew;
    return;
  }
  info.clock_read = true;
  info.clock_skew_unconfirmed.reset();
  if (agree(skew, Duration::zero()))
    info.clock_skew.reset(); // in step
  else
    info.clock_skew = skew;
}

void Store::our_clock_stepped(Duration step) {
  for (auto &[key, series] : series_) series.shift(step);
  if (resumed_at_) *resumed_at_ += step;
  for (auto &[node, ring] : logs_) ring.for_each_held([step](LogLine &l) { l.time += step; });
  for (auto &[node, ring] : events_)
    ring.for_each_held([step](LogEvent &e) {
      e.time += step;
      if (e.arrived != TimePoint::max()) e.arrived += step;
    });
  for (auto &[name, info] : nodes_) {
    info.since += step;
    if (info.outage_began) *info.outage_began += step;
    if (info.left_up) *info.left_up += step;
    if (info.read_back) {
      info.read_back->dated += step;
      info.read_back->arrived += step;
    }
    if (info.last_data) *info.last_data += step;
    for (auto &[stream, status] : info.streams) status.at += step;
    info.clock_skew_unconfirmed.reset();
    if (!info.clock_read) continue; // its first reading is made against the new clock
    const Duration skew = info.clock_skew.value_or(Duration::zero()) - step;
    if (std::chrono::abs(skew) <= kClockSkewTolerance)
      info.clock_skew.reset();
    else
      info.clock_skew = skew;
  }
}

Series *Store::series_mut(const SeriesKey &key) {
  NodeInfo &info = node_mut(key.node);
  auto it = series_.find(key);
  if (it == series_.end()) {
    // A metric named by a node's output that reads as a credential would be written, by its
    // name, in every long CSV row: dropped and counted, as past the series bound.
    if (info.series >= limits_.series_per_node || reads_as_credential(key.metric)) {
      ++info.dropped_samples;
      return nullptr;
    }
    it = series_.emplace(key, Series(limits_.points_per_series)).first;
    ++info.series;
  }
  return &it->second;
}

void Store::add(const Sample &sample) {
  if (Series *s = series_mut(SeriesKey{sample.node, sample.metric, sample.device}))
    s->push(Point{sample.time, sample.value});
}

void Store::add_log_line(const std::string &node, const std::string &stream, TimePoint t,
                         std::string_view text) {
  add_log_line(node_log(node), stream, t, text);
}

Store::NodeLog Store::node_log(const std::string &node) {
  auto &info = node_mut(node);
  auto it = logs_.find(node);
  if (it == logs_.end())
    it = logs_.emplace(node, RingBuffer<LogLine>(limits_.log_lines_per_node)).first;
  return NodeLog{&info, &it->second};
}

void Store::add_log_line(NodeLog log, const std::string &stream, TimePoint t,
                         std::string_view text) {
  ++log.info->lines;
  if (!log.info->last_data || *log.info->last_data < t) log.info->last_data = t;
  LogLine &slot = log.ring->push_slot();
  slot.time = t;
  if (!same_text(slot.stream, stream)) slot.stream.assign(stream); // mostly the same stream
  slot.text.assign(text);
}

void Store::add_event(const LogEvent &event) {
  node_mut(event.node);
  auto it = events_.find(event.node);
  if (it == events_.end())
    it = events_.emplace(event.node, RingBuffer<LogEvent>(limits_.events_per_node)).first;
  it->second.push(event);
}

void Store::count_lines(const std::string &node, std::uint64_t n, TimePoint t) {
  auto &info = node_mut(node);
  info.lines += n;
  if (!info.last_data || *info.last_data < t) info.last_data = t;
}

void Store::count_skipped(const std::string &node, std::uint64_t n) {
  node_mut(node).skipped_lines += n;
}

const NodeInfo *Store::node(const std::string &name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Series *Store::series(const SeriesKey &key) const {
  auto it = series_.find(key);
  return it == series_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, const Series *>>
Store::devices(const std::string &node, const std::string &metric) const {
  std::vector<std::pair<std::string, const Series *>> out;
  for (auto it = series_.lower_bound(SeriesKey{node, metric, ""});
       it != series_.end() && it->first.node == node && it->first.metric == metric; ++it)
    out.emplace_back(it->first.device, &it->second);
  return out;
}

const Point *point_at(const Series *s, TimePoint at) {
  for (std::size_t i = s == nullptr ? 0 : s->size(); i > 0; --i)
    if ((*s)[i - 1].time <= at) return &(*s)[i - 1];
  return nullptr;
}

double sampled_state(const Series *s, TimePoint at) {
  const Point *p = point_at(s, at);
  return p != nullptr && p->time >= at - kSampleMaxAge ? p->value : kUnknown;
}

double sampled_state(const Store &s, const std::string &node, const std::string &metric,
                     TimePoint at) {
  return sampled_state(s.series({node, metric, ""}), at);
}

namespace {

template <typename Fold>
double fold_sampled_devices(const Store &s, const std::string &node, const std::string &metric,
                            TimePoint at, Fold fold) {
  double out = kUnknown;
  for (const auto &[device, series] : s.devices(node, metric))
    if (const double v = sampled_state(series, at); is_known(v))
      out = is_known(out) ? fold(out, v) : v;
  return out;
}

} // namespace

double sampled_device_sum(const Store &s, const std::string &node, const std::string &metric,
                          TimePoint at) {
  return fold_sampled_devices(s, node, metric, at, [](double a, double b) { return a + b; });
}

double sampled_device_max(const Store &s, const std::string &node, const std::string &metric,
                          TimePoint at) {
  return fold_sampled_devices(s, node, metric, at,
                              [](double a, double b) { return std::max(a, b); });
}

double generation_rate(const Store &s, const std::string &node, TimePoint at) {
  const double own = sampled_state(s, node, "gen.tokens_per_s", at);
  if (is_known(own)) return own;
  // Back up within the window after an outage (down, or stale: a frozen sshd), its steps
  // include those read back at once, stamped together where the line has no time (exo's
  // [STEP N], at the line before them or the outage's start): 30 steps in a second read as
  // 17 times the node's rate for 10 s.
  if (const NodeInfo *info = s.node(node); info != nullptr && info->state == NodeState::up &&
                                           info->left_up && info->since > at - kStepRateWindow)
    return kUnknown;
  if (const auto resumed = s.resumed_at();
      resumed && *resumed <= at && *resumed > at - kStepRateWindow)
    return kUnknown;
  const Series *steps = s.series({node, "step.eval_ms", ""});
  // Steps from the first to the last time in the window, less those at the last time: steps
  // that share a time (a replayed log's bare [STEP N] lines take the stamp of the line before
  // them) came in the time to the next; counted, a log stepping 2 a second in groups of four
  // read 2.38/s. Steps each of a time of their own: (n - 1) over their span.
  std::size_t n = 0, at_last = 0;
  TimePoint first{}, last{};
  for (std::size_t i = steps == nullptr ? 0 : steps->size(); i > 0; --i) {
    const TimePoint t = (*steps)[i - 1].time;
    if (t > at) continue;
    if (t <= at - kStepRateWindow) break;
    if (n++ == 0) last = t;
    if (t == last) ++at_last;
    first = t;
  }
  if (n < 2 || last <= first) return kUnknown;
  // Steps that stopped (a crash, a hang, a request's end) read their full rate for the
  // window's 10 s, and more than it as the last few were left: past two of their intervals
  // without a step, the rate runs to `at`, and falls as the window empties.
  const double counted = static_cast<double>(n - at_last);
  const double span = to_seconds(last - first);
  const double interval = span / counted;
  const double to = to_seconds(at - last) > 2 * interval ? to_seconds(at - first) : span;
  return counted / to;
}

std::optional<Point> Store::latest_point(const SeriesKey &key) const {
  const auto *s = series(key);
  if (s == nullptr || s->empty()) return std::nullopt;
  return s->back();
}

double Store::latest(const SeriesKey &key) const {
  auto p = latest_point(key);
  return p ? p->value : kUnknown;
}

const RingBuffer<LogLine> *Store::log_lines(const std::string &node) const {
  auto it = logs_.find(node);
  return it == logs_.end() ? nullptr : &it->second;
}

const RingBuffer<LogEvent> *Store::events(const std::string &node) const {
  auto it = events_.find(node);
  return it == events_.end() ? nullptr : &it->second;
}

} // namespace clustertop
