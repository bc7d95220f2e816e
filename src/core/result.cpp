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

std::string Error::one_line() const {
  std::string out = message();
  if (const auto at = out.find("\n  help: "); at != std::string::npos)
    out.replace(at, 9, " (help: ").push_back(')');
  return out;
}

} // namespace clustertop
