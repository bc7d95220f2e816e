// Options: everything the command line says, as plain values. Filled by parse_command_line;
// merged with the config file by run_settings; read by app.cpp. No behaviour here.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/time.hpp"

namespace clustertop {

// The shortest tick a run (live or replay) takes, whatever --interval says: below it a run
// only spins.
inline constexpr Duration kMinTick = std::chrono::milliseconds(50);

enum class Command { run, parse, replay, snapshot, check_config, collectors };

struct Options {
  Command command = Command::run;

  // Nodes and inputs
  std::vector<std::string> nodes; // "mac1", "user@host", "user@host:2222"
  std::string config_path;        // -c; empty: $XDG_CONFIG_HOME/clustertop/config.toml
  std::vector<std::string> logs;  // --log PATH, followed on every node named on the line
  std::string collectors_dir;     // extra collector definitions
  Duration interval = std::chrono::seconds(1);

  // SSH
  std::string known_hosts;                  // empty: ~/.ssh/known_hosts
  std::string host_key_checking = "strict"; // strict | accept-new | off
  std::string ssh_config;                   // empty: ~/.ssh/config
  Duration connect_timeout = std::chrono::seconds(10);
  int max_sessions = 8; // streams per ssh connection ([ssh] max_sessions)

  // Headless alert mode
  bool headless = false;
  bool json = false;
  Duration figures_every{-1}; // headless figures per node; <0: every tick, 0: never
  std::string on_alert;       // hook command, run per transition
  Duration hook_timeout = std::chrono::seconds(10);
  std::string exit_on; // "" | warning | critical: end (exit 5) when such an alert fires

  // Record / replay
  std::string record_dir;
  std::string replay_dir;
  std::vector<std::string> replay_node_logs; // NAME=LOGFILE
  // The UTC offset of the plain logs' times that carry no zone (--zone; exo writes local
  // time): 0 reads them as UTC.
  std::chrono::minutes replay_zone{0};
  std::string speed = "max"; // N or max
  std::string until;         // how long the replay clock runs past the last line

  // Dashboard
  std::string theme;
  std::string themes_dir;
  bool ascii = false;

  // Exports
  std::string csv_dir;
  Duration csv_every{0};
  bool csv_on_alert = false;
  std::string csv_format = "wide"; // wide | long
  std::string listen;              // host:port for /metrics; empty: off
  Duration snapshot_for = std::chrono::seconds(10);
  std::string output; // snapshot -o FILE

  // parse / check-config
  std::string parse_collector;
  std::string input; // FILE or "-"
  std::string check_config_file;

  // Long names of the options given on the command line ("csv-format"): a flag wins over the
  // config file even when it repeats the default (merge_settings).
  std::set<std::string, std::less<>> given;
  [[nodiscard]] bool was_given(std::string_view long_name) const {
    return given.find(long_name) != given.end();
  }
};

} // namespace clustertop
