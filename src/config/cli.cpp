#include "clustertop/config/cli.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/report.hpp"

namespace clustertop {
namespace {

constexpr const char *kDescription = R"(clustertop: watch a small distributed LLM-inference cluster.

It SSHes into every node, tails the inference logs, samples GPU power, memory and
per-step timings, and flags fence_wait stalls, hangs, crashes and OOM risk.

Modes:
  dashboard   clustertop mac1 mac2 mbp
              clustertop --log '~/.exo/exo_log/exo.log' mac1 mac2 mbp
  headless    clustertop --headless --json --on-alert 'notify-send "$CLUSTERTOP_MESSAGE"' -c cluster.toml
  csv         clustertop snapshot --for 10s -o cluster.csv mac1 mac2
              clustertop --csv-dir ~/clustertop-csv --csv-every 30s -c cluster.toml
  prometheus  clustertop --headless --listen 127.0.0.1:9464 -c cluster.toml
  replay      clustertop replay --node mac1=exo-mac1.log --node mac2=exo-mac2.log
  local       clustertop            (no nodes, no config: this machine)

Docs: README.md and docs/ (configuration, ssh, collectors, alerts, dashboard, exports).)";

constexpr const char *kFooter = R"(
Exit codes: 0 ok, 2 bad command line, 3 invalid config or definition, a --listen
address that cannot be bound, or a terminal the dashboard cannot use (TERM unknown or
dumb), 4 every node unreachable at start, 5 --exit-on: an alert of
that severity fired, 70 internal error, 74 output could not be written (a reader that goes
away, `| head`, is a normal end), 130 interrupted (replay, snapshot).
In the dashboard, ? lists the keys.)";

// Each subcommand's own: the main footer's codes and keys mostly do not apply to it.
constexpr const char *kParseFooter = R"(
Prints one JSON object per record as its line arrives, then a count of lines, records and
skipped lines on stderr. Exit codes: 0 ok, 2 bad command line (no such collector, an
unreadable FILE), 3 invalid collector definitions or a read error, 74 output could not be
written.)";
constexpr const char *kReplayFooter = R"(
Exit codes: 0 ok, 2 bad command line, 3 invalid config, definition or log file, 5 --exit-on:
an alert of that severity fired, 70 internal error, 74 output could not be written, 130
interrupted.)";
constexpr const char *kSnapshotFooter = R"(
A node still connecting when --for ends is waited for, up to --connect-timeout.
Exit codes: 0 every node answered, 2 bad command line, 3 invalid config, 4 some node was
unreachable (its row says why; the CSV is written), 74 the CSV could not be written, 130
interrupted (nothing is written).)";
constexpr const char *kCheckFooter = R"(
Checks what a run checks before it connects: TOML syntax and types, every key (an unknown
one is an error naming its line and the closest known key), nodes (names, hosts, ports,
users, logs, collectors_add/remove), [ssh] (known_hosts, config_file), [thresholds], [sinks]
(a listen address is bound and released) and the collector definitions. Prints
`OK: FILE: N node(s)`. Exit codes: 0 valid, 2 bad command line, 3 invalid, 74 output could
not be written.)";
constexpr const char *kCollectorsFooter = R"(
Exit codes: 0 every definition loads and its samples pass, 3 a definition or sample fails
(stderr says which), 74 output could not be written.)";

// Whether 0 means something for a duration option ("never", "off"), or is a mistake: a
// hook killed at once, a connect that cannot succeed, a tick that never waits.
enum class Zero { allowed, refused };

Duration as_duration(const std::string &option, const std::string &text, Zero zero) {
  Duration d{};
  if (!parse_duration(text, d))
    throw CLI::ValidationError(option, "expected a duration such as 500ms, 1s, 30s, 2m; got '" +
                                           text + "'");
  if (zero == Zero::refused && d <= Duration::zero())
    throw CLI::ValidationError(option, "expected a duration above 0, such as 500ms or 10s; got '" +
                                           text + "'");
  return d;
}

// CLI11 validators cannot write Durations directly; parse in a callback.
void add_duration(CLI::App &app, const std::string &name, Duration &target, const std::string &help,
                  Zero zero = Zero::refused) {
  // The error names the option as written in `name`'s long form ("--hook-timeout").
  const std::string option =
      name.substr(name.find("--") == std::string::npos ? 0 : name.find("--"));
  app.add_option_function<std::string>(
         name,
         [&target, option, zero](const std::string &v) { target = as_duration(option, v, zero); },
         help)
      ->type_name("DURATION");
}

// The options a replay shares with a run, defined once for both (a replay also takes them
// after its subcommand, where users write them).
void add_collectors_dir(CLI::App &app, Options &o) {
  app.add_option("--collectors-dir", o.collectors_dir, "Extra collector definitions (*.json)")
      ->type_name("DIR");
}

void add_hook_options(CLI::App &app, Options &o) {
  app.add_option("--on-alert", o.on_alert,
                 "Run CMD (via /bin/sh) when an alert fires or resolves; alert in env and on stdin")
      ->type_name("CMD");
  add_duration(app, "--hook-timeout", o.hook_timeout, "Kill a hook after this long (default 10s)");
  app.add_option("--exit-on", o.exit_on,
                 "Headless: stop when an alert of this severity or worse fires; exit status 5")
      ->type_name("warning|critical")
      ->check(CLI::IsMember({"warning", "critical"}));
}

void add_theme_options(CLI::App &app, Options &o) {
  app.add_option("--theme", o.theme, "Dashboard theme: name or file")->type_name("NAME|FILE");
  app.add_option("--themes-dir", o.themes_dir, "Extra directory of *.theme files")
      ->type_name("DIR");
  app.add_flag("--ascii", o.ascii, "ASCII graphs instead of UTF-8 braille");
}

void add_source_options(CLI::App &app, Options &o) {
  app.add_option("nodes", o.nodes, "Nodes: ssh alias, user@host or user@host:port")
      ->type_name("NODE");
  app.add_option("-c,--config", o.config_path,
                 "Config file (default: $XDG_CONFIG_HOME/clustertop/config.toml)")
      ->type_name("FILE");
  // One path per --log (repeat it for more): as a list option it took the nodes after it,
  // `--log exo.log mac1 mac2`, for more paths, and watched this machine instead.
  app.add_option("--log", o.logs,
                 "Follow this log on every node of the run, beside a config node's own logs "
                 "(repeat for more)")
      ->type_name("PATH")
      ->allow_extra_args(false);
  add_collectors_dir(app, o);
  add_duration(app, "-i,--interval", o.interval,
               "Sampling interval and tick (default 1s; samplers 100ms apart at least, tick 50ms)");
  app.add_option("--known-hosts", o.known_hosts, "known_hosts file (default ~/.ssh/known_hosts)")
      ->type_name("FILE");
  app.add_option("--host-key-checking", o.host_key_checking,
                 "strict (default) | accept-new | off, as OpenSSH's StrictHostKeyChecking")
      ->check(CLI::IsMember({"strict", "accept-new", "off"}));
  app.add_option("--ssh-config", o.ssh_config, "ssh config file (default ~/.ssh/config)")
      ->type_name("FILE");
  add_duration(app, "--connect-timeout", o.connect_timeout, "SSH connect timeout (default 10s)");
}

// CSV snapshots: a run's and a replay's (whose files carry the replay's times).
void add_csv_options(CLI::App &app, Options &o) {
  app.add_option("--csv-dir", o.csv_dir, "Write CSV snapshots into DIR")->type_name("DIR");
  add_duration(app, "--csv-every", o.csv_every,
               "Snapshot period (e.g. 30s; 0: off); needs --csv-dir", Zero::allowed);
  app.add_flag("--csv-on-alert", o.csv_on_alert,
               "Also snapshot on every alert transition; needs --csv-dir");
  app.add_option("--csv-format", o.csv_format, "wide (row per node) | long (row per sample)")
      ->check(CLI::IsMember({"wide", "long"}));
}

void add_output_options(CLI::App &app, Options &o) {
  app.add_flag("--headless", o.headless, "No dashboard: print alert transitions (and figures)");
  app.add_flag("--json", o.json, "Headless output as one JSON object per line");
  add_duration(app, "--figures-every", o.figures_every,
               "Headless: print each node's figures this often (default: every tick; 0: never)",
               Zero::allowed);
  add_hook_options(app, o);
  app.add_option("--record", o.record_dir, "Record every raw stream with arrival times to DIR")
      ->type_name("DIR");
  add_theme_options(app, o);
  add_csv_options(app, o);
  app.add_option("--listen", o.listen,
                 "Serve Prometheus /metrics on ADDR:PORT (e.g. 127.0.0.1:9464)")
      ->type_name("ADDR:PORT");
}

// An option given an empty value (`--listen ""`, `--csv-dir "$UNSET"`) is a bad command line:
// it was taken as "not given" (no /metrics, no CSV, the default config or theme) without a
// word. Flags take no value and are not looked at.
void refuse_empty_values(const CLI::App &app) {
  for (const CLI::Option *opt : app.get_options()) {
    if (opt->count() == 0 || opt->get_type_size() == 0) continue;
    for (const auto &value : opt->results())
      if (value.empty())
        throw CLI::ValidationError(opt->get_name(false, true),
                                   "the value is empty; give one, or leave the option out");
  }
}

// An option given before a subcommand that the subcommand has no option of its own for does
// nothing there (`clustertop --figures-every 60s replay …` printed no figures, without a
// word): refused, naming the subcommand whose help lists what it takes. One the subcommand
// has too (`-c`, `--collectors-dir`) sets the same setting and stays allowed.
void refuse_options_the_subcommand_ignores(const CLI::App &app, const CLI::App &sub) {
  for (const CLI::Option *opt : app.get_options()) {
    if (opt->count() == 0) continue;
    std::vector<std::string> names;
    for (const auto &l : opt->get_lnames()) names.push_back("--" + l);
    if (names.empty()) names.push_back(opt->get_name()); // a positional: the node names
    bool shared = false;
    for (const auto &n : names) shared = shared || sub.get_option_no_throw(n) != nullptr;
    if (shared) continue;
    if (opt->get_lnames().empty()) // a node name is no option
      throw CLI::ValidationError(
          fmt::format("node name '{}'", opt->results().empty() ? "" : opt->results().front()),
          fmt::format("`{0}` takes no node names before it, and would ignore them; "
                      "`clustertop {0} --help` lists what it takes",
                      sub.get_name()));
    throw CLI::ValidationError(
        opt->get_name(false, true),
        fmt::format("not an option of `{0}`, which would ignore it; `clustertop {0} --help` "
                    "lists what it takes",
                    sub.get_name()));
  }
}

} // namespace

CliOutcome parse_command_line(int argc, const char *const *argv) {
  CliOutcome out;
  Options &o = out.options;
  CLI::App app{kDescription, "clustertop"};
  app.footer(kFooter);
  app.set_version_flag("-V,--version", std::string("clustertop ") + CLUSTERTOP_VERSION);
  app.get_formatter()->column_width(36);
  add_source_options(app, o);
  add_output_options(app, o);

  auto *parse = app.add_subcommand("parse", "Parse a file with one collector; print JSON records");
  parse->footer(kParseFooter);
  parse->add_option("--collector", o.parse_collector, "Collector name (see 'collectors')")
      ->required();
  parse->add_option("input", o.input, "FILE, or - for stdin (default)")->type_name("FILE|-");
  parse->add_option("--collectors-dir", o.collectors_dir, "Extra collector definitions");

  auto *replay = app.add_subcommand("replay", "Replay a recording or plain logs through detectors");
  replay->footer(kReplayFooter);
  replay->add_option("dir", o.replay_dir, "A directory written by --record")->type_name("DIR");
  replay
      ->add_option(
          "--node", o.replay_node_logs,
          "NAME=LOGFILE: replay a plain log as a node (its lines must carry a date or time of "
          "day: exo, vLLM, SGLang; llama.cpp's and mlx-lm's carry none: --record them)")
      ->type_name("NAME=LOGFILE");
  replay
      ->add_option_function<std::string>(
          "--zone",
          [&o](const std::string &v) {
            const auto offset = parse_zone_setting(v);
            if (!offset)
              throw CLI::ValidationError("--zone", "expected a UTC offset as `date +%z` writes "
                                                   "it, such as +0100 or -0500, or UTC; got '" +
                                                       v + "'");
            o.replay_zone = *offset;
          },
          "--node logs' times without a zone are at this UTC offset (default +0000; exo "
          "writes local time: the node's `date +%z`)")
      ->type_name("+HHMM");
  replay->add_option("--speed", o.speed,
                     "Replay speed: a factor (1 = real time) or max (the default)");
  replay->add_option("--until", o.until,
                     "Run the replay clock this long past the last line (default 5m)");
  replay->add_flag("--headless", o.headless, "No dashboard: print alert transitions");
  replay->add_flag("--json", o.json, "Headless output as JSON lines");
  replay->add_option("-c,--config", o.config_path, "Config file (thresholds)");
  add_duration(*replay, "-i,--interval", o.interval, "Replay clock tick (default 1s)");
  add_collectors_dir(*replay, o);
  add_hook_options(*replay, o);
  add_theme_options(*replay, o);
  add_csv_options(*replay, o);
  add_duration(*replay, "--figures-every", o.figures_every,
               "Headless: print each node's figures this often, in replay time (default: never)",
               Zero::allowed);

  auto *snapshot = app.add_subcommand("snapshot", "Connect, collect, write one CSV, exit");
  snapshot->footer(kSnapshotFooter);
  add_source_options(*snapshot, o); // nodes, -c, --log, ssh settings: as for a live run
  snapshot->add_option("-o,--output", o.output, "CSV file to write (- for stdout)")->required();
  add_duration(*snapshot, "--for", o.snapshot_for, "Collect for this long (default 10s)");
  snapshot->add_option("--csv-format", o.csv_format, "wide | long")
      ->check(CLI::IsMember({"wide", "long"}));

  auto *check = app.add_subcommand("check-config", "Validate a config file without connecting");
  check->footer(kCheckFooter);
  check->add_option("file", o.check_config_file, "Config file")->required();
  // The file's collectors_add may name a definition of the user's own, as a run's may.
  add_collectors_dir(*check, o);

  auto *collectors =
      app.add_subcommand("collectors", "List collector definitions and what each needs on a node");
  collectors->footer(kCollectorsFooter);
  collectors->add_option("--collectors-dir", o.collectors_dir, "Extra collector definitions");

  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
    refuse_empty_values(app);
    for (const CLI::App *sub : app.get_subcommands()) {
      refuse_empty_values(*sub);
      refuse_options_the_subcommand_ignores(app, *sub);
    }
  } catch (const CLI::ParseError &e) {
    // The help's reader may go away (`--help | head`): EPIPE, a normal end, not SIGPIPE (141).
    std::signal(SIGPIPE, SIG_IGN);
    out.exit_now = app.exit(e) == 0 ? exit_code::ok : exit_code::usage;
    // --help or --version into a full disk (`>/dev/full`): lost output is exit 74, as for
    // every other command, not 0.
    if (const int lost = out.exit_now == exit_code::ok ? unwritten(stdout) : 0;
        lost != 0 && lost != EPIPE) // a reader that went away (`| head`) is a normal end
      out.exit_now = exit_code::output;
    return out;
  }
  // Which options the command line gave, so the config file fills in only the others.
  auto note_given = [&o](const CLI::App &a) {
    for (const CLI::Option *opt : a.get_options())
      if (opt->count() > 0)
        for (const auto &name : opt->get_lnames()) o.given.insert(name);
  };
  note_given(app);
  for (const CLI::App *sub : app.get_subcommands()) note_given(*sub);
  if (parse->parsed()) {
    o.command = Command::parse;
    if (o.input.empty()) o.input = "-";
  } else if (replay->parsed()) {
    o.command = Command::replay;
  } else if (snapshot->parsed()) {
    o.command = Command::snapshot;
  } else if (check->parsed()) {
    o.command = Command::check_config;
  } else if (app.got_subcommand("collectors")) {
    o.command = Command::collectors;
  }
  return out;
}

} // namespace clustertop
