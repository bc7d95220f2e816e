#include "clustertop/app.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "clustertop/collect/commands.hpp"
#include "clustertop/config/config.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/report.hpp"
#include "clustertop/core/signals.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/live_run.hpp"
#include "clustertop/replay_command.hpp"
#include "clustertop/run_settings.hpp"

namespace clustertop {

bool terminals() { return ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0; }

int run_app(const Options &options) {
  // Commands that only read and print keep the default signal actions: Ctrl-C ends them at
  // once, even inside a read from a pipe or a terminal.
  switch (options.command) {
  case Command::check_config: return check_live_config(options);
  case Command::parse: return run_parse_command(options);
  case Command::collectors: return run_collectors_command(options);
  default: break;
  }
  // Before any thread starts, so every thread inherits the blocked signals; the commands
  // below poll them and shut down in order.
  SignalWatcher signals;
  switch (options.command) {
  case Command::check_config:
  case Command::parse:
  case Command::collectors: break;
  case Command::replay: return run_replay_command(options, &signals);
  case Command::snapshot: return run_live(options, signals, LiveMode{false, options.snapshot_for});
  case Command::run: {
    // The dashboard draws on stdout and reads keys from stdin: without a terminal on both (a
    // pipe, a file, cron, `< /dev/null`, where it spun on stdin's end or wrote escape codes
    // into a file) a watch runs headless.
    const bool dashboard = !options.headless && terminals();
    if (!options.headless && !dashboard)
      report(stderr, "clustertop: stdin or stdout is not a terminal; running headless "
                     "(as --headless)\n");
    return run_live(options, signals, LiveMode{dashboard, std::nullopt});
  }
  }
  return exit_code::internal;
}

} // namespace clustertop
