// Store: what clustertop remembers, in fixed memory. A ring buffer per series
// (node, metric, device), the recent log lines per stream, recent log events, and the node
// table. Owned and touched only by the main thread; detectors and sinks read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/model.hpp"
#include "clustertop/core/ring_buffer.hpp"

namespace clustertop {

struct SeriesKey {
  std::string node;
  std::string metric;
  std::string device;
  auto operator<=>(const SeriesKey &) const = default;
};

struct Point {
  TimePoint time;
  double value = kUnknown;
};

// A metric's points, oldest first: a ring that also knows whether the points it holds are
// in time order. Detectors search a series in order with a few probes near the last
// answer and must fall back to plain scans otherwise (a clock that jumped back); checking
// each point once as it is pushed, against the one before it (still in cache), is cheaper
// than having every reader scan the new points for it.
class Series : private RingBuffer<Point> {
public:
  using RingBuffer::RingBuffer;
  using RingBuffer::View;
  using RingBuffer::operator[];
  using RingBuffer::at;
  using RingBuffer::back;
  using RingBuffer::capacity;
  using RingBuffer::empty;
  using RingBuffer::pushed;
  using RingBuffer::size;
  using RingBuffer::view;

  void push(Point p) {
    if (!empty() && p.time < back().time) last_break_ = pushed(); // p's push number
    RingBuffer::push(p);
  }
  using RingBuffer::clear;
  // Every point's time moved by `step` (its order is kept).
  void shift(Duration step) {
    for_each_held([step](Point &p) { p.time += step; });
  }
  // Whether every point held is at or after the one before it: the newest point older
  // than its predecessor has left the ring (or there is none).
  [[nodiscard]] bool in_time_order() const { return last_break_ <= pushed() - size(); }

private:
  std::uint64_t last_break_ = 0; // push number of the newest point older than the one before
};

// A sampled value (GPU power, memory) older than this is no longer the node's state: /metrics
// leaves it out, CSV wide rows leave their cell empty and the dashboard shows "–" (a node that
// went down kept showing, and exporting, its last memory figures as current).
inline constexpr Duration kSampleMaxAge = std::chrono::seconds(60);
// The newest point of `s` at or before `at` (null: none).
const Point *point_at(const Series *s, TimePoint at);
// Such a state as of `at`: the newest value at or before it, NaN once older than
// kSampleMaxAge (or when there is none).
double sampled_state(const Series *s, TimePoint at);

class Store;
// The same for a node-wide metric (device "") of `node`.
double sampled_state(const Store &s, const std::string &node, const std::string &metric,
                     TimePoint at);
// Over every device of a node's metric (a node's GPUs), each as sampled_state reads it at `at`:
// the sum, or the largest, of those known; NaN where none is. (The CSV's wide GPU power is
// no sum of the known: one GPU unknown leaves it empty.)
double sampled_device_sum(const Store &s, const std::string &node, const std::string &metric,
                          TimePoint at);
double sampled_device_max(const Store &s, const std::string &node, const std::string &metric,
                          TimePoint at);
// A node's generation rate as of `at`, tokens a second: its engine's own (gen.tokens_per_s,
// as sampled_state reads it), else, for logs that print a line per decode step and no rate
// (exo's [STEP N]), its steps a second over the kStepRateWindow before `at` (a step decodes
// a token of the request); NaN when neither. The dashboard, the figures lines and CSV showed
// no throughput at all for exo clusters. Unknown for the window after the node is back from
// an outage, or this process from a stop, whose steps read back arrive at once.
inline constexpr Duration kStepRateWindow = std::chrono::seconds(10);
double generation_rate(const Store &s, const std::string &node, TimePoint at);

struct LogLine {
  TimePoint time;
  std::string stream;
  std::string text;
};

// What the store knows about one node beyond its series.
struct NodeInfo {
  std::string name;
  NodeState state = NodeState::connecting;
  std::string detail;
  TimePoint since; // when state last changed
  // When the node last stopped being up (down, or not yet connected) before its current
  // `up`: the outage a reconnect ended. None before its first `up`.
  std::optional<TimePoint> outage_began;
  // When it last stopped being up (stale, down or connecting), whatever that turned into: an
  // outage's start. A frozen sshd makes a node stale, then down 20 s later; `since` is then
  // the down's time, and a node generating at the freeze read as stalled before its outage.
  // (outage_began is this time as of the node's current `up`, or at its first `up` when it
  // began connecting; a return from stale, the same connection, leaves it.)
  std::optional<TimePoint> left_up;
  // Lines read back at a reconnect that had no time of their own were dated `dated`, the
  // outage's start or the line before (Ingest's read_back_time): a lower bound. They were
  // written by `arrived`, their arrival. The last such (Store::note_read_back).
  struct ReadBack {
    TimePoint dated, arrived;
    bool operator==(const ReadBack &) const = default;
  };
  std::optional<ReadBack> read_back;
  bool ever_up = false; // connected at some time: `connecting` after that is a watch's gap
  std::map<std::string, NodeStatus> streams; // per-stream status, of the node's connection
  std::optional<TimePoint> last_data;        // last line from any stream
  std::uint64_t lines = 0;                   // lines received
  std::uint64_t skipped_lines = 0;           // lines no parser could use
  std::size_t series = 0;                    // series of this node's in the store
  // Samples of a new metric dropped because the node had StoreLimits::series_per_node
  // series already (a log that writes ever new keys: request ids in a step line).
  std::uint64_t dropped_samples = 0;
  // Minutes the node's clock is ahead of UTC, as its last `up` told (NodeStatus::utc_offset).
  std::optional<std::chrono::minutes> utc_offset;
  // The zone its logs write their times in, where config says it is not utc_offset
  // ([[node]] log_zone: a container logging UTC on a host elsewhere).
  std::optional<std::chrono::minutes> log_zone;
  // How far the node's clock runs ahead of this machine's (behind: negative), in whole
  // seconds, as its `zone` stream last told; unset while within kClockSkewTolerance. Ingest
  // takes it out of every time the node's lines carry, so that its lines are placed on this
  // machine's clock, which every detector window is measured on.
  std::optional<Duration> clock_skew;
  // Whether a `zone` reading of the clock has arrived (the first is taken as it is), and a
  // reading that would move clock_skew, held until the next reading confirms it
  // (Store::set_node_clock).
  bool clock_read = false;
  std::optional<Duration> clock_skew_unconfirmed;
};

// The `zone` stream's `date +%s` is read to the second and crosses the ssh hop before it is
// compared with this machine's clock: a difference up to this is the reading's own error.
inline constexpr Duration kClockSkewTolerance = std::chrono::seconds(2);

struct StoreLimits {
  std::size_t points_per_series = 3600; // 1 h at 1 Hz
  std::size_t log_lines_per_node = 2000;
  std::size_t events_per_node = 500;
  // 8 GPUs' nvidia-smi series (~80), a Mac's macmon and memory (~40) and every log format's
  // metrics fit many times over; a series costs points_per_series points (58 KB), so this
  // bounds a node at ~30 MB whatever its logs write.
  std::size_t series_per_node = 512;
};

class Store {
public:
  explicit Store(StoreLimits limits = {}) : limits_(limits) {}

  // Nodes appear in the order they are first declared or seen.
  void declare_node(const std::string &node);
  void apply(const NodeStatus &status);
  void add(const Sample &sample);
  // The write side's handle on one series: made (and its node declared) if new. std::map
  // keeps the pointer valid for the Store's life, so a writer that adds many points
  // (Ingest) looks a series up once and then adds through add(Series &, ...), copying no
  // strings and searching no map. nullptr for a new series of a node that has
  // StoreLimits::series_per_node already: its sample is dropped and counted
  // (NodeInfo::dropped_samples), so the store stays in fixed memory.
  Series *series_mut(const SeriesKey &key);
  static void add(Series &series, TimePoint t, double value) { series.push(Point{t, value}); }
  // The text is copied into the ring's oldest slot, reusing that slot's storage.
  void add_log_line(const std::string &node, const std::string &stream, TimePoint t,
                    std::string_view text);
  // The write side's handle on one node's log: like series_mut, found once for a batch of
  // lines instead of two map searches a line. Valid for the Store's life.
  struct NodeLog {
    NodeInfo *info;
    RingBuffer<LogLine> *ring;
  };
  NodeLog node_log(const std::string &node);
  // The zone the node's logs write in (NodeInfo::log_zone), as its config says.
  void set_log_zone(const std::string &node, std::chrono::minutes offset) {
    node_mut(node).log_zone = offset;
  }
  // The node's offset from UTC (NodeInfo::utc_offset), as its `zone` stream reports it.
  void set_utc_offset(const std::string &node, std::chrono::minutes offset) {
    node_mut(node).utc_offset = offset;
  }
  // The node's clock as its `zone` stream reads it (`date +%s`: `node_clock`) when it arrived
  // at `arrived` on this machine's: NodeInfo::clock_skew. A reading within
  // kClockSkewTolerance of the skew kept leaves it unchanged, so that the times of a node's
  // lines do not move by a second at every reading. A reading that would move it moves it
  // only when the next reading agrees (the first reading is taken as it is): a reading that
  // waited in a pipe or socket (clustertop stopped by Ctrl-Z, a backlog) arrives late and
  // reads as a clock behind, and the next one, written after it, does not wait as long.
  void set_node_clock(const std::string &node, TimePoint node_clock, TimePoint arrived);
  // This machine's clock was stepped by `step` (WallClockWatch): every node's clock is that
  // much further behind it, known at once, where the next two `zone` readings took up to two
  // minutes to say so (a reading waiting for confirmation was made against the old clock and
  // is dropped); and every time held moves with it (points, log lines, events, a node's
  // state changes and last data), so that what was read before the step and what is read
  // after are on one clock. Left where they were read, a step back put a node's last step
  // and a crash line 5 minutes ahead: a hang went unreported and a firing crash resolved.
  void our_clock_stepped(Duration step);
  // This process was stopped (Ctrl-Z, SIGSTOP) or starved until `at`: what the nodes wrote
  // meanwhile arrives at once, and steps stamped by their arrival (exo's [STEP N]) make no
  // rate for the kStepRateWindow after it (14.4 steps a second, then 6.3, for a log writing 2).
  void we_were_stopped(TimePoint at) { resumed_at_ = at; }
  [[nodiscard]] std::optional<TimePoint> resumed_at() const { return resumed_at_; }
  static void add_log_line(NodeLog log, const std::string &stream, TimePoint t,
                           std::string_view text);
  void add_event(const LogEvent &event);
  void count_skipped(const std::string &node, std::uint64_t n = 1);
  // NodeInfo::read_back.
  void note_read_back(const std::string &node, const NodeInfo::ReadBack &dating) {
    node_mut(node).read_back = dating;
  }
  // Lines of a stream that keeps no log (a sampler's), arrived at `t`: counted in the node's
  // lines and last_data as log lines are by add_log_line.
  void count_lines(const std::string &node, std::uint64_t n, TimePoint t);

  [[nodiscard]] const std::vector<std::string> &nodes() const { return node_order_; }
  [[nodiscard]] const NodeInfo *node(const std::string &name) const;
  [[nodiscard]] const Series *series(const SeriesKey &key) const;
  // Every series of a node's metric (one per device), keyed by device.
  [[nodiscard]] std::vector<std::pair<std::string, const Series *>>
  devices(const std::string &node, const std::string &metric) const;
  // Latest value of a series, or NaN.
  [[nodiscard]] double latest(const SeriesKey &key) const;
  [[nodiscard]] std::optional<Point> latest_point(const SeriesKey &key) const;
  // Every series, in key order (for exports).
  [[nodiscard]] const std::map<SeriesKey, Series> &all_series() const { return series_; }
  [[nodiscard]] const RingBuffer<LogLine> *log_lines(const std::string &node) const;
  [[nodiscard]] const RingBuffer<LogEvent> *events(const std::string &node) const;
  [[nodiscard]] const StoreLimits &limits() const { return limits_; }

  // How many nodes, series and event rings the store holds. Nothing is ever removed, so
  // this changes exactly when one is added: a reader may keep pointers to them (a read-side
  // index such as DetectView) and re-index only when the shape differs.
  struct Shape {
    std::size_t nodes = 0;
    std::size_t series = 0;
    std::size_t event_rings = 0;
    bool operator==(const Shape &) const = default;
  };
  [[nodiscard]] Shape shape() const { return {node_order_.size(), series_.size(), events_.size()}; }

private:
  NodeInfo &node_mut(const std::string &name);

  StoreLimits limits_;
  std::vector<std::string> node_order_;
  std::map<std::string, NodeInfo> nodes_;
  std::map<SeriesKey, Series> series_;
  std::map<std::string, RingBuffer<LogLine>> logs_;
  std::map<std::string, RingBuffer<LogEvent>> events_;
  std::optional<TimePoint> resumed_at_; // we_were_stopped
};

} // namespace clustertop
