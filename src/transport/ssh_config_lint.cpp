#include "clustertop/transport/ssh_config_lint.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
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

// The first argument as ssh reads it: a quoted one unquoted, and nothing of a comment (a
// word that starts with '#': `Port 2222 # the lab's sshd`).
std::string first_argument(std::string_view rest) {
  if (rest.empty() || rest.front() == '#') return {};
  if (rest.front() == '"' || rest.front() == '\'') {
    const auto close = rest.find(rest.front(), 1);
    return std::string(
        rest.substr(1, close == std::string_view::npos ? rest.size() - 1 : close - 1));
  }
  return std::string(rest.substr(0, rest.find_first_of(" \t")));
}

// A port ssh takes: 1 to 65535, or a service name (`Port ssh` is 22).
bool is_port(const std::string &value) {
  if (value.empty()) return false;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto digits = value.find_first_not_of('0'); // `023701` is 23701 to ssh
    if (digits == std::string::npos || value.size() - digits > 5) return false;
    const int port = std::stoi(value.substr(digits));
    return port >= 1 && port <= 65535;
  }
  return ::getservbyname(value.c_str(), "tcp") != nullptr;
}

} // namespace

Status lint_ssh_config(const std::string &path) {
  // A regular file only, and not a huge one: a FIFO as ~/.ssh/config blocked the open for
  // good (signals and all), /dev/zero grew memory without end. What else it is, libssh says.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20))
    return ok_status();
  std::ifstream in(path);
  if (!in) return ok_status(); // its access is said elsewhere
  std::string raw;
  int line = 0;
  while (std::getline(in, raw) && line < 100000) {
    ++line;
    const std::string_view l = trimmed(raw);
    if (l.empty() || l.front() == '#') continue;
    // "Keyword value" or "Keyword=value" (ssh_config(5)).
    const auto end = l.find_first_of(" \t=");
    const std::string_view keyword = l.substr(0, end);
    std::string_view rest = end == std::string_view::npos ? "" : trimmed(l.substr(end));
    if (!rest.empty() && rest.front() == '=') rest = trimmed(rest.substr(1));
    const std::string value = first_argument(rest);
    const auto where = fmt::format("{}:{}", path, line);
    if (iequal(keyword, "Port") && !is_port(value))
      return Error{"invalid ssh config",
                   fmt::format("Port '{}' is not a port", value.substr(0, 40)), where,
                   "write a port from 1 to 65535 or a service name (ssh refuses the file too: "
                   "\"Bad port\")"};
    if (iequal(keyword, "ProxyJump") && value.empty())
      return Error{"invalid ssh config", "ProxyJump names no host", where,
                   "write ProxyJump [user@]host[:port] (several separated by commas), or none"};
  }
  return ok_status();
}

} // namespace clustertop
