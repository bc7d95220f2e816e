#include "clustertop/core/result.hpp"

namespace clustertop {

namespace {

// A part of the message on its line: a newline in it (a path from the command line, a
// remote command's words) would start a line of its own, such as a forged "clustertop: ...".
void append_part(std::string &out, std::string_view part) {
  for (const char c : part)
    if (c == '\n')
      out += "\\x0a";
    else
      out += c;
}

} // namespace

std::string Error::message() const {
  std::string out;
  if (!where.empty()) {
    append_part(out, where);
    out += ": ";
  }
  append_part(out, what);
  if (!reason.empty()) {
    out += ": ";
    append_part(out, reason);
  }
  if (!help.empty()) {
    out += "\n  help: ";
    append_part(out, help);
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
