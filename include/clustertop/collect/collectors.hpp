// The collector API the rest of clustertop uses (implemented in src/collect/).
// Definitions live in collectors/*.json: what to run on a node, how to parse its output.
// This module turns LineBatches into Samples and LogEvents; it never touches sockets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/collect/ingest_stats.hpp"
#include "clustertop/collect/record.hpp"
#include "clustertop/core/result.hpp"
#include "clustertop/store/store.hpp"
#include "clustertop/transport/transport.hpp"

namespace clustertop {

struct CollectorDef; // defined in collect/definition.hpp

// Every loaded definition, by name. Immutable after load; safe to share read-only.
class CollectorSet {
public:
  // Loads the built-in directory (CLUSTERTOP_SOURCE_DIR/collectors or the install dir) and
  // then `extra_dirs`; a broken definition is an Error with file:line and a fix, an unknown
  // key a warning appended to `warnings`.
  static Result<std::shared_ptr<const CollectorSet>>
  load(const std::vector<std::string> &extra_dirs, std::vector<std::string> &warnings);

  [[nodiscard]] const CollectorDef *find(const std::string &name) const;
  [[nodiscard]] std::vector<const CollectorDef *> all() const;

  // The definitions of one stream's collector: the one named `collector`, or with "log"
  // (kLogCollector) every log definition.
  [[nodiscard]] std::vector<const CollectorDef *> for_stream(std::string_view collector) const;

  // Implementation detail, public for the loader.
  std::map<std::string, std::shared_ptr<const CollectorDef>> defs;
};

// What plan_streams needs besides the platform.
struct StreamChoice {
  Duration interval = std::chrono::seconds(1);
  std::vector<std::string> log_paths; // each followed with tail -F
  std::vector<std::string> add;       // collectors forced on by config
  std::vector<std::string> remove;    // collectors forced off by config
  int backfill_lines = 0;             // tail -n N
};

// The stream that keeps the UTC offset and the clock of a node with logs current:
// `date '+%z %s'` once a minute (a change to or from daylight saving time while connected is
// followed within it), which Ingest hands to the Store (Store::set_utc_offset,
// Store::set_node_clock).
inline constexpr const char *kZoneStream = "zone";
// The zone stream's command: `date '+%z %s'` a minute apart (see plan_streams); where a
// FIFO cannot be made, or bash is older than 4 (macOS's 3.2, whose read timeouts on a FIFO
// were not tried here), it sleeps.
inline constexpr const char *kZoneCommand =
    "if command -v bash >/dev/null 2>&1; then exec bash -c 'if [ \"${BASH_VERSINFO[0]}\" -ge 4 ] "
    "&& f=$(mktemp -u) && mkfifo -m 600 "
    "\"$f\" 2>/dev/null && exec 3<>\"$f\"; then rm -f \"$f\"; while :; do date \"+%z %s\"; "
    "read -t 60 -u 3 _; done; else while :; do date \"+%z %s\"; sleep 60; done; fi'; else while "
    ":; do date '+%z %s'; sleep 60; done; fi";

// The collector part of every followed log's stream (`log:<path>`), and the name `parse
// --collector` takes for "every log definition".
inline constexpr const char *kLogCollector = "log";
// The collector a stream belongs to: its name up to the first ':' ("log:/var/log/x" is
// "log", "meminfo" itself).
inline std::string_view stream_collector(std::string_view stream) {
  return stream.substr(0, stream.find(':'));
}

// Stream names clustertop gives streams of its own: a definition of that name would be read
// as that stream (a `zone` sampler's lines as the node's clock), so the loader refuses them.
inline constexpr const char *kReservedCollectorNames[] = {kZoneStream, kLogCollector};

// One cheap shell command that tells the platform (uname, its UTC offset, which tools exist,
// memory size): the tools the shipped definitions need, and those `set`'s definitions name in
// `when.commands` (a user's collector needing a tool of its own never started otherwise).
std::string probe_command(const CollectorSet *set = nullptr);
Platform parse_probe(const std::string &output);

// The streams that fit this node. Every interpolated value shell-quoted.
std::vector<StreamSpec> plan_streams(const CollectorSet &set, const Platform &platform,
                                     const StreamChoice &choice);

// What `planned` (plan_streams' choice) lacks that the node needs, and why, in words for the
// node's status ("" when nothing): a Mac with no GPU sampler (no macmon, and powermetrics
// not allowed through `sudo -n`) showed its GPU as "–" with no reason anywhere, and gpu_spin
// could never fire for it.
std::string plan_note(const CollectorSet &set, const Platform &platform, const StreamChoice &choice,
                      const std::vector<StreamSpec> &planned);

// Turns raw lines into store content. One per app; keeps per-stream parser state (block
// records span lines) and handles on the Store series each stream writes, so it feeds one
// Store for its life (a call with another Store drops the handles). Lines no parser could
// use are counted as skipped per node.
class Ingest {
public:
  explicit Ingest(std::shared_ptr<const CollectorSet> set);
  ~Ingest();
  Ingest(const Ingest &) = delete;
  Ingest &operator=(const Ingest &) = delete;

  // Parses every line; adds samples, log lines and events to the store. New events are
  // also appended to `new_events` so the detectors can react in the same tick.
  void on_batch(const LineBatch &batch, Store &store, std::vector<LogEvent> &new_events);

  // Parsed/skipped lines per (node, stream), in key order.
  [[nodiscard]] std::vector<StreamCount> counts() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace clustertop
