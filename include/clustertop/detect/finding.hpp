// Findings (what a detector sees now) and alert transitions (what the AlertBook decides).
// Plain values shared by detect/ and the sinks.
#pragma once

#include <cstdint>
#include <string>

#include "clustertop/core/model.hpp"

namespace clustertop {

struct Finding {
  std::string rule;    // "fence_wait_stall", "oom_risk", ...
  std::string node;    // "" for cluster-wide findings
  std::string subject; // de-dup key within (rule, node): device, stream; may be empty
  Severity severity = Severity::warning;
  double value = kUnknown;
  double threshold = kUnknown;
  std::string message; // a sentence a tired operator understands
  // Just short of the rule's threshold, within its margin: keeps an alert of this key that
  // is firing from resolving (its words stay those it fired with) and starts none. An
  // estimate that wanders across its threshold (context_at_oom's point of running out near
  // max_context_tokens) fired and resolved every few minutes.
  bool sustain_only = false;
  // Which occurrence of the condition this is, where a rule tells them apart (a crash after
  // the node generated again since the last one): a firing alert whose finding comes with
  // a later episode resolves and fires again (an earlier one is the same, seen more fully), so a
  // crash loop is one alert per crash, not one for as long as crashes keep coming within `hold`.
  // Zero: the rule does not say; else the time of the episode's first line (nanoseconds since the
  // epoch), which moves with a step of this machine's clock (AlertBook::shift).
  std::int64_t episode = 0;
};

enum class AlertState { pending, firing, resolved };
const char *to_string(AlertState s);

struct AlertTransition {
  Finding finding;
  AlertState state = AlertState::pending;
  TimePoint first_seen;
  TimePoint at;
};

} // namespace clustertop
