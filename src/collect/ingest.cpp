// Ingest: LineBatch -> Samples, log lines and LogEvents in the Store. Keeps one parser per
// (node, stream, definition); a log line is offered to every log definition and what they
// find is merged into one record.
#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/ingest_stats.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

// A Store series this stream has written to, found without a map lookup next time.
struct SeriesSlot {
  std::string metric;
  std::string device;
  Series *series = nullptr;
};

// Bounds the slots per stream (a sampler of 8 GPUs writes ~160 series): a stream that
// invents metric names without end (hostile keys in a kv log) falls back to a Store lookup
// per sample instead of growing this.
constexpr std::size_t kMaxSeriesSlots = 256;

// A node-wide figure made of parts, each written by a line of its own (a vLLM data-parallel
// server's `Engine 000:` and `Engine 001:` lines): the parts' latest values, combined into
// the node's series. Written as they came, every engine's line overwrote the one before, so
// the node's tokens/s was one engine's and its running requests could read 0 while another
// engine generated.
struct CombinedMetric {
  // A part not heard from in this long is gone (a restarted server's engines are new ones).
  static constexpr Duration kPartMaxAge = std::chrono::seconds(60);
  static constexpr std::size_t kMaxParts = 1024; // a hostile log's endless engine numbers
  struct Part {
    std::string device;
    double value = kUnknown;
    TimePoint at{};
  };
  std::string name;
  Combine how = Combine::none;
  std::vector<Part> parts;

  // Takes one part's value at `t` and gives the node's.
  double add(const std::string &device, TimePoint t, double value) {
    std::erase_if(parts,
                  [&](const Part &p) { return p.device != device && p.at < t - kPartMaxAge; });
    auto it =
        std::find_if(parts.begin(), parts.end(), [&](const Part &p) { return p.device == device; });
    if (it == parts.end()) {
      if (parts.size() == kMaxParts)
        parts.erase(std::min_element(parts.begin(), parts.end(),
                                     [](const Part &a, const Part &b) { return a.at < b.at; }));
      it = parts.insert(parts.end(), Part{device});
    }
    it->value = value;
    it->at = t;
    double out = kUnknown;
    std::size_t known = 0;
    for (const auto &p : parts) {
      if (!is_known(p.value)) continue;
      out = known++ == 0 ? p.value : how == Combine::max ? std::max(out, p.value) : out + p.value;
    }
    return how == Combine::mean && known > 0 ? out / static_cast<double>(known) : out;
  }
};

struct StreamState {
  bool is_log = false;
  bool is_zone = false; // kZoneStream: `date +%z` lines
  bool known = false;
  ParserGroup parsers{{}};
  std::uint64_t parsed = 0;
  std::uint64_t skipped = 0;
  const Store *store = nullptr; // the Store the slots point into
  std::vector<SeriesSlot> slots;
  std::size_t hint = 0; // the slot expected for the next metric of a record
  // The series of the last record with a known layout, in its metrics' order: the next
  // record of that layout is written to them without a lookup.
  RecordLayout layout;
  std::vector<Series *> layout_series;
  Store::NodeLog log{};               // this stream's node's log in `store` (log streams)
  const NodeInfo *info = nullptr;     // this stream's node in `store`, once it has one
  std::chrono::minutes utc_offset{0}; // the parsers' (NodeInfo::utc_offset; 0: unknown)
  Duration skew{0};                   // NodeInfo::clock_skew (0: none or unknown)
  PrivateKeyLines private_key;        // log streams: a private key printed a line at a time
  // Log streams: how far behind its arrival the last stamped line was, and when it arrived;
  // `behind`, while the node's lines suddenly run that far behind (see Impl::log_time).
  std::optional<Duration> last_lag;
  TimePoint last_stamped_arrival{};
  std::optional<Duration> behind;
  TimePoint last_line_time{};           // log streams: the time its last line was given
  std::size_t key_marker = 0;           // its BEGIN marker, watched by `parsers`
  std::vector<CombinedMetric> combined; // its definitions' metrics with `combine`
};

// A `zone` stream line: "+0100 1764990000" (`date '+%z %s'`: the UTC offset and the node's
// clock), or "+0100" alone as recordings made before the clock was read have it.
struct ZoneLine {
  std::chrono::minutes offset;
  std::optional<TimePoint> clock;
};

std::optional<ZoneLine> parse_zone_line(std::string_view line) {
  line = trim(line);
  const auto space = line.find(' ');
  const auto offset = parse_utc_offset(line.substr(0, space));
  if (!offset) return std::nullopt;
  if (space == std::string_view::npos) return ZoneLine{*offset, std::nullopt};
  const std::string_view digits = trim(line.substr(space + 1));
  std::int64_t secs = 0;
  if (digits.empty() || digits.size() > 12) return std::nullopt; // up to the year 33658
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    secs = secs * 10 + (c - '0');
  }
  return ZoneLine{*offset, TimePoint{std::chrono::seconds{secs}}};
}

bool error_level(std::string_view level) {
  if (level.size() < 3 || level.size() > 8) return false; // the usual "" and "INFO" leave here
  return level == "ERROR" || level == "CRITICAL" || level == "FATAL" || level == "ERR" ||
         level == "error" || level == "critical" || level == "fatal";
}

} // namespace

struct Ingest::Impl {
  std::shared_ptr<const CollectorSet> set;
  std::map<std::pair<std::string, std::string>, StreamState> streams;
  RecordBuffer buf;
  Record merged;

  // The stream of the previous batch: a log replayed or tailed sends batch after batch of
  // one stream (a batch per timestamp, often a few lines), so the map is searched seldom.
  const std::pair<std::string, std::string> *last_key = nullptr;
  StreamState *last_state = nullptr;

  StreamState &state(const std::string &node, const std::string &stream) {
    if (last_key != nullptr && same_text(last_key->second, stream) &&
        same_text(last_key->first, node))
      return *last_state;
    auto [it, fresh] = streams.try_emplace({node, stream});
    last_key = &it->first;
    last_state = &it->second;
    StreamState &s = it->second;
    if (!fresh) return s;
    const std::string collector(stream_collector(stream));
    s.is_log = collector == kLogCollector;
    s.is_zone = stream == kZoneStream;
    s.parsers = make_parser_group(*set, collector);
    for (const auto *d : set->for_stream(collector))
      for (auto &[metric, how] : combined_metrics(*d))
        s.combined.push_back(CombinedMetric{std::move(metric), how, {}});
    if (s.is_log) s.key_marker = s.parsers.watch(PrivateKeyLines::kBeginMarker);
    s.known = !s.parsers.empty() || s.is_zone;
    return s;
  }

  // The series of one of this stream's metrics. Records of a stream list their metrics in
  // the same order, so the slot after the last one used is tried first.
  // nullptr: the node has all the series the Store keeps for one, and this is a new one
  // (its sample is dropped and counted there).
  static Series *series_for(StreamState &s, Store &store, const std::string &node,
                            const Metric &m) {
    if (s.hint < s.slots.size()) {
      const SeriesSlot &e = s.slots[s.hint];
      if (same_text(e.metric, m.name) && same_text(e.device, m.device)) {
        ++s.hint;
        return e.series;
      }
    }
    for (std::size_t i = 0; i < s.slots.size(); ++i) {
      const SeriesSlot &e = s.slots[i];
      if (same_text(e.metric, m.name) && same_text(e.device, m.device)) {
        s.hint = i + 1;
        return e.series;
      }
    }
    Series *series = store.series_mut(SeriesKey{node, m.name, m.device});
    if (series != nullptr && s.slots.size() < kMaxSeriesSlots) {
      s.slots.push_back(SeriesSlot{m.name, m.device, series});
      s.hint = s.slots.size();
    }
    return series;
  }

  // A record's time on this machine's clock: its own, less the node's measured skew, within
  // two bounds.
  // One that lands more than kMostAhead after the line arrived is its arrival time (no line
  // is written after it arrives; less than that is the skew's reading error). A line stamped
  // ahead (the minute after a daylight-saving change before the zone stream reads the new
  // offset, a clock stepped by NTP before its skew is measured again) put the node's last
  // progress in the future, and a hang right after it went unreported for as long as the
  // stamp was ahead.
  static constexpr Duration kMostAhead = std::chrono::seconds(2);
  // A sampler's line is read as it is written (no backfill): one stamped more than
  // kSamplerLate before it arrived is on a clock that is off, and a node without logs runs
  // no zone stream to measure it (macmon's samples from a clock 2 minutes behind were too old
  // for /metrics while the figures line showed them).
  static constexpr Duration kSamplerLate = std::chrono::seconds(10);
  static TimePoint record_time(const Record &r, const LineBatch &b, const StreamState &s) {
    if (!r.time) return b.received_at;
    const TimePoint t = *r.time - s.skew;
    if (t > b.received_at + kMostAhead) return b.received_at;
    return !s.is_log && t < b.received_at - kSamplerLate ? b.received_at : t;
  }

  // A log line's time (record_time), unless the node's lines suddenly run far behind their
  // arrival on a stream that was live and in step a moment ago: the minute after a
  // daylight-saving fall-back before the zone stream reads the new offset, or a clock stepped
  // back before its skew is measured again. Read as stamped, every generating node had "no
  // step for 3601 s" and a crash an hour back was too old to count. Such lines are placed
  // by that lag, at about their arrival, until the lag goes back. "A moment ago" is within
  // kLive; a stream that came up within kBackfilling (a reconnect's backfill: old lines,
  // rightly so) is left alone.
  static constexpr Duration kFarBehind = std::chrono::seconds(60);
  static constexpr Duration kLagSlack = std::chrono::seconds(5);
  static constexpr Duration kLive = std::chrono::seconds(30);
  static constexpr Duration kBackfilling = std::chrono::seconds(10);
  static TimePoint log_time(const Record &r, const LineBatch &b, StreamState &s) {
    const TimePoint t = record_time(r, b, s);
    if (!r.time) return t;
    const Duration lag = b.received_at - t;
    const auto near = [](Duration a, Duration z) { return std::chrono::abs(a - z) <= kLagSlack; };
    const bool was_in_step = s.last_lag && near(*s.last_lag, Duration::zero()) &&
                             b.received_at - s.last_stamped_arrival <= kLive;
    s.last_lag = lag;
    s.last_stamped_arrival = b.received_at;
    if (s.behind && near(lag, *s.behind)) return t + *s.behind;
    s.behind.reset();
    if (lag < kFarBehind || !was_in_step || s.info == nullptr) return t;
    const auto it = s.info->streams.find(b.stream);
    if (it == s.info->streams.end() || it->second.state != NodeState::up ||
        b.received_at - it->second.at < kBackfilling)
      return t;
    s.behind = lag;
    return t + lag;
  }

  // A read-back line without a time of its own (exo's bare `[STEP N]` lines, written while
  // the node was out of reach): it came after the line before it in the file, and after the
  // node's outage began, not at its arrival. Dated by its arrival, a reconnect made a runner
  // that had crashed during the outage look as if it stepped after its crash line, and a
  // false step_stall "restart the runner" followed.
  static TimePoint read_back_time(const LineBatch &b, const StreamState &s) {
    TimePoint t = s.last_line_time;
    if (s.info != nullptr && s.info->outage_began) t = std::max(t, *s.info->outage_began);
    return t == TimePoint{} ? b.received_at : std::min(t, b.received_at);
  }

  // The metric as the Store keeps it: a part of a combined metric (CombinedMetric) as the
  // node's value, in `whole`; any other as it is.
  Metric whole;
  const Metric &node_wide(StreamState &s, const Metric &m, TimePoint t) {
    if (m.device.empty() || s.combined.empty()) return m;
    for (auto &c : s.combined) {
      if (!same_text(c.name, m.name)) continue;
      whole.name.assign(m.name);
      whole.device.clear();
      whole.value = c.add(m.device, t, m.value);
      return whole;
    }
    return m;
  }

  void store_record(const LineBatch &b, StreamState &s, const Record &r, TimePoint t,
                    const std::string &line, Store &store, std::vector<LogEvent> &events) {
    if (r.layout.owner != nullptr && r.layout == s.layout &&
        r.metrics.size() == s.layout_series.size()) {
      for (std::size_t i = 0; i < r.metrics.size(); ++i)
        Store::add(*s.layout_series[i], t, r.metrics[i].value);
    } else {
      // A record without a layout (an exo heartbeat between step lines) leaves the last
      // layout's series in place for the records after it.
      bool known = r.layout.owner != nullptr;
      if (known) {
        s.layout = r.layout;
        s.layout_series.clear();
      }
      s.hint = 0;
      for (const auto &part : r.metrics) {
        const Metric &m = node_wide(s, part, t);
        Series *series = series_for(s, store, b.node, m);
        // Dropped, or a part written as its node's value: no layout to write the next record
        // by (a combined value is not the record's own).
        if (series == nullptr || &m != &part) {
          known = false;
          s.layout = {};
          s.layout_series.clear();
        }
        if (series == nullptr) continue;
        Store::add(*series, t, m.value);
        if (known) s.layout_series.push_back(series);
      }
    }
    // Only tagged lines are events: an untagged ERROR line was one too, which nothing reads,
    // and a loop of them (a failing health check, a request error each request) pushed the
    // crash it followed out of the node's 500 events, and its alert with it.
    if (r.tags.empty()) return;
    Severity sev = r.severity;
    if (sev == Severity::info && error_level(r.level)) sev = Severity::warning;
    LogEvent e{b.node, b.stream, t, r.level, r.tags, sev, line, b.received_at};
    store.add_event(e);
    events.push_back(std::move(e));
  }

  // Merges every record the parsers made for one log line.
  void merge_into(Record &out) {
    out.metrics.clear();
    out.tags.clear();
    out.level.clear();
    out.time.reset();
    out.severity = Severity::info;
    out.layout = {}; // a merge lists no one parser's metrics
    for (std::size_t i = 0; i < buf.size(); ++i) {
      const Record &r = buf[i];
      out.metrics.insert(out.metrics.end(), r.metrics.begin(), r.metrics.end());
      for (const auto &t : r.tags)
        if (std::find(out.tags.begin(), out.tags.end(), t) == out.tags.end()) out.tags.push_back(t);
      if (out.level.empty()) out.level = r.level;
      if (!out.time) out.time = r.time;
      out.severity = std::max(out.severity, r.severity);
    }
  }

  void log_line(const LineBatch &b, StreamState &s, const std::string &raw, bool read_back,
                Store &store, std::vector<LogEvent> &events) {
    // A private key's body printed to the log enters the node's log, and any event, as
    // "[redacted]": its lines alone are plain base64, which no later redaction can tell.
    // The parsers still read the line itself: a line that ended with a BEGIN marker hid up
    // to 200 lines, and the abort and the kernel's OOM kill among them raised no alert. A
    // key's body yields no record; a crash line's event keeps the hidden text.
    const bool check = !s.private_key.idle() || s.parsers.has(raw, s.key_marker);
    auto hidden = check ? s.private_key.redact(raw) : std::nullopt;
    buf.clear();
    // Parsers date a time of day by the arrival time, which is on the node's clock there.
    s.parsers.feed(raw, b.received_at + s.skew, buf);
    // One record (the usual case): merging would only copy it, metric names and all.
    const bool single = buf.size() == 1 && buf[0].tags.size() <= 1;
    if (!single) merge_into(merged);
    const Record &rec = single ? buf[0] : merged;
    // A hidden line the collectors tagged says which tags, so that it is told from the key's
    // body: the node view marked every "[redacted]" line of the block as the crash.
    if (hidden && *hidden == kRedacted && !rec.tags.empty())
      hidden = fmt::format("{} ({})", kRedacted, fmt::join(rec.tags, ", "));
    const std::string &line = hidden ? *hidden : raw;
    const TimePoint t = read_back && !rec.time ? read_back_time(b, s) : log_time(rec, b, s);
    // Said once a time (not again for each line it dates): a hang's "last step" is then
    // this lower bound, and says so.
    if (read_back && !rec.time && t < b.received_at) {
      const NodeInfo::ReadBack dating{t, b.received_at};
      if (s.info == nullptr || s.info->read_back != dating) store.note_read_back(b.node, dating);
    }
    s.last_line_time = t;
    Store::add_log_line(s.log, b.stream, t, line);
    ++s.parsed;
    if (buf.size() > 0) store_record(b, s, rec, t, line, store, events);
  }

  void sampler_line(const LineBatch &b, StreamState &s, const std::string &line, Store &store,
                    std::vector<LogEvent> &events) {
    buf.clear();
    if (!s.known || !s.parsers.feed(line, b.received_at + s.skew, buf)) {
      ++s.skipped;
      store.count_skipped(b.node);
    } else {
      ++s.parsed;
    }
    for (std::size_t i = 0; i < buf.size(); ++i)
      store_record(b, s, buf[i], record_time(buf[i], b, s), line, store, events);
  }
};

Ingest::Ingest(std::shared_ptr<const CollectorSet> set) : impl_(std::make_unique<Impl>()) {
  impl_->set = std::move(set);
}
Ingest::~Ingest() = default;

void Ingest::on_batch(const LineBatch &batch, Store &store, std::vector<LogEvent> &new_events) {
  StreamState &s = impl_->state(batch.node, batch.stream);
  if (s.store != &store) { // the handles point into the Store the stream wrote to before
    s.slots.clear();
    s.hint = 0;
    s.layout = {};
    s.layout_series.clear();
    s.store = &store;
    s.log = s.is_log ? store.node_log(batch.node) : Store::NodeLog{};
    s.info = nullptr;
  }
  // Times without a zone are the node's local time: its offset comes with its `up` status
  // (a reconnect may bring another, after a change of daylight saving time). Its logs may
  // be written in another zone, which its config then names.
  if (s.info == nullptr) s.info = store.node(batch.node);
  std::chrono::minutes offset{0};
  if (s.info != nullptr)
    offset = s.is_log && s.info->log_zone ? *s.info->log_zone
                                          : s.info->utc_offset.value_or(std::chrono::minutes{0});
  if (offset != s.utc_offset) {
    s.utc_offset = offset;
    s.parsers.set_utc_offset(offset);
  }
  s.skew = s.info != nullptr ? s.info->clock_skew.value_or(Duration::zero()) : Duration::zero();
  if (s.is_zone) {
    for (const auto &line : batch.lines) {
      const auto zone = parse_zone_line(line);
      if (zone) {
        store.set_utc_offset(batch.node, zone->offset);
        if (zone->clock) store.set_node_clock(batch.node, *zone->clock, batch.received_at);
        ++s.parsed;
      } else {
        ++s.skipped;
        store.count_skipped(batch.node);
      }
    }
  } else if (s.is_log) {
    const std::size_t back = std::min(batch.backfilled, batch.lines.size());
    for (std::size_t i = 0; i < back; ++i)
      impl_->log_line(batch, s, batch.lines[i], true, store, new_events);
    for (std::size_t i = back; i < batch.lines.size(); ++i)
      impl_->log_line(batch, s, batch.lines[i], false, store, new_events);
  } else {
    for (const auto &line : batch.lines) impl_->sampler_line(batch, s, line, store, new_events);
  }
  // Log lines are counted as they enter the node's log; the rest here: a node that only
  // samples shows its liveness too (NodeInfo::lines, last_data).
  if (!s.is_log && !batch.lines.empty())
    store.count_lines(batch.node, batch.lines.size(), batch.received_at);
}

std::vector<StreamCount> Ingest::counts() const {
  std::vector<StreamCount> out;
  for (const auto &[key, s] : impl_->streams)
    out.push_back(StreamCount{key.first, key.second, s.parsed, s.skipped, s.known});
  return out;
}

} // namespace clustertop
