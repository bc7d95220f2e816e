// Event detectors: crash signatures from tagged log lines, and node / stream health.
#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <map>
#include <string_view>
#include <vector>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/detect/detectors.hpp"

namespace clustertop {
namespace {

// Most telling first: a line carries the tags of every rule it matched ("libc++abi:
// terminating … [METAL] … OutOfMemory" is metal_error, oom, abort and crash), and its alert's
// subject is the most telling of them. The first in the line's order was always metal_error
// for every [METAL] line, so an out-of-memory, a GPU timeout and an abort after a restart
// were one alert, the later ones folded into the first for its `hold`. `exited` is last: a
// runner's routine exit (a warning) and its death by a signal (crash, critical) are two.
constexpr std::array<std::string_view, 14> kCrashTags = {
    "gpu_timeout", "cuda_oom",    "cuda_error",   "kernel_oom",
    "jetsam",      "oom",         "nccl_timeout", "encoder_assertion",
    "segfault",    "engine_dead", "metal_error",  "abort",
    "crash",       "exited"};

// The rank of a line's most telling crash tag in kCrashTags, or -1.
int crash_rank(const LogEvent &e) {
  for (std::size_t r = 0; r < kCrashTags.size(); ++r)
    for (const auto &t : e.tags)
      if (t == kCrashTags[r]) return static_cast<int>(r);
  return -1;
}

// One failure writes several lines: MLX's `libc++abi: terminating` (abort), its `[METAL] …
// OutOfMemory` (oom), then exo's `Runner terminated with signal=6` (crash). Crash lines of a
// node each within this long of the one before are one burst, whose alert takes the most
// telling tag of them all: they were three critical pages, the first titled "abort".
constexpr Duration kCrashBurst = std::chrono::seconds(5);

// For each event of `events` (by index), the rank of its burst's most telling tag (-1: not a
// crash line) and the time of its burst's first line.
void burst_ranks(const RingBuffer<LogEvent> &events, std::vector<int> &rank,
                 std::vector<TimePoint> &first, std::vector<std::size_t> &order) {
  rank.assign(events.size(), -1);
  first.assign(events.size(), TimePoint{});
  order.clear();
  for (std::size_t i = 0; i < events.size(); ++i)
    if ((rank[i] = crash_rank(events[i])) >= 0) order.push_back(i);
  // By time: a line read back after a reconnect arrives after newer ones.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return events[a].time < events[b].time; });
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    int best = rank[order[start]];
    while (end < order.size() &&
           events[order[end]].time - events[order[end - 1]].time <= kCrashBurst)
      best = std::min(best, rank[order[end++]]);
    for (std::size_t k = start; k < end; ++k) {
      rank[order[k]] = best;
      first[order[k]] = events[order[start]].time;
    }
    start = end;
  }
}

// Remote text quoted in a message: credentials redacted (before the cut, so a cut never
// leaves half a key and its whole value), then cut. Every output of an alert (headless text
// and JSON, hooks, CSV, the dashboard) carries the message made here.
std::string quote_remote(const std::string &line, std::size_t max = 240) {
  // Only what is quoted is redacted, with room for a secret across the cut.
  return cut_redacted(redact_secrets(std::string_view(line).substr(0, max + 1024)), max);
}

} // namespace

bool is_crash_event(const LogEvent &e) { return crash_rank(e) >= 0; }

void detect_crashes(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                    std::vector<Finding> &out) {
  std::vector<std::size_t> counted; // event indices
  std::vector<int> rank;
  std::vector<TimePoint> burst_first;
  std::vector<std::size_t> order;
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    const auto *events = view.node_events(n);
    if (events == nullptr) continue;
    const std::string &node = view.node_name(n);
    struct Hit {
      const LogEvent *newest = nullptr;
      const LogEvent *telling = nullptr;    // the newest line with the tag of its own: quoted
      TimePoint burst{};                    // the first line of the newest line's burst
      Severity severity = Severity::info;   // the worst of its lines that count
      std::vector<TimePoint> times;         // of its lines that count (within `hold`, or standing)
      TimePoint episode = TimePoint::max(); // its first line since the node's last progress
    };
    std::map<std::string_view, Hit> hits; // by its bursts' tag
    // A crash older than `hold` still stands while the node it stopped has made no
    // progress since: a vLLM whose engine died at a CUDA OOM resolved after 5 minutes, dead.
    // Asked of the stall check only when such a line is met (rarely).
    std::optional<std::optional<TimePoint>> dead_since;
    const auto still_dead = [&](const LogEvent &e) {
      if (!dead_since) dead_since = crashed_stall_since(view, rules, n, now, tmp);
      return dead_since->has_value() && e.time >= **dead_since;
    };
    // The lines that count, newest first; their bursts are looked at only when there are some.
    counted.clear();
    for (std::size_t i = events->size(); i > 0; --i) {
      const LogEvent &e = (*events)[i - 1];
      // Not `break`: events are in arrival order, and a line read back after a reconnect
      // arrives after newer ones (the ring holds at most events_per_node).
      if (e.time < now - rules.crash.hold && !(is_crash_event(e) && still_dead(e))) continue;
      // Not yet, at this replay time; but a line that has arrived counts even if the node's
      // clock, running ahead of ours, stamped it later than now.
      if (e.time > now && e.arrived > now) continue;
      if (is_crash_event(e)) counted.push_back(i - 1);
    }
    if (counted.empty()) continue;
    burst_ranks(*events, rank, burst_first, order);
    for (const std::size_t i : counted) {
      const LogEvent &e = (*events)[i];
      const auto tag = kCrashTags[static_cast<std::size_t>(rank[i])];
      auto &h = hits[tag];
      // The newest by its time, of those that arrived last where times tie: a line read back
      // late (a log's tail restarted) was taken for the newest and quoted as the crash.
      if (h.newest == nullptr || e.time > h.newest->time) {
        h.newest = &e;
        h.burst = burst_first[i];
      }
      if (crash_rank(e) == rank[i] && (h.telling == nullptr || e.time > h.telling->time))
        h.telling = &e;
      h.severity = std::max(h.severity, e.severity);
      h.times.push_back(e.time);
    }
    // A crash after the node generated again since the one before (a runner that restarted
    // and crashed anew) is another episode: its own FIRING, hook and --exit-on, where it was
    // folded into the first for as long as crashes came within `hold`.
    // Its lines are those since that progress; the episode starts at the first of them in
    // the whole ring (not only within `hold`, whose edge would move it as lines age out).
    for (auto &[tag, h] : hits) {
      // Progress before its burst: the step a crash line shares its stamp with is no progress
      // since the burst began.
      const auto progress = last_progress_before(view, rules, n, h.burst, tmp);
      if (progress) std::erase_if(h.times, [&](TimePoint t) { return t <= *progress; });
      for (std::size_t i = 0; i < events->size(); ++i) {
        const LogEvent &e = (*events)[i];
        if (rank[i] >= 0 && kCrashTags[static_cast<std::size_t>(rank[i])] == tag &&
            e.time <= h.newest->time && (!progress || e.time > *progress))
          h.episode = std::min(h.episode, e.time);
      }
    }
    for (const auto &[tag, h] : hits) {
      const auto sev = h.severity == Severity::critical ? Severity::critical : Severity::warning;
      const bool held = h.newest->time >= now - rules.crash.hold;
      const LogEvent &quoted = h.telling != nullptr ? *h.telling : *h.newest;
      Finding f{"crash",
                node,
                std::string(tag),
                sev,
                static_cast<double>(h.times.size()),
                1,
                fmt::format("crash signature ({}) in {} at {}{}: {}", tag, quoted.stream,
                            iso8601_utc(quoted.time), held ? "" : "; no progress since",
                            quote_remote(quoted.line))};
      if (h.episode != TimePoint::max()) f.episode = h.episode.time_since_epoch().count();
      out.push_back(std::move(f));
    }
  }
}

namespace {

// A stream's name as its alert shows it: redacted, and numbered where another stream of the
// node reads the same once redacted. The subject keys the alert, so two logs that differ only
// after a `password=` were one alert, the second's outage hidden behind the first's. The
// number is the stream's place among those (the streams are ordered by their raw names).
std::string shown_stream(const std::map<std::string, NodeStatus> &streams,
                         const std::string &stream) {
  std::string shown = redact_secrets(stream);
  if (shown == stream) return shown;
  std::size_t place = 0, alike = 0;
  for (const auto &[other, info] : streams) {
    if (other != stream && redact_secrets(other) != shown) continue;
    ++alike;
    if (other == stream) place = alike;
  }
  if (alike > 1) shown += fmt::format(" ({} of {})", place, alike);
  return shown;
}

} // namespace

void detect_nodes(const DetectView &view, TimePoint now, std::vector<Finding> &out) {
  for (std::size_t i = 0; i < view.node_count(); ++i) {
    const NodeInfo *n = view.node_info(i);
    if (n == nullptr) continue;
    const std::string &name = view.node_name(i);
    const double since = to_seconds(now - n->since);
    if (n->state == NodeState::down) {
      out.push_back(Finding{"node_down", name, "", Severity::critical, since, 0,
                            fmt::format("node unreachable for {:.0f} s: {}", since,
                                        n->detail.empty() ? "no reason given" : n->detail)});
      continue; // its streams are down with it
    }
    if (n->state == NodeState::stale)
      out.push_back(Finding{"node_stale", name, "", Severity::warning, since, 0,
                            fmt::format("no data from the node for a while: {}",
                                        n->detail.empty() ? "no reason given" : n->detail)});
    for (const auto &[stream, st] : n->streams)
      if (st.state == NodeState::down) {
        // A log's path is the user's to choose and may carry a secret (`.../TOKEN=...`): the
        // alert's subject and message show it as every quoted text is shown.
        const std::string shown = shown_stream(n->streams, stream);
        out.push_back(Finding{"stream_down", name, shown, Severity::warning,
                              to_seconds(now - st.at), 0,
                              fmt::format("collector stream {} is down: {}", shown,
                                          st.detail.empty() ? "no reason given" : st.detail)});
      }
  }
}

namespace {

void run_all(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
             std::vector<Finding> &out) {
  detect_fence_wait(view, rules, now, tmp, out);
  detect_stalls(view, rules, now, tmp, out);
  detect_overhead(view, rules, now, tmp, out);
  detect_throughput(view, rules, now, tmp, out);
  detect_memory(view, rules, now, tmp, out);
  detect_crashes(view, rules, now, tmp, out);
  detect_nodes(view, now, out);
}

} // namespace

std::vector<Finding> run_detectors(const DetectView &view, const Rules &rules, TimePoint now) {
  std::vector<Finding> out;
  DetectScratch tmp;
  run_all(view, rules, now, tmp, out);
  return out;
}

void DetectEngine::run(const Rules &rules, TimePoint now, std::vector<Finding> &out) {
  view_.refresh();
  scratch_.figures.resize(view_.node_count()); // nodes are only ever appended: numbers stay
  run_all(view_, rules, now, scratch_, out);
}

} // namespace clustertop
