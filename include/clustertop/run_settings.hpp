// RunSettings: the command line merged over the config file (a flag wins over the file),
// so the rest of the app reads one set of values.
#pragma once

#include "clustertop/config/config.hpp"
#include "clustertop/config/options.hpp"

namespace clustertop {

Options merge_settings(const Options &cli, const Config &config);

} // namespace clustertop
