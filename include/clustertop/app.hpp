// The only place that wires modules together: options + config -> transports, parsers,
// store, detectors, sinks, and the main loop. main() calls run_app and nothing else.
#pragma once

#include "clustertop/config/options.hpp"

namespace clustertop {

// Runs the command the options name; returns the process exit code.
int run_app(const Options &options);

// Whether stdin and stdout are both terminals, as a dashboard needs (keys in, screen out);
// otherwise a watch or a replay runs headless.
bool terminals();

} // namespace clustertop
