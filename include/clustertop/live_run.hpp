// A live run: load config, collectors and rules, start transports, feed the pipeline from
// the event queue, drive the sinks, stop cleanly on a signal, `q` or the end of a snapshot.
#pragma once

#include <optional>

#include "clustertop/config/options.hpp"
#include "clustertop/core/signals.hpp"

namespace clustertop {

struct LiveMode {
  bool dashboard = true;           // false: headless printers
  std::optional<Duration> run_for; // snapshot: collect this long, write the CSV, exit
};

int run_live(const Options &cli, SignalWatcher &signals, LiveMode mode);

// check-config FILE: every check a live run makes before it connects (config, thresholds,
// ssh settings, collectors, nodes, sinks), without connecting. Prints OK or the first error.
int check_live_config(const Options &cli);

} // namespace clustertop
