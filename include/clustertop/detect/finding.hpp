// Findings (what a detector sees now) and alert transitions (what the AlertBook decides).
// Plain values shared by detect/ and the sinks.
#pragma once

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
