// Detectors: pure functions of (store, rules, now) -> findings. They never read a clock,
// never keep state between calls and never write to the store; the AlertBook adds time.
#pragma once

#include <vector>

#include "clustertop/detect/detect_view.hpp"
#include "clustertop/detect/finding.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {

// fence_wait_stall: a step's fence wait above rules.abs_ms or a multiple of its median.
void detect_fence_wait(const DetectView &store, const Rules &rules, TimePoint now,
                       std::vector<Finding> &out);
// step_stall per node (no progress while generating, with the GPU busy/idle shape),
// gpu_spin (stalled with a busy GPU: the fence_wait deadlock), and cluster_stall naming
// the node that stopped first (subject) and the nodes waiting on it.
void detect_stalls(const DetectView &store, const Rules &rules, TimePoint now,
                   std::vector<Finding> &out);
// orchestration_overhead: median (eval - model - gpu_eval) / eval over recent steps.
void detect_overhead(const DetectView &store, const Rules &rules, TimePoint now,
                     std::vector<Finding> &out);
// throughput_collapse: recent tokens/s far under its baseline.
void detect_throughput(const DetectView &store, const Rules &rules, TimePoint now,
                       std::vector<Finding> &out);
// oom_headroom, oom_pressure, swap_growth, time_to_oom, context_at_oom, gpu_mem, kv_cache.
void detect_memory(const DetectView &store, const Rules &rules, TimePoint now,
                   std::vector<Finding> &out);
// crash: tagged log events (crash, abort, gpu_timeout, ...) within rules.crash.hold.
void detect_crashes(const DetectView &store, const Rules &rules, TimePoint now,
                    std::vector<Finding> &out);
// node_down, node_stale, stream_down from the node table.
void detect_nodes(const DetectView &store, const Rules &rules, TimePoint now,
                  std::vector<Finding> &out);

// Every detector, in the order above.
std::vector<Finding> run_detectors(const DetectView &store, const Rules &rules, TimePoint now);

} // namespace clustertop
