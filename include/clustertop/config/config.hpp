// The config file (TOML): node inventory, thresholds, sinks, ssh settings. Parsing and
// validation only; it never connects. Unknown keys and bad values are Errors naming the
// file, line, key and a fix.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

struct NodeConfig {
  std::string name;
  std::string host; // host name, address or ssh alias; "local" runs on this machine
  std::string user;
  int port = 0; // 0: from ~/.ssh/config or 22
  std::string identity_file;
  std::vector<std::string> logs;
  std::vector<std::string> collectors_add;
  std::vector<std::string> collectors_remove;
  double memory_bytes = 0; // hint when the node cannot report it; 0 = unknown
  double max_context = 0;  // the context length the operator plans to reach; 0 = unknown
  // The zone its logs write their times in, where it is not the node's own (a container
  // logging UTC on a host in Berlin): times without a zone in its logs are read in it.
  std::optional<std::chrono::minutes> log_zone;
  // The cluster it belongs to, where the config watches more than one (an exo cluster and a
  // vLLM server apart from it, or independent servers): cluster_stall is judged within one.
  // "": the one unnamed cluster of every node that names none.
  std::string cluster;
  int line = 0; // where it was declared
  // The lines of its keys that a check after parsing may fault (name, host, user, port,
  // identity_file, collectors_add, collectors_remove), for errors that name the key's line.
  std::map<std::string, int> key_lines;
};

struct SinkConfig {
  std::string csv_dir;
  std::optional<Duration> csv_every;
  std::optional<bool> csv_on_alert;
  std::string csv_format;
  std::string listen;
  std::string on_alert;
  std::optional<Duration> hook_timeout;
  std::string record_dir;
};

struct SshConfig {
  std::string known_hosts;
  std::string host_key_checking; // strict | accept-new | off; empty: not set
  std::string config_file;
  std::optional<Duration> connect_timeout;
  // Streams per connection (sshd's MaxSessions less one, for the probe); unset: 8, for
  // OpenSSH's default of 10.
  std::optional<std::int64_t> max_sessions;
};

// Where a config file set its [sinks] and [ssh] keys, for the problems found after parsing
// (check_settings, check-config's listen check), which name file:line as the parser's own do.
struct KeyPlaces {
  std::string path;                 // the file; "" when none was read
  std::map<std::string, int> lines; // "sinks.listen" -> the line of `listen = ...`
  // "path:line" of `key` ("sinks.csv_every"), or the path alone when the file did not set it.
  [[nodiscard]] std::string where(const std::string &key) const;
};

struct Config {
  std::string path; // "" when no file was read
  KeyPlaces places; // path and the lines of its [sinks] and [ssh] keys
  std::optional<Duration> interval;
  int backfill_lines = 0; // tail -n N when following logs
  std::vector<NodeConfig> nodes;
  SshConfig ssh;
  SinkConfig sinks;
  toml::table thresholds; // validated by detect/ (rules_from_toml)
};

// Parses TOML text; `path` is used in messages only.
Result<Config> parse_config(const std::string &text, const std::string &path);
Result<Config> load_config_file(const std::string &path);

// -c PATH when given; else $XDG_CONFIG_HOME/clustertop/config.toml (or ~/.config/...) when
// it exists; else an empty Config (monitor this machine).
Result<Config> find_and_load_config(const std::string &explicit_path);

// Expands a leading "~/" with $HOME (for local paths only; remote paths stay as written).
std::string expand_home(const std::string &path);

} // namespace clustertop
