#include "clustertop/transport/ssh_config_lint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string_view>

namespace clustertop {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

} // namespace

Status lint_ssh_config(const std::string &path) {
  std::ifstream in(path);
  if (!in) return ok_status(); // its absence or access is said elsewhere
  std::string raw;
  int line = 0;
  while (std::getline(in, raw) && line < 100000) {
    ++line;
    std::string_view l = trimmed(raw);
    if (l.empty() || l.front() == '#') continue;
    // "Keyword value" or "Keyword=value" (ssh_config(5)).
    const auto end = l.find_first_of(" \t=");
    const std::string_view keyword = l.substr(0, end);
    std::string_view value = end == std::string_view::npos ? "" : trimmed(l.substr(end));
    if (!value.empty() && value.front() == '=') value = trimmed(value.substr(1));
    const auto where = fmt::format("{}:{}", path, line);
    if (iequal(keyword, "Port")) {
      const bool digits =
          !value.empty() && value.size() <= 5 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      const int port = digits ? std::stoi(std::string(value)) : 0;
      if (port < 1 || port > 65535)
        return Error{"invalid ssh config",
                     fmt::format("Port '{}' is not a port", std::string(value.substr(0, 40))),
                     where, "write a port from 1 to 65535 (as ssh, which refuses the file too)"};
    } else if (iequal(keyword, "ProxyJump") && value.empty()) {
      return Error{"invalid ssh config", "ProxyJump names no host", where,
                   "write ProxyJump [user@]host[:port] (several separated by commas), or none"};
    }
  }
  return ok_status();
}

} // namespace clustertop
