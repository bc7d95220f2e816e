// `clustertop replay`: a recording or plain logs through the real parsers, detectors and
// the headless alert output.
#include <fmt/format.h>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/sink/alert_printer.hpp"
#include "clustertop/sink/hook_runner.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {
namespace {

// The [thresholds] table of the config file, if one was given.
Result<Rules> load_rules(const std::string &path) {
  if (path.empty()) return Rules{};
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    return Error{"invalid config file", std::string(e.description()),
                 fmt::format("{}:{}", path, e.source().begin.line),
                 "fix the TOML syntax at that line"};
  }
  const auto *t = doc["thresholds"].as_table();
  if (t == nullptr) return Rules{};
  return rules_from_toml(*t, path);
}

Result<ReplaySource> load_source(const Options &o) {
  if (!o.replay_node_logs.empty()) return ReplaySource::from_logs(o.replay_node_logs);
  if (!o.replay_dir.empty()) return ReplaySource::from_recording(o.replay_dir);
  return Error{"nothing to replay", "no recording directory and no --node NAME=LOGFILE", "",
               "clustertop replay DIR, or clustertop replay --node mac1=exo.log ..."};
}

} // namespace

int run_replay_command(const Options &o) {
  auto clock = replay_clock(o);
  if (!clock) {
    fmt::print(stderr, "clustertop: {}\n", clock.error().message());
    return exit_code::usage;
  }
  auto rules = load_rules(o.config_path);
  if (!rules) {
    fmt::print(stderr, "clustertop: {}\n", rules.error().message());
    return exit_code::config;
  }
  std::vector<std::string> warnings;
  std::vector<std::string> dirs;
  if (!o.collectors_dir.empty()) dirs.push_back(o.collectors_dir);
  auto set = CollectorSet::load(dirs, warnings);
  for (const auto &w : warnings) fmt::print(stderr, "clustertop: warning: {}\n", w);
  if (!set) {
    fmt::print(stderr, "clustertop: {}\n", set.error().message());
    return exit_code::config;
  }
  auto source = load_source(o);
  if (!source) {
    fmt::print(stderr, "clustertop: {}\n", source.error().message());
    return source.error().what == "nothing to replay" ? exit_code::usage : exit_code::config;
  }
  Ingest ingest(*set);
  Store store;
  Pipeline pipeline(store, ingest_handler(ingest), std::move(*rules));
  AlertPrinter printer(stdout, o.json);
  pipeline.add_sink(printer);
  std::unique_ptr<HookRunner> hook;
  if (!o.on_alert.empty()) {
    hook = std::make_unique<HookRunner>(o.on_alert, o.hook_timeout);
    pipeline.add_sink(*hook);
  }
  run_replay(*source, pipeline, *clock);
  pipeline.flush();
  if (source->skipped() > 0)
    fmt::print(stderr, "clustertop: replay skipped {} malformed records\n", source->skipped());
  return exit_code::ok;
}

} // namespace clustertop
