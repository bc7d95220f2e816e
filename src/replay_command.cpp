#include "clustertop/replay_command.hpp"

#include "clustertop/app.hpp"

#include <cerrno>
#include <chrono>
#include <memory>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/sample_check.hpp"
#include "clustertop/config/config.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/report.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/run_settings.hpp"
#include "clustertop/sink/alert_printer.hpp"
#include "clustertop/sink/csv_sink.hpp"
#include "clustertop/sink/exit_on_alert.hpp"
#include "clustertop/sink/figures_printer.hpp"
#include "clustertop/sink/hook_runner.hpp"
#include "clustertop/transport/replay.hpp"
#include "clustertop/transport/replay_stepper.hpp"
#include "clustertop/tui/tui_sink.hpp"
#include "clustertop/tui/widgets.hpp"

namespace clustertop {
namespace {

void say(const Error &e) { report(stderr, "clustertop: {}\n", e.message()); }

// What the command line asks that no replay can do: a command-line error (exit 2), told
// before anything is read.
std::optional<Error> source_problem(const Options &o) {
  if (!o.replay_node_logs.empty() && !o.replay_dir.empty())
    return Error{"invalid --node", "a recording directory and --node logs were both given",
                 o.replay_dir,
                 "replay one recording (clustertop replay DIR) or plain logs (--node NAME=LOG)"};
  if (o.replay_node_logs.empty() && o.replay_dir.empty())
    return Error{"nothing to replay", "no recording directory and no --node NAME=LOGFILE", "",
                 "clustertop replay DIR, or clustertop replay --node mac1=exo.log ..."};
  // A recording keeps each node's offset as its live run read it: --zone would be ignored.
  if (!o.replay_dir.empty() && o.was_given("zone"))
    return Error{"invalid --zone",
                 "--zone applies to --node logs; a recording keeps the zone "
                 "its live run read on each node",
                 o.replay_dir, "replay the recording without --zone"};
  return std::nullopt;
}

Result<ReplaySource> load_source(const Options &o) {
  if (!o.replay_node_logs.empty())
    return ReplaySource::from_logs(o.replay_node_logs, o.replay_zone);
  return ReplaySource::from_recording(o.replay_dir, !o.until.empty());
}

// The same config lookup as a live run: thresholds come from -c or the default config file.
Result<Rules> load_rules(const Options &o) {
  auto config = find_and_load_config(o.config_path);
  if (!config) return config.error();
  auto rules = rules_from_toml(config->thresholds, config->path);
  // The config's [[node]] hints, for the nodes replayed under their names.
  if (rules) apply_node_hints(*rules, config->nodes);
  return rules;
}

// The dashboard over a replay: the replay clock follows the wall clock times --speed (or
// jumps to the end with --speed max), and the screen stays until `q`.
int run_dashboard(Store &store, Pipeline &pipeline, ReplaySource &source, const ReplayClock &clock,
                  const Options &o, SignalWatcher *signals) {
  tui::TuiConfig tc;
  tc.theme = o.theme;
  tc.themes_dir = o.themes_dir;
  tc.ascii = o.ascii;
  tc.no_color = tui::no_color_from_env();
  // `e` writes the replayed store at the replay time, into --csv-dir or the current
  // directory, as in a live run; with --csv-dir, --csv-every and --csv-on-alert too.
  auto co = csv_sink_options(o, /*key_only=*/o.csv_dir.empty());
  if (!co) return say(co.error()), exit_code::usage;
  // Periodic and alert files that fail say so (in the status line while the screen is up, on
  // stderr after), as in a live run; `e` says its own. They failed without a word.
  if (!o.csv_dir.empty()) co->on_error = [](const Error &e) { say(e); };
  auto csv = CsvSink::create(store, *co);
  if (!csv && !o.csv_dir.empty()) return say(csv.error()), exit_code::config;
  std::unique_ptr<CsvSink> csv_sink;
  if (csv) {
    csv_sink = std::move(*csv);
    tc.write_csv = [s = csv_sink.get()](TimePoint now) { return s->snapshot_now(now); };
  }
  std::vector<std::string> warnings;
  auto tui = tui::TuiSink::create(store, std::move(tc), warnings);
  for (const auto &w : warnings) report(stderr, "clustertop: warning: {}\n", w);
  if (!tui) return say(tui.error()), exit_code::config;
  pipeline.add_sink(**tui);
  if (csv_sink) pipeline.add_sink(*csv_sink); // learns the alerts firing at each tick
  if (auto s = (*tui)->start(); !s) return say(s.error()), exit_code::config;
  ReplayStepper stepper(source, pipeline, clock);
  const auto wall0 = std::chrono::steady_clock::now();
  while (true) {
    const auto elapsed = std::chrono::steady_clock::now() - wall0;
    const TimePoint target =
        clock.speed > 0
            ? stepper.start() + std::chrono::duration_cast<Duration>(elapsed * clock.speed)
            : stepper.end();
    stepper.advance_to(target);
    // Past the replay's end no tick comes: the hooks its last alerts started end later, and
    // their output and exit status waited for the exit, printed after the screen was gone.
    if (stepper.done()) pipeline.idle();
    (*tui)->redraw(stepper.now());
    pollfd fds[3] = {{(*tui)->input_fd(), POLLIN, 0},
                     {signals ? signals->fd() : -1, POLLIN, 0},
                     {(*tui)->message_fd(), POLLIN, 0}};
    ::poll(fds, 3, stepper.done() ? 1000 : 50);
    if ((fds[2].revents & POLLIN) != 0) (*tui)->on_messages();
    if ((fds[1].revents & POLLIN) != 0 && signals->take() != 0) break;
    if ((fds[0].revents & POLLIN) != 0 && (*tui)->on_input(stepper.now())) break;
    if ((fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0 && (fds[0].revents & POLLIN) == 0)
      break;
  }
  (*tui)->stop();
  if (!source.empty()) pipeline.end_watch(stepper.now());
  pipeline.flush(); // while the dashboard, one of its sinks, still exists
  return exit_code::ok;
}

// --csv-every and --csv-on-alert need a --csv-dir this user can make files in.
std::optional<Error> csv_problem(const Options &o) {
  if (o.csv_dir.empty()) {
    if (o.csv_every > Duration::zero() || o.csv_on_alert)
      return Error{"--csv-every and --csv-on-alert need a CSV directory", "no --csv-dir given", "",
                   "add --csv-dir DIR"};
    return std::nullopt;
  }
  if (const auto why = why_no_file_in(o.csv_dir))
    return Error{"cannot use the csv_dir directory", *why, o.csv_dir, "fix --csv-dir"};
  return std::nullopt;
}

} // namespace

int run_replay_command(const Options &o, SignalWatcher *signals) {
  auto clock = replay_clock(o);
  if (!clock) return say(clock.error()), exit_code::usage;
  if (auto problem = source_problem(o)) return say(*problem), exit_code::usage;
  if (auto problem = csv_problem(o)) return say(*problem), exit_code::usage;
  auto rules = load_rules(o);
  if (!rules) return say(rules.error()), exit_code::config;
  std::vector<std::string> warnings;
  std::vector<std::string> dirs;
  if (!o.collectors_dir.empty()) dirs.push_back(o.collectors_dir);
  auto set = CollectorSet::load(dirs, warnings);
  for (const auto &w : warnings) report(stderr, "clustertop: warning: {}\n", w);
  if (!set) return say(set.error()), exit_code::config;
  if (auto s = samples_pass(**set); !s) return say(s.error()), exit_code::config;
  auto source = load_source(o);
  // A --node spec or name that is wrong is the command line's; a file that cannot be read, the
  // input's.
  if (!source)
    return say(source.error()),
           source.error().what == "invalid --node" ? exit_code::usage : exit_code::config;
  Ingest ingest(*set);
  Store store;
  for (const auto &node : source->nodes()) store.declare_node(node); // --node order
  for (const auto &[node, zone] : source->log_zones()) store.set_log_zone(node, zone);
  Pipeline pipeline(store, ingest_handler(ingest), std::move(*rules));
  std::unique_ptr<HookRunner> hook;
  if (!o.on_alert.empty()) {
    hook = std::make_unique<HookRunner>(o.on_alert, o.hook_timeout);
    hook->stop_waiting_on(signals != nullptr ? signals->fd() : -1);
    pipeline.add_sink(*hook);
  }
  int code = exit_code::ok;
  if (o.headless || !terminals()) {
    AlertPrinter printer(stdout, o.json);
    pipeline.add_sink(printer);
    // Figures lines in replay time, when asked (a replay prints only its alerts by default).
    std::optional<FiguresPrinter> figures;
    if (o.was_given("figures-every") && o.figures_every > Duration::zero())
      pipeline.add_sink(figures.emplace(stdout, o.json, o.figures_every));
    // CSV files as the live run wrote them, named and stamped with the replay's times.
    std::unique_ptr<CsvSink> csv;
    if (!o.csv_dir.empty()) {
      auto co = csv_sink_options(o, /*key_only=*/false);
      if (!co) return say(co.error()), exit_code::usage;
      co->on_error = [](const Error &e) { say(e); };
      auto made = CsvSink::create(store, *co);
      if (!made) return say(made.error()), exit_code::config;
      csv = std::move(*made);
      pipeline.add_sink(*csv);
    }
    std::optional<ExitOnAlert> exit_on;
    if (!o.exit_on.empty()) pipeline.add_sink(exit_on.emplace(o.exit_on));
    int signal = 0;
    const auto stop = [&] { // take() does not wait
      if (signals != nullptr && signal == 0) signal = signals->take();
      return signal != 0 || std::ferror(stdout) != 0; // a signal, or nobody reading any more
    };
    const auto halt = [&] { return exit_on->fired().has_value(); }; // --exit-on's alert
    const ReplayEnd end =
        run_replay(*source, pipeline, *clock, stop, exit_on ? halt : std::function<bool()>{});
    if (!source->empty()) pipeline.end_watch(end.at);
    pipeline.flush();
    int lost = unwritten(stdout);                                    // the last buffer too
    if (lost != 0 && printer.failed() != 0) lost = printer.failed(); // its errno, when known
    if (end.gaps_skipped > 0)
      report(stderr,
             "clustertop: replay jumped {} stretch{} without lines ({} of replay time in "
             "all), ticking only the first {} of each\n",
             end.gaps_skipped, end.gaps_skipped == 1 ? "" : "es", format_age(end.time_skipped),
             format_age(ReplayStepper::kIdleTicking));
    if (signal != 0) {
      report(stderr, "clustertop: replay interrupted at {}\n", iso8601_utc(end.at));
      code = exit_code::interrupted;
    } else if (exit_on && exit_on->fired()) {
      report(stderr, "clustertop: {}; replay stopped\n", exit_on->said());
      code = exit_code::alert;
    } else if (lost == EPIPE) { // the reader had what it wanted (`| head`)
      report(stderr, "clustertop: replay stopped: output closed at {}\n", iso8601_utc(end.at));
    } else if (lost != 0) {
      report(stderr, "clustertop: replay stopped at {}: cannot write standard output: {}\n",
             iso8601_utc(end.at), output_failure(lost));
      code = exit_code::output;
    }
  } else if (!o.exit_on.empty()) {
    return say(ExitOnAlert::needs_headless()), exit_code::usage;
  } else {
    code = run_dashboard(store, pipeline, *source, *clock, o, signals);
  }
  for (const auto &w : source->warnings()) report(stderr, "clustertop: warning: {}\n", w);
  if (source->skipped() > 0)
    report(stderr, "clustertop: replay skipped {} malformed records\n", source->skipped());
  // exo prints its [STEP N] lines bare: replayed, a generation between two stamped lines
  // read as a hang from the first of them, without a word.
  const ReplaySource::LogCounts counts = source->log_counts();
  if (const auto bare = counts.unstamped; bare >= 100 && bare * 10 >= counts.lines)
    report(stderr,
           "clustertop: warning: {} of the {} lines replayed carry no time of their own: each "
           "took the time of the stamped line before it. Where they are progress lines (exo's "
           "[STEP N] lines), a generation between two stamped lines is seen at the first of "
           "them, and may read as a stall; a recording made with --record keeps each line's "
           "arrival time\n",
           bare, counts.lines);
  if (const std::size_t late = counts.late_stamps; late > 0)
    report(stderr,
           "clustertop: replay read {} line{} stamped more than {} after the line before and "
           "after {} log file was last modified (a clock gone wrong): {} took the time of the "
           "line before it\n",
           late, late == 1 ? "" : "s", format_age(ReplaySource::kStrayJump),
           late == 1 ? "its" : "their", late == 1 ? "it" : "each");
  // As `parse` says it: a replay of a log with runaway lines was silent about them.
  if (const std::size_t cut = counts.cut_lines; cut > 0)
    report(stderr,
           "clustertop: replay cut {} line{} longer than {} bytes (read up to there; the rest of "
           "each was not)\n",
           cut, cut == 1 ? "" : "s", ReplaySource::kMaxLineBytes);
  return code;
}

} // namespace clustertop
