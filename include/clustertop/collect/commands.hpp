// The collector subcommands: `clustertop parse --collector NAME [FILE|-]` and
// `clustertop collectors`. They own only their output; app.cpp calls them.
#pragma once

#include <cstdio>

#include "clustertop/config/options.hpp"

namespace clustertop {

// One JSON object per record on `out` (the line's own time or null, metrics with units,
// level, tags, severity); "parsed/skipped" summary and errors on `err`. Returns an exit code.
int run_parse_command(const Options &options);
int run_parse_command(const Options &options, std::FILE *in, std::FILE *out, std::FILE *err);

// Lists every definition: name, type, parse kind, what it needs on a node, sample status.
int run_collectors_command(const Options &options);
int run_collectors_command(const Options &options, std::FILE *out, std::FILE *err);

} // namespace clustertop
