// What the stall checks and the throughput check both read: the metrics a stall check
// resolves, a request's end, the llama.cpp slots decoding, a prompt's longest read.
#pragma once

#include <span>
#include <vector>

#include "clustertop/detect/detect_view.hpp"
#include "clustertop/detect/rules.hpp"

namespace clustertop::detail {

// A prompt being read (vLLM's prompt throughput above 0 while generation says 0.0) is
// progress, but no prompt takes longer than this to read: an engine that reported prompt
// throughput and no generation for 8 minutes with 32 requests running was hung (a preemption
// loop), and said nothing until its log ended.
constexpr const char *kPrefillRate = "prompt.tokens_per_s";
constexpr Duration kLongestPrefill = std::chrono::minutes(2);

using MetricId = DetectView::MetricId;

// The metric numbers a stall check reads, resolved once per evaluation.
struct StallMetrics {
  MetricId running, completed, finished, decoded, power, ratio, util, fence;
  std::span<const MetricId> progress; // as rules.stall.progress, then
  std::span<const MetricId> done;     // as rules.stall.done
};

StallMetrics stall_metrics(const DetectView &view, const StallRules &r, std::vector<MetricId> &ids);

// How many llama.cpp slots were decoding at `t`: those with a progress line (each slot's
// writes its count as gen.decoded_tokens, the slot as device) within one report interval
// (~3 s) of it. 0 when none.
constexpr Duration kSlotReport = std::chrono::milliseconds(3500);
int slots_decoding(const DetectView &view, std::size_t node, MetricId decoded, TimePoint t);

// Whether a request ended on the node: a point of a `done` metric (rules.stall.done: a
// request's summary, exo's runner ready) at or after `done_since`, or a running count of 0
// at or after `idle_since`.
bool request_ended(const DetectView &view, std::size_t node, const StallMetrics &ids,
                   TimePoint done_since, TimePoint idle_since);

} // namespace clustertop::detail
