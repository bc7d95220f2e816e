#include "clustertop/core/model.hpp"

namespace clustertop {

const char *to_string(NodeState s) {
  switch (s) {
  case NodeState::connecting: return "connecting";
  case NodeState::up: return "up";
  case NodeState::stale: return "stale";
  case NodeState::down: return "down";
  }
  return "unknown";
}

const char *to_string(Severity s) {
  switch (s) {
  case Severity::info: return "info";
  case Severity::warning: return "warning";
  case Severity::critical: return "critical";
  }
  return "unknown";
}

} // namespace clustertop
