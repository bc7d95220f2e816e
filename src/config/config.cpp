#include "clustertop/config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include <fmt/format.h>

#include "clustertop/config/config_reader.hpp"
#include "clustertop/core/unique_fd.hpp"

namespace clustertop {
namespace {

// Far above any cluster's config (a 200 000-node file is ~10 MB).
constexpr std::size_t kMaxConfigBytes = std::size_t{64} << 20;

Status read_general(TableReader &r, Config &c) {
  if (auto s = r.duration("interval", c.interval); !s) return s;
  std::int64_t backfill = 0;
  if (auto s = r.integer("backfill_lines", backfill, 0, 100000); !s) return s;
  c.backfill_lines = static_cast<int>(backfill);
  return r.finish();
}

Status read_ssh(TableReader &r, SshConfig &s) {
  if (auto st = r.string("known_hosts", s.known_hosts); !st) return st;
  if (auto st = r.one_of("host_key_checking", s.host_key_checking, {"strict", "accept-new", "off"});
      !st)
    return st;
  if (auto st = r.string("config_file", s.config_file); !st) return st;
  if (auto st = r.duration("connect_timeout", s.connect_timeout); !st) return st;
  std::int64_t sessions = 0; // stays 0 when absent
  if (auto st = r.integer("max_sessions", sessions, 1, 1000); !st) return st;
  if (sessions > 0) s.max_sessions = sessions;
  return r.finish();
}

// The line of each key of `table` ([section]), for errors found after parsing.
void note_lines(const toml::table &table, const std::string &section, KeyPlaces &places) {
  for (const auto &[key, value] : table)
    places.lines[section + "." + std::string(key.str())] =
        static_cast<int>(value.source().begin.line);
}

Status read_sinks(TableReader &r, SinkConfig &s) {
  if (auto st = r.string("csv_dir", s.csv_dir); !st) return st;
  if (auto st = r.duration("csv_every", s.csv_every, /*zero_ok=*/true); !st) return st;
  if (auto st = r.boolean("csv_on_alert", s.csv_on_alert); !st) return st;
  if (auto st = r.one_of("csv_format", s.csv_format, {"wide", "long"}); !st) return st;
  if (auto st = r.string("listen", s.listen); !st) return st;
  if (auto st = r.string("on_alert", s.on_alert); !st) return st;
  if (auto st = r.duration("hook_timeout", s.hook_timeout); !st) return st;
  if (auto st = r.string("record", s.record_dir); !st) return st;
  return r.finish();
}

// A cluster's name is said in alert messages and is a finding's subject (a /metrics label, a
// CSV cell, a hook's CLUSTERTOP_SUBJECT): letters, digits, `_`, `-` and `.` only.
Status validate_cluster_name(const std::string &name) {
  constexpr std::size_t kMaxCluster = 64;
  if (name.size() > kMaxCluster)
    return Error{"", fmt::format("longer than {} characters", kMaxCluster), "", ""};
  for (const char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return Error{"", "only letters, digits, '_', '-' and '.' may be in it", "", ""};
  return ok_status();
}

Status read_node(TableReader &r, NodeConfig &n) {
  n.line = r.line();
  if (auto s = r.string("name", n.name, true); !s) return s;
  if (auto s = r.string("host", n.host); !s) return s;
  if (auto s = r.string("user", n.user); !s) return s;
  std::int64_t port = 0;
  if (auto s = r.integer("port", port, 1, 65535); !s) return s;
  n.port = static_cast<int>(port);
  if (auto s = r.string("identity_file", n.identity_file); !s) return s;
  if (auto s = r.strings("logs", n.logs); !s) return s;
  if (auto s = r.strings("collectors_add", n.collectors_add); !s) return s;
  if (auto s = r.strings("collectors_remove", n.collectors_remove); !s) return s;
  for (const auto &name : n.collectors_add)
    if (std::find(n.collectors_remove.begin(), n.collectors_remove.end(), name) !=
        n.collectors_remove.end())
      return Error{fmt::format("collector '{}' is both added and removed", name),
                   "collectors_add and collectors_remove both name it",
                   // The second list's line (the [[node]] header's was named).
                   fmt::format("{}:{}", r.file(), r.line_of("collectors_remove")),
                   "keep it in one of the two lists"};
  if (auto s = r.number("memory_bytes", n.memory_bytes, 0, 1e15); !s) return s;
  if (auto s = r.number("max_context", n.max_context, 0, 1e9); !s) return s;
  if (auto s = r.utc_offset("log_zone", n.log_zone); !s) return s;
  if (auto s = r.string("cluster", n.cluster); !s) return s;
  if (auto s = validate_cluster_name(n.cluster); !s)
    return Error{"invalid cluster name", s.error().reason,
                 fmt::format("{}:{}", r.file(), r.line_of("cluster")),
                 "name the node's cluster with a short label of your own (cluster = \"exo\")"};
  if (n.host.empty()) n.host = n.name;
  for (const char *key :
       {"name", "host", "user", "port", "identity_file", "collectors_add", "collectors_remove"})
    n.key_lines[key] = r.line_of(key);
  return r.finish();
}

Status read_nodes(const toml::node &value, const std::string &path, Config &c) {
  const auto *arr = value.as_array();
  if (arr == nullptr || !arr->is_array_of_tables())
    return Error{"'node' must be an array of tables", "",
                 fmt::format("{}:{}", path, value.source().begin.line),
                 "write each node as a [[node]] section"};
  std::set<std::string> names;
  for (const auto &item : *arr) {
    TableReader r(*item.as_table(), path, "node");
    NodeConfig n;
    if (auto s = read_node(r, n); !s) return s;
    if (!names.insert(n.name).second)
      return Error{fmt::format("node name '{}' is used twice", n.name), "",
                   fmt::format("{}:{}", path, n.line), "give every [[node]] a unique name"};
    c.nodes.push_back(std::move(n));
  }
  return ok_status();
}

} // namespace

Result<Config> parse_config(const std::string &text, const std::string &path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error &e) {
    return Error{"invalid TOML", std::string(e.description()),
                 fmt::format("{}:{}:{}", path, e.source().begin.line, e.source().begin.column),
                 "fix the syntax at that position; docs/example-config.toml shows every key"};
  }
  Config c;
  c.path = path;
  TableReader top(root, path, "");
  if (const auto *t = top.table("general")) {
    TableReader r(*t, path, "general");
    if (auto s = read_general(r, c); !s) return s.error();
  }
  c.places.path = path;
  if (const auto *t = top.table("ssh")) {
    TableReader r(*t, path, "ssh");
    if (auto s = read_ssh(r, c.ssh); !s) return s.error();
    note_lines(*t, "ssh", c.places);
  }
  if (const auto *t = top.table("sinks")) {
    TableReader r(*t, path, "sinks");
    if (auto s = read_sinks(r, c.sinks); !s) return s.error();
    note_lines(*t, "sinks", c.places);
  }
  // Moved, not copied: toml++ copies no source positions, and the rules' errors name the
  // line of the setting at fault.
  if (top.table("thresholds") != nullptr) c.thresholds = std::move(*root["thresholds"].as_table());
  if (const auto *n = top.raw("node")) {
    if (auto s = read_nodes(*n, path, c); !s) return s.error();
  }
  if (auto s = top.finish(); !s) return s.error();
  return c;
}

Result<Config> load_config_file(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Error{"cannot read config file", "it is a directory", path,
                 "name the config file itself, e.g. " + path + "/config.toml"};
  // Non-blocking open: a FIFO nobody writes to blocked the open (and check-config) for ever.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0)
    return Error{"cannot read config file", std::strerror(errno), path,
                 "check the path, or run without -c to watch this machine"};
  // A pipe (`-c <(...)`) is read while its writer writes, waiting at most kPipeWait for each
  // piece; any other file blocks as usual.
  const bool pipe = S_ISFIFO(st.st_mode);
  if (!pipe) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  constexpr auto kPipeWait = std::chrono::seconds(10);
  auto deadline = std::chrono::steady_clock::now() + kPipeWait;
  // Read up to the limit: /dev/zero or a runaway file is refused, not read until memory
  // runs out.
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  for (;;) {
    if (pipe) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd.get(), POLLIN, 0};
      const int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        return Error{"cannot read config file", "nothing was written to it for 10 s", path,
                     "name a regular file, or a pipe that something writes to"};
    }
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0)
      return Error{"cannot read config file", std::strerror(errno), path, "check the path"};
    if (n == 0) break;
    deadline = std::chrono::steady_clock::now() + kPipeWait;
    text.append(chunk.data(), static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigBytes)
      return Error{"config file too large", fmt::format("over {} MiB", kMaxConfigBytes >> 20), path,
                   "a cluster config is a few kilobytes; check the path"};
  }
  return parse_config(text, path);
}

std::string KeyPlaces::where(const std::string &key) const {
  const auto it = lines.find(key);
  return it == lines.end() ? path : fmt::format("{}:{}", path, it->second);
}

std::string expand_home(const std::string &path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char *home = std::getenv("HOME");
  return home == nullptr ? path : std::string(home) + path.substr(1);
}

Result<Config> find_and_load_config(const std::string &explicit_path) {
  if (!explicit_path.empty()) return load_config_file(expand_home(explicit_path));
  std::string dir;
  if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0')
    dir = xdg;
  else if (const char *home = std::getenv("HOME"); home != nullptr)
    dir = std::string(home) + "/.config";
  const std::string candidate = dir + "/clustertop/config.toml";
  struct stat st {};
  if (!dir.empty() && ::stat(candidate.c_str(), &st) == 0) return load_config_file(candidate);
  return Config{};
}

} // namespace clustertop
