// The command line (CLI11): flags and subcommands into Options. Prints help/version itself.
#pragma once

#include <optional>

#include "clustertop/config/options.hpp"

namespace clustertop {

struct CliOutcome {
  Options options;
  std::optional<int> exit_now; // --help, --version or a usage error: exit with this code
};

CliOutcome parse_command_line(int argc, const char *const *argv);

} // namespace clustertop
