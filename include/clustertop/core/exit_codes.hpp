// Documented process exit codes (README "Exit codes"). Scripts and systemd rely on them.
#pragma once

namespace clustertop::exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 2;         // bad command line
inline constexpr int config = 3;        // config file or collector/theme definition invalid
inline constexpr int unreachable = 4;   // every node unreachable at start / snapshot missed nodes
inline constexpr int alert = 5;         // --exit-on: an alert of that severity fired
inline constexpr int internal = 70;     // a bug: please report
inline constexpr int output = 74;       // output could not be written (disk full, I/O error)
inline constexpr int interrupted = 130; // SIGINT in one-shot commands
} // namespace clustertop::exit_code
