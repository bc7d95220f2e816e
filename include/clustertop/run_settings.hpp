// RunSettings: the command line merged over the config file (a flag wins over the file),
// so the rest of the app reads one set of values.
#pragma once

#include <optional>
#include <string>

#include "clustertop/config/config.hpp"
#include "clustertop/config/options.hpp"
#include "clustertop/core/result.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/sink/csv_sink.hpp"

namespace clustertop {

// A flag given on the command line (Options::given) wins over the file, even when it repeats
// the default; the file fills in the rest.
Options merge_settings(const Options &cli, const Config &config);

struct SettingsProblem {
  Error error;
  int exit_code; // exit_code::usage when a flag is at fault, exit_code::config for the file
};

// Settings that cannot work, after the merge: --csv-every or --csv-on-alert (or their
// [sinks] keys) without a CSV directory, and an ssh config file named but missing.
// `file`: the file read and where it set its keys, so that its problems name file:line (an
// empty path for none). `snapshot`: the CSV triggers are left out (a snapshot writes its one
// -o file).
// A problem with the listen address, named as the user gave it: `[sinks] listen` and the
// key's line when it came from the config file (the error says `--listen` otherwise, a flag
// never given).
Error listen_error_as_given(const Options &merged, const KeyPlaces &file, Error e);

std::optional<SettingsProblem> check_settings(const Options &merged, const KeyPlaces &file,
                                              bool snapshot = false);

// The [[node]] hints the detectors take, from the nodes as the config declares them: each
// node's `cluster`, and the largest `max_context` as the target of the context-at-OOM forecast
// (one target serves every node). A live run and a replay with the same config judge alike.
void apply_node_hints(Rules &rules, const std::vector<NodeConfig> &nodes);

// The tick a watch runs at: --interval, but at most 20 a second (a tick below that buys
// nothing a person can see and costs a core).
Duration run_tick(const Options &merged);

// Why no file can be made in the directory `dir`, or nothing when one can: a file is made
// and removed. Permission bits do not tell (root passes them; a read-only mount, /sys, an
// ACL or a root-squashed NFS export refuse all the same), only the attempt does.
std::optional<std::string> why_no_file_in(const std::string &dir);

// The CSV sink of a run: --csv-dir, --csv-every, --csv-on-alert, --csv-format, and the run's
// tick. `key_only`: the sink of the dashboard's `e` when no --csv-dir is set (the current
// directory, no periodic or per-alert files), in a live run and a replay alike.
// Fails only on a --csv-format that is neither wide nor long.
Result<CsvSinkOptions> csv_sink_options(const Options &merged, bool key_only);

} // namespace clustertop
