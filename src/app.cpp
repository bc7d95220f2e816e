#include "clustertop/app.hpp"

#include <fmt/format.h>

#include "clustertop/collect/commands.hpp"
#include "clustertop/config/config.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/signals.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/live_run.hpp"
#include "clustertop/replay_command.hpp"
#include "clustertop/run_settings.hpp"

namespace clustertop {
namespace {

int check_config(const Options &o) {
  auto config = load_config_file(expand_home(o.check_config_file));
  if (!config) {
    fmt::print(stderr, "clustertop: {}\n", config.error().message());
    return exit_code::config;
  }
  if (auto rules = rules_from_toml(config->thresholds, config->path); !rules) {
    fmt::print(stderr, "clustertop: {}\n", rules.error().message());
    return exit_code::config;
  }
  if (auto problem = check_settings(merge_settings(Options{}, *config), config->path)) {
    fmt::print(stderr, "clustertop: {}\n", problem->error.message());
    return exit_code::config;
  }
  fmt::print("OK: {}: {} node(s)\n", config->path, config->nodes.size());
  return exit_code::ok;
}

} // namespace

int run_app(const Options &options) {
  // Before any thread starts, so every thread inherits the blocked signals.
  SignalWatcher signals;
  switch (options.command) {
  case Command::check_config: return check_config(options);
  case Command::parse: return run_parse_command(options);
  case Command::collectors: return run_collectors_command(options);
  case Command::replay: return run_replay_command(options, &signals);
  case Command::snapshot: return run_live(options, signals, LiveMode{false, options.snapshot_for});
  case Command::run: return run_live(options, signals, LiveMode{!options.headless, std::nullopt});
  }
  return exit_code::internal;
}

} // namespace clustertop
