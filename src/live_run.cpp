#include "clustertop/live_run.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/sample_check.hpp"
#include "clustertop/config/config.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/core/report.hpp"
#include "clustertop/core/stoppable_output.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/inventory.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/run_settings.hpp"
#include "clustertop/sink/alert_printer.hpp"
#include "clustertop/sink/csv.hpp"
#include "clustertop/sink/csv_sink.hpp"
#include "clustertop/sink/exit_on_alert.hpp"
#include "clustertop/sink/figures_printer.hpp"
#include "clustertop/sink/hook_runner.hpp"
#include "clustertop/sink/http_server.hpp"
#include "clustertop/sink/prometheus_sink.hpp"
#include "clustertop/sink/recorder.hpp"
#include "clustertop/transport/local_transport.hpp"
#include "clustertop/transport/ssh.hpp"
#include "clustertop/tui/tui_sink.hpp"

namespace clustertop {
namespace {

void say_error(const Error &e) { report(stderr, "clustertop: {}\n", e.message()); }

// Everything a live run owns, in construction order (destroyed in reverse: sinks after the
// transports have stopped).
struct Parts {
  Options o;
  std::string config_path; // the config file read; "" when none
  KeyPlaces config_places; // where it set its [sinks] and [ssh] keys, for file:line
  SshOptions ssh;
  Rules rules;
  std::shared_ptr<const CollectorSet> collectors;
  Inventory inventory;
  EventQueue queue;
  Store store;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<StoppableOutput> out; // headless output (stdout); see stoppable_output.hpp
  std::unique_ptr<ExitOnAlert> exit_on; // --exit-on
  std::unique_ptr<AlertPrinter> alerts;
  std::unique_ptr<FiguresPrinter> figures;
  std::unique_ptr<HookRunner> hook;
  std::unique_ptr<CsvSink> csv;
  std::unique_ptr<CsvSink> csv_on_key; // the dashboard's `e` when no --csv-dir is set
  std::unique_ptr<PrometheusSink> prometheus;
  std::unique_ptr<tui::TuiSink> tui;
  std::vector<std::unique_ptr<Transport>> transports;
};

Status load_parts(const Options &cli, Parts &p) {
  auto config = find_and_load_config(cli.config_path);
  if (!config) return config.error();
  p.o = merge_settings(cli, *config);
  p.config_path = config->path;
  p.config_places = config->places;
  auto ssh = ssh_options_from(p.o); // the config file's host_key_checking is checked here
  if (!ssh) return ssh.error();
  p.ssh = std::move(*ssh);
  auto rules = rules_from_toml(config->thresholds, config->path);
  if (!rules) return rules.error();
  p.rules = std::move(*rules);
  std::vector<std::string> warnings;
  auto collectors =
      CollectorSet::load(p.o.collectors_dir.empty() ? std::vector<std::string>{}
                                                    : std::vector<std::string>{p.o.collectors_dir},
                         warnings);
  for (const auto &w : warnings) report(stderr, "clustertop: warning: {}\n", w);
  if (!collectors) return collectors.error();
  if (auto s = samples_pass(**collectors); !s) return s.error();
  p.collectors = std::move(*collectors);
  auto inventory = build_inventory(p.o, *config, p.collectors);
  if (!inventory) return inventory.error();
  p.inventory = std::move(*inventory);
  // The config's nodes are the run's unless the command line named others (build_inventory).
  if (p.o.nodes.empty()) apply_node_hints(p.rules, config->nodes);
  return ok_status();
}

Status add_sinks(Parts &p, const LiveMode &mode, const SignalWatcher &signals) {
  auto &pipe = *p.pipeline;
  if (!p.o.record_dir.empty()) {
    auto rec = Recorder::open(p.o.record_dir, wall_now());
    if (!rec) return rec.error();
    p.recorder = std::move(*rec);
    pipe.add_sink(*p.recorder);
    for (const auto &[node, zone] : p.inventory.log_zones)
      p.recorder->log_zone(node, zone, wall_now());
  }
  if (!mode.dashboard && !mode.run_for) {
    p.out = std::make_unique<StoppableOutput>(STDOUT_FILENO, signals.fd());
    if (p.out->file() == nullptr)
      return Error{"cannot set up standard output", std::strerror(errno), "", ""};
    p.alerts = std::make_unique<AlertPrinter>(p.out->file(), p.o.json);
    pipe.add_sink(*p.alerts);
    const Duration every = p.o.figures_every < Duration::zero() ? p.o.interval : p.o.figures_every;
    p.figures = std::make_unique<FiguresPrinter>(p.out->file(), p.o.json, every);
    pipe.add_sink(*p.figures);
  }
  if (!p.o.on_alert.empty()) {
    p.hook = std::make_unique<HookRunner>(p.o.on_alert, p.o.hook_timeout);
    p.hook->stop_waiting_on(signals.fd()); // a second Ctrl-C ends the exit's wait for hooks
    pipe.add_sink(*p.hook);
  }
  if (!p.o.exit_on.empty()) {
    p.exit_on = std::make_unique<ExitOnAlert>(p.o.exit_on);
    pipe.add_sink(*p.exit_on);
  }
  auto co = csv_sink_options(p.o, /*key_only=*/false);
  if (!co) return co.error();
  if (!p.o.csv_dir.empty()) {
    co->on_error = [](const Error &e) { say_error(e); };
    auto csv = CsvSink::create(p.store, *co);
    if (!csv) return csv.error();
    p.csv = std::move(*csv);
    pipe.add_sink(*p.csv);
  }
  if (!p.o.listen.empty()) {
    auto prom = PrometheusSink::start(p.o.listen);
    if (!prom) return listen_error_as_given(p.o, p.config_places, prom.error());
    p.prometheus = std::move(*prom);
    pipe.add_sink(*p.prometheus);
    // A port the system picked is of no use unless we say which it is.
    if (const auto asked = parse_listen_address(p.o.listen); asked && asked->port == 0) {
      const auto &host = p.prometheus->host();
      report(stderr, "clustertop: serving /metrics on {}:{}\n",
             host.find(':') != std::string::npos ? "[" + host + "]" : host, p.prometheus->port());
    }
  }
  return ok_status();
}

Status add_dashboard(Parts &p) {
  tui::TuiConfig tc;
  tc.theme = p.o.theme;
  tc.themes_dir = p.o.themes_dir;
  tc.ascii = p.o.ascii;
  tc.no_color = tui::no_color_from_env();
  if (!p.csv) { // `e` into the current directory, in the format asked for
    auto co = csv_sink_options(p.o, /*key_only=*/true);
    auto csv = co ? CsvSink::create(p.store, *co) : Result<std::unique_ptr<CsvSink>>(co.error());
    if (csv) {
      p.csv_on_key = std::move(*csv);
      p.pipeline->add_sink(*p.csv_on_key); // learns the alerts firing at each tick
    }
  }
  CsvSink *csv = p.csv ? p.csv.get() : p.csv_on_key.get();
  if (csv != nullptr) tc.write_csv = [csv](TimePoint now) { return csv->snapshot_now(now); };
  std::vector<std::string> warnings;
  auto tui = tui::TuiSink::create(p.store, std::move(tc), warnings);
  for (const auto &w : warnings) report(stderr, "clustertop: warning: {}\n", w);
  if (!tui) return tui.error();
  p.tui = std::move(*tui);
  p.pipeline->add_sink(*p.tui);
  return ok_status();
}

void start_transports(Parts &p) {
  for (auto &node : p.inventory.local) p.transports.push_back(make_local_transport(node, p.queue));
  if (!p.inventory.remote.empty()) {
    p.transports.push_back(make_ssh_transport(p.inventory.remote, p.ssh, p.queue));
  }
  for (auto &t : p.transports) t->start();
}

bool any_node_up(const Store &store) {
  return std::any_of(store.nodes().begin(), store.nodes().end(), [&](const std::string &n) {
    const auto *info = store.node(n);
    return info != nullptr && (info->state == NodeState::up || info->state == NodeState::stale);
  });
}

// Whether a snapshot whose --for ended at `ended` may be written: no node is still inside a
// connect, every node that is up has sent something and a line from each of its sampler
// streams that is up (`heard`: Ingest's counts), and one that came up after `ended` has had
// `window` to send (written at once, its row was "up" with every figure empty, exit 0).
// The caller bounds the wait (--connect-timeout + 5 s).
bool snapshot_settled(const Store &store, const std::vector<StreamCount> &heard, TimePoint now,
                      TimePoint ended, Duration window) {
  // A sampler stream that is up and has sent no line yet: its figures would be empty cells.
  // (Not the zone stream, whose clock reading comes first, nor a log, which may be quiet.)
  const auto silent_sampler = [&](const std::string &node, const std::string &stream,
                                  const NodeStatus &st) {
    if (st.state != NodeState::up || stream == kZoneStream ||
        stream_collector(stream) == kLogCollector)
      return false;
    return std::none_of(heard.begin(), heard.end(), [&](const StreamCount &c) {
      return c.node == node && c.stream == stream && c.parsed + c.skipped > 0;
    });
  };
  return std::none_of(store.nodes().begin(), store.nodes().end(), [&](const std::string &n) {
    const auto *info = store.node(n);
    if (info == nullptr || info->state == NodeState::connecting) return true;
    if (info->state != NodeState::up) return false;
    // Up but nothing from it yet (a slow ~/.bashrc holds every command), or up only since
    // --for ended: its row would be all empty cells. Up and heard from, but not yet from a
    // sampler (its first memory reading came ~3 s after the zone stream's clock reading): the
    // row had every figure empty, exit 0.
    if (!info->last_data || (info->since > ended && now - info->since < window)) return true;
    return std::any_of(info->streams.begin(), info->streams.end(),
                       [&](const auto &s) { return silent_sampler(n, s.first, s.second); });
  });
}

// 0, or why standard output lost what the headless printers (or a snapshot to `-o -`) wrote:
// the printers' own errno where they saw the write fail.
int headless_output_lost(const Parts &p) {
  const int lost = unwritten(p.out->file());
  if (lost == 0 || p.out->gave_up()) return 0; // a stop signal's doing, said where it ended
  if (p.alerts && p.alerts->failed() != 0) return p.alerts->failed();
  if (p.figures && p.figures->failed() != 0) return p.figures->failed();
  return lost;
}

// A gap between two wake-ups of the loop that says the process did not run, and how long
// the alerts are then held while the transports deliver what piled up.
constexpr Duration kStoppedGap = std::chrono::seconds(5);
constexpr Duration kCatchUp = std::chrono::seconds(3);

// Lines a transport could not queue (a burst over ssh faster than the pipeline reads, past
// the queue's bound): said on stderr as they happen, not lost without a word. A local log's
// reader waits for room instead (EventQueue::try_push).
void say_dropped_lines(const EventQueue &queue, std::uint64_t &said) {
  const std::uint64_t dropped = queue.dropped_lines();
  if (dropped == said) return;
  report(stderr,
         "clustertop: {} log lines dropped ({} in all): more arrived at once than clustertop "
         "could queue\n",
         dropped - said, dropped);
  said = dropped;
}

// The main loop: wakes on new data, a key, a signal or the tick; returns the exit code.
int loop(Parts &p, SignalWatcher &signals, const LiveMode &mode) {
  auto start = wall_now();
  const Duration tick = run_tick(p.o);
  // All nodes unreachable at start: give connects their timeout plus a probe's worth.
  auto give_up_at = start + p.o.connect_timeout + std::chrono::seconds(5);
  bool ever_up = false;
  std::uint64_t dropped_said = 0;
  auto next_tick = start + tick;
  auto last_wake = start;
  WallClockWatch wall_clock;
  wall_clock.observe(start, boot_now());
  while (true) {
    auto now = wall_now();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now);
    // Without a dashboard, stdout is watched too (no events asked: a pipe whose reader has
    // gone reports POLLERR), so that `clustertop --headless | head -1` ends.
    pollfd fds[5] = {{p.queue.wake_fd(), POLLIN, 0},
                     {signals.fd(), POLLIN, 0},
                     {p.tui ? p.tui->input_fd() : -1, POLLIN, 0},
                     {p.tui ? -1 : STDOUT_FILENO, 0, 0},
                     {p.tui ? p.tui->message_fd() : -1, POLLIN, 0}};
    ::poll(fds, 5, static_cast<int>(std::clamp<long long>(wait.count(), 0, 1000)));
    now = wall_now();
    if (const auto step = wall_clock.observe(now, boot_now())) {
      // Everything this loop waits for moves with the clock; the nodes' clocks are that much
      // further off it; lines read before this wake-up were placed by the old skews.
      for (auto *t : {&start, &give_up_at, &next_tick, &last_wake}) *t += *step;
      p.store.our_clock_stepped(*step);
      p.pipeline->clock_stepped(*step);
      p.pipeline->hold_alerts_until(now, now + kCatchUp);
      report(stderr,
             "clustertop: this machine's clock was stepped {} {}; the nodes' clocks are "
             "read against it from here\n",
             format_age(std::chrono::round<std::chrono::seconds>(std::chrono::abs(*step))),
             *step > Duration::zero() ? "forward" : "back");
    }
    // The loop wakes at least once a second: a longer gap means this process was stopped
    // (Ctrl-Z, SIGSTOP) or starved, and what the nodes sent meanwhile is still arriving.
    if (now - last_wake > kStoppedGap) {
      p.pipeline->hold_alerts_until(now, now + kCatchUp);
      p.store.we_were_stopped(now);
    }
    last_wake = now;
    // A signal ends a watch normally; it interrupts a one-shot snapshot (nothing written).
    if ((fds[1].revents & POLLIN) != 0 && signals.take() != 0)
      return mode.run_for ? exit_code::interrupted : exit_code::ok;
    // A reader that went away ends the watch as a signal would; a write that failed
    // otherwise (a full disk) lost alerts, which the exit code must say.
    if ((fds[3].revents & (POLLERR | POLLHUP)) != 0) {
      report(stderr, "clustertop: standard output closed; stopping\n");
      return exit_code::ok;
    }
    if (p.out && std::ferror(p.out->file()) != 0 && !p.out->gave_up()) {
      const int lost = headless_output_lost(p);
      report(stderr, "clustertop: cannot write standard output: {}; stopping\n",
             output_failure(lost));
      return lost == EPIPE ? exit_code::ok : exit_code::output;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      p.pipeline->process(p.queue.drain(), now);
      say_dropped_lines(p.queue, dropped_said);
    }
    if ((fds[4].revents & POLLIN) != 0) p.tui->on_messages();
    if (p.tui && (fds[2].revents & POLLIN) != 0 && p.tui->on_input(now)) return exit_code::ok;
    // The terminal went away without a SIGHUP: nobody is watching any more.
    if (p.tui && (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0 &&
        (fds[2].revents & POLLIN) == 0)
      return exit_code::ok;
    if (now >= next_tick) {
      p.pipeline->tick(now);
      next_tick = std::max(next_tick + tick, now);
      ever_up = ever_up || any_node_up(p.store);
      if (!ever_up && !p.tui && !mode.run_for && now >= give_up_at) {
        report(stderr, "clustertop: no node could be reached in {:.0f}s; giving up\n",
               to_seconds(now - start));
        for (const auto &n : p.store.nodes())
          if (const auto *info = p.store.node(n))
            report(stderr, "  {}: {}\n", n,
                   info->detail.empty() ? to_string(info->state) : info->detail);
        return exit_code::unreachable;
      }
    }
    if (p.tui) p.tui->redraw(now);
    // A snapshot waits past --for for a node still inside its connect (a jump host takes
    // seconds): `--for 1s` called a node two seconds into a good connect unreachable, exit 4.
    if (mode.run_for && now - start >= *mode.run_for &&
        (now >= give_up_at ||
         snapshot_settled(p.store, p.ingest->counts(), now, start + *mode.run_for,
                          std::min<Duration>(*mode.run_for, std::chrono::seconds(2)))))
      return exit_code::ok;
    if (p.exit_on && p.exit_on->fired()) {
      report(stderr, "clustertop: {}; stopping\n", p.exit_on->said());
      return exit_code::alert;
    }
  }
}

// Where `snapshot -o PATH` will write: a regular file (new or not) in a directory that
// exists; the atomic write refuses anything else (a device, a symlink), so it is said now
// rather than after --for.
Status check_snapshot_path(const std::string &path) {
  if (path == "-") return ok_status();
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{"cannot write the snapshot", "its directory does not exist", path,
                 "create the directory first or fix the path"};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Error{"cannot write the snapshot", "it is a directory", path,
                 "name a file, such as " + (path.back() == '/' ? path : path + "/") +
                     "snapshot.csv"};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return Error{"cannot write the snapshot",
                 S_ISLNK(st.st_mode) ? "it is a symbolic link" : "it is not a regular file", path,
                 "name a new or regular file (use -o - for standard output)"};
  // The write makes a temporary file beside the target: one made (and removed) now says a
  // directory this user cannot write (permissions, a read-only mount; as root, where
  // permission bits do not apply, only the attempt tells) before --for, not after it. What
  // only the write can tell (a full disk) stays exit 74 then.
  if (const auto why = why_no_file_in(dir))
    return Error{"cannot write the snapshot",
                 fmt::format("cannot create a file in its directory: {}", *why), path,
                 "choose a directory you can write (or -o - for standard output)"};
  return ok_status();
}

int write_snapshot_and_report(Parts &p) {
  const auto now = wall_now();
  auto format = parse_csv_format(p.o.csv_format);
  CsvFormat f = format ? *format : CsvFormat::wide;
  if (auto s = write_snapshot(p.store, p.pipeline->firing(), now, p.o.output, f); !s) {
    say_error(s.error());
    return exit_code::output; // a full disk, a missing directory: the snapshot is lost
  }
  int unreachable = 0;
  for (const auto &n : p.store.nodes()) {
    const auto *info = p.store.node(n);
    if (info == nullptr || info->state == NodeState::up || info->state == NodeState::stale)
      continue;
    ++unreachable;
    report(stderr, "clustertop: {} was not reachable: {}\n", n, info->detail);
  }
  return unreachable == 0 ? exit_code::ok : exit_code::unreachable;
}

} // namespace

int check_live_config(const Options &cli) {
  Options o = cli;
  o.config_path = cli.check_config_file;
  Parts p;
  Status s = load_parts(o, p);
  if (s && !p.o.listen.empty()) {
    // (A listen that does not parse is check_settings' to say, below.)
    if (auto address = parse_listen_address(p.o.listen); address)
      s = HttpServer::check_address(*address); // what the run's bind would fail on first
    if (!s) s = listen_error_as_given(p.o, p.config_places, s.error());
  }
  if (s) {
    if (auto format = parse_csv_format(p.o.csv_format); !format) s = format.error();
  }
  if (!s) {
    say_error(s.error());
    return exit_code::config;
  }
  if (auto problem = check_settings(p.o, p.config_places)) {
    say_error(problem->error);
    return exit_code::config; // the file's settings, whichever flag would have been wrong
  }
  if (p.inventory.this_machine_by_default)
    report(stdout, "OK: {}: no [[node]]; a run watches this machine\n", o.config_path);
  else
    report(stdout, "OK: {}: {} node(s)\n", o.config_path,
           p.inventory.local.size() + p.inventory.remote.size());
  if (const int lost = unwritten(stdout); lost != 0) {
    report(stderr, "clustertop: cannot write standard output: {}\n", output_failure(lost));
    return exit_code::output;
  }
  return exit_code::ok;
}

int run_live(const Options &cli, SignalWatcher &signals, LiveMode mode) {
  // A node on the command line that is not one, or one named twice, is a bad command line
  // (2), not a bad config.
  std::set<std::string> named;
  for (const auto &arg : cli.nodes) {
    NodeSpec here;
    here.name = "local";
    auto parsed = arg == "local" ? Result<NodeSpec>(here) : parse_node_argument(arg);
    if (!parsed) {
      say_error(parsed.error());
      return exit_code::usage;
    }
    if (!named.insert(parsed->name).second) {
      say_error(node_named_twice(parsed->name, "command line"));
      return exit_code::usage;
    }
  }
  Parts p;
  if (auto s = load_parts(cli, p); !s) {
    say_error(s.error());
    return exit_code::config;
  }
  // A snapshot writes its one file to -o: the config's CSV triggers are not its business.
  if (auto problem = check_settings(p.o, p.config_places, mode.run_for.has_value())) {
    say_error(problem->error);
    return problem->exit_code;
  }
  if (!p.o.exit_on.empty() && (mode.dashboard || mode.run_for)) {
    say_error(ExitOnAlert::needs_headless());
    return exit_code::usage;
  }
  // Before collecting for --for, not after: a mistyped directory is news at once.
  if (auto s = mode.run_for ? check_snapshot_path(p.o.output) : ok_status(); !s) {
    say_error(s.error());
    return exit_code::usage;
  }
  for (const auto *group : {&p.inventory.local, &p.inventory.remote})
    for (const auto &node : *group) p.store.declare_node(node.name);
  for (const auto &[node, zone] : p.inventory.log_zones) p.store.set_log_zone(node, zone);
  p.ingest = std::make_unique<Ingest>(p.collectors);
  p.pipeline = std::make_unique<Pipeline>(p.store, ingest_handler(*p.ingest), p.rules);
  if (auto s = add_sinks(p, mode, signals); !s) {
    say_error(s.error());
    return exit_code::config;
  }
  if (mode.dashboard && !mode.run_for) {
    if (auto s = add_dashboard(p); !s) {
      say_error(s.error());
      return exit_code::config;
    }
    if (auto s = p.tui->start(); !s) {
      say_error(s.error());
      return exit_code::config;
    }
  }
  start_transports(p);
  int code = loop(p, signals, mode);
  for (auto &t : p.transports) t->stop();
  // What is still to be written gets a moment, not for ever: a reader that stopped reading
  // must not keep a stopped watch alive. (After the transports' stop, which may take a while
  // with hung nodes, so that the moment is the writes' own.)
  if (p.out) p.out->stop_after(std::chrono::seconds(2));
  // Lines still queued reach the recorder and parsers; statuses from the shutdown itself
  // ("stopped") are not news about the nodes and would raise false node_down alerts.
  std::vector<Event> last;
  for (auto &e : p.queue.drain())
    if (std::holds_alternative<LineBatch>(e)) last.push_back(std::move(e));
  // One time for the last drain, the end of the watch and its recording's E record, so that
  // a replay of the recording ends where this run did and writes the same stop files.
  const TimePoint end = wall_now();
  p.pipeline->process(last, end);
  p.pipeline->end_watch(end);
  if (p.recorder) p.recorder->finish(end);
  if (p.tui) p.tui->stop();
  if (mode.run_for && code == exit_code::interrupted)
    report(stderr, "clustertop: snapshot interrupted; nothing written\n");
  else if (mode.run_for)
    code = std::max(code, write_snapshot_and_report(p));
  p.pipeline->flush();
  // Headless alerts (or a snapshot to `-o -`) that a full disk lost, even in the last
  // buffer, written only now.
  // (A snapshot reports its own write.)
  if (const int lost = !p.out || code == exit_code::output ? 0 : headless_output_lost(p);
      lost != 0 && lost != EPIPE) {
    report(stderr, "clustertop: cannot write standard output: {}\n", output_failure(lost));
    code = std::max(code, exit_code::output);
  }
  if (p.out && p.out->gave_up())
    report(stderr, "clustertop: standard output was not read; stopped without the rest\n");
  return code;
}

} // namespace clustertop
