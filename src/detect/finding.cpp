#include "clustertop/detect/finding.hpp"

namespace clustertop {

const char *to_string(AlertState s) {
  switch (s) {
  case AlertState::pending: return "pending";
  case AlertState::firing: return "firing";
  case AlertState::resolved: return "resolved";
  }
  return "unknown";
}

} // namespace clustertop
