// `clustertop replay`: a recording or plain logs through the real parsers, detectors and
// AlertBook — headless (alert lines or JSON, hooks) or in the dashboard, paced by --speed.
#pragma once

#include "clustertop/config/options.hpp"
#include "clustertop/core/signals.hpp"

namespace clustertop {

// Headless when --headless is given or stdout is not a terminal; returns the exit code.
// `signals` (may be null) lets SIGINT/SIGTERM end a dashboard replay.
int run_replay_command(const Options &options, SignalWatcher *signals = nullptr);

} // namespace clustertop
