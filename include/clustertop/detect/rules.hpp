// Rules: every detector threshold and alert policy, with its documented default
// (docs/alerts.md lists them). Plain values read from the config's [thresholds] table;
// this module never reads files or clocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

// How the AlertBook treats one rule: pending for `for_` before firing; a firing alert
// resolves once its finding has been absent for `clear_after`.
struct AlertPolicy {
  Duration for_{0};
  Duration clear_after{std::chrono::seconds{30}};
};

struct FenceRules {
  double abs_ms = 10.0;           // a fence wait above this is a stall (seeds: 0.3-1.0 ms)
  double median_multiple = 20.0;  // ... or above this many times its rolling median,
  double relative_floor_ms = 2.0; // and above this: below it a wait is normal (fast steps'
                                  // median is ~0.03 ms, their 1 ms tail 30x that)
  std::size_t median_window = 64; // steps in the rolling median
  std::size_t min_samples = 8;    // steps needed before the relative test applies
  Duration fresh{std::chrono::seconds{10}}; // the worst step this recent counts
  AlertPolicy alert{std::chrono::seconds{0}, std::chrono::seconds{30}};
};

struct StallRules {
  Duration after{std::chrono::seconds{15}}; // no progress this long while generating: a stall
  double interval_multiple = 50.0;          // ... and at least this many normal step intervals
  std::size_t min_steps = 3;                // steps within active_window that mean "generating"
  Duration active_window{std::chrono::seconds{60}};
  double busy_ratio = 0.5;     // GPU busy: Apple GPU residency at or above
  double busy_util_pct = 50.0; // ... or NVIDIA utilisation at or above
  // ... or, when neither is known, power at or above (seeds: 31/56 W vs 0 W on a Mac; an
  // idle H100 draws ~70 W, so power cannot tell on NVIDIA)
  double busy_power_w = 10.0;
  Duration gpu_fresh{std::chrono::seconds{15}}; // GPU samples older than this are unknown
  std::vector<std::string> progress = {
      "step.index", "step.eval_ms",    "step.fence_wait_ms", "gen.tokens_per_s",
      "ctx.tokens", "kv_cache.tokens", "prompt.tokens",      "prompt.tokens_per_s"};
  // A request finished: one of these written at or after the last progress (or
  // req.running back to 0) means the silence that follows is idle, not a stall.
  std::vector<std::string> done = {"gen.tokens", "runner.ready"};
  AlertPolicy alert{std::chrono::seconds{0}, std::chrono::seconds{5}};
};

struct OverheadRules {
  double share = 0.5;      // (eval - model - gpu_eval) / eval above this (seeds: 29/36)
  std::size_t window = 20; // steps in the median share
  std::size_t min_samples = 5;
  Duration fresh{std::chrono::seconds{30}};
  AlertPolicy alert{std::chrono::seconds{30}, std::chrono::seconds{30}};
};

struct ThroughputRules {
  double ratio = 0.4; // recent tokens/s under this share of the baseline
  Duration baseline_window{
      std::chrono::seconds{300}}; // baseline: the median over this, before recent_window
  Duration recent_window{std::chrono::seconds{15}};
  std::size_t min_baseline = 10;
  std::size_t min_recent = 3;
  AlertPolicy alert{std::chrono::seconds{10}, std::chrono::seconds{30}};
};

struct OomRules {
  double headroom_bytes = 2.0 * (1ULL << 30);          // available under this: warning
  double headroom_critical_bytes = 0.5 * (1ULL << 30); // ... under this: critical
  double swap_growth_bytes = 512.0 * (1ULL << 20);     // swap grew this much in swap_window
  Duration swap_window{std::chrono::seconds{120}};
  Duration trend_window{std::chrono::seconds{300}}; // available-memory trend for time-to-OOM
  std::size_t trend_min_samples = 10;
  Duration tto_warning{std::chrono::seconds{900}};  // time to OOM under this: warning
  Duration tto_critical{std::chrono::seconds{120}}; // ... under this: critical
  double max_context_tokens = 131072;               // the context the node must reach (seeds: 200K)
  double ctx_min_span_tokens = 1000; // context growth needed before a per-token estimate
  std::size_t ctx_min_samples = 8;
  double fit_min_r2 = 0.6; // fit quality (R²) needed to trust a trend
  // A fast fall, judged on its own: the longest run of the newest samples within
  // fast_window that one falling line fits this closely, of at least fast_min_samples.
  // The trend_window fit takes minutes to see a fall that starts after a flat stretch.
  Duration fast_window{std::chrono::seconds{30}};
  double fast_fit_min_r2 = 0.9; // a step (a 3 s allocation, then flat) fits at most 0.75
  std::size_t fast_min_samples = 8;
  double gpu_mem_pct = 98.0;                // NVIDIA GPU memory used at or above
  double kv_cache_pct = 95.0;               // KV cache usage at or above
  Duration fresh{std::chrono::seconds{60}}; // memory samples older than this are unknown
  AlertPolicy alert{std::chrono::seconds{10}, std::chrono::seconds{60}};
};

struct CrashRules {
  Duration hold{std::chrono::seconds{300}}; // a crash line keeps its alert firing this long
  AlertPolicy alert{std::chrono::seconds{0}, std::chrono::seconds{0}};
};

struct NodeRules {
  AlertPolicy alert{std::chrono::seconds{5}, std::chrono::seconds{10}};
};

struct Rules {
  FenceRules fence_wait;
  StallRules stall;
  OverheadRules overhead;
  ThroughputRules throughput;
  OomRules oom;
  CrashRules crash;
  NodeRules node;
  // The cluster each node is in, where the config names one ([[node]] cluster): cluster_stall
  // is judged within a cluster. A node named in none is in the one unnamed cluster.
  std::map<std::string, std::string> node_cluster;

  // The alert policy of a finding's rule name ("oom_headroom" -> oom.alert).
  [[nodiscard]] const AlertPolicy &policy(const std::string &rule) const;
};

// One documented setting: [thresholds.<section>] <key>, for docs and error help.
struct RuleField {
  std::string section;
  std::string key;
  std::string default_text;
};
std::vector<RuleField> rule_fields();

// Reads the [thresholds] table. Errors name the file, line, key and the fix; unknown
// sections and keys are errors (a typo must not silently keep a default).
Result<Rules> rules_from_toml(const toml::table &thresholds, const std::string &file);

} // namespace clustertop
