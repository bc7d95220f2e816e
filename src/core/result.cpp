#include "clustertop/core/result.hpp"

namespace clustertop {

std::string Error::message() const {
  std::string out;
  if (!where.empty()) {
    out += where;
    out += ": ";
  }
  out += what;
  if (!reason.empty()) {
    out += ": ";
    out += reason;
  }
  if (!help.empty()) {
    out += "\n  help: ";
    out += help;
  }
  return out;
}

} // namespace clustertop
