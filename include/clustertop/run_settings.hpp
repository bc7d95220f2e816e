// RunSettings: the command line merged over the config file (a flag wins over the file),
// so the rest of the app reads one set of values.
#pragma once

#include <optional>
#include <string>

#include "clustertop/config/config.hpp"
#include "clustertop/config/options.hpp"
#include "clustertop/core/result.hpp"

namespace clustertop {

// A flag given on the command line (Options::given) wins over the file, even when it repeats
// the default; the file fills in the rest.
Options merge_settings(const Options &cli, const Config &config);

struct SettingsProblem {
  Error error;
  int exit_code; // exit_code::usage when a flag is at fault, exit_code::config for the file
};

// Settings that cannot work together, after the merge: --csv-every or --csv-on-alert (or
// their [sinks] keys) without a CSV directory. `config_path`: the file read ("" for none).
std::optional<SettingsProblem> check_settings(const Options &merged,
                                              const std::string &config_path);

} // namespace clustertop
