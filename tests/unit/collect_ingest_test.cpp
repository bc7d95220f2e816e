// Ingest, probe and stream planning on real commands: the meminfo loop on this machine's
// /proc/meminfo, tail -F on a real file, and recorded nvidia-smi output.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/core/line_splitter.hpp"
#include "clustertop/detect/detect_view.hpp"
#include "clustertop/detect/detectors.hpp"
#include "clustertop/sink/figures_printer.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "collect_test_util.hpp"

namespace clustertop {
namespace {

Platform linux_platform() {
  Platform p;
  p.os = "Linux";
  p.arch = "x86_64";
  p.commands = {"bash", "tail", "awk"};
  return p;
}

// The output of `probe` run by /bin/sh here, as a node's shell would, after `env` (assignments).
std::string run_probe(const std::string &env, const std::string &probe) {
  ::setenv("CT_PROBE", probe.c_str(), 1);
  FILE *f = ::popen((env + " /bin/sh -c \"$CT_PROBE\"").c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[512];
  while (f != nullptr && std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  if (f != nullptr) ::pclose(f);
  return out;
}

TEST(CollectProbe, ProbeCommandRunsHereAndParses) {
  // In a zone 5:30 ahead of UTC (a POSIX TZ string: no zone database needed), so that the
  // offset read is the probe's and not a default of 0.
  const std::string out = run_probe("TZ=XST-5:30", probe_command());
  const Platform p = parse_probe(out);
  EXPECT_EQ(p.os, "Linux");
  EXPECT_FALSE(p.arch.empty());
  EXPECT_EQ(p.commands.count("tail"), 1u);
  EXPECT_GT(p.mem_total_bytes, 1e8);
  EXPECT_EQ(p.utc_offset, std::chrono::minutes{330}) << out;
}

// A user's collector that needs a tool of its own (`when.commands: ["ct-macmon"]`) never
// started: the probe asked only for the shipped definitions' tools. It asks for every loaded
// definition's, each quoted; a name that is not a program name is refused at load.
TEST(CollectProbe, TheProbeAsksForTheToolsOfEveryLoadedDefinition) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("clustertop_probe_tools_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "bin");
  const auto def = [](const std::string &command) {
    return R"json({"name": "simmacmon", "type": "sampler", "command": "true",
               "when": {"os": ["Linux"], "commands": [")json" +
           command + R"json("]},
               "parse": {"kind": "regex", "rules": [{"name": "r", "prefilter": "w=",
                         "regex": "w=(?<w>\\d+)", "metrics": {"w": "gpu.power_w"}}]},
               "samples": [{"lines": ["w=3"], "expect": {"gpu.power_w": 3}}]})json";
  };
  std::ofstream(dir / "simmacmon.json") << def("ct-macmon");
  std::ofstream(dir / "bin" / "ct-macmon") << "#!/bin/sh\n";
  std::filesystem::permissions(dir / "bin" / "ct-macmon", std::filesystem::perms::owner_all);
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.string()}, warnings);
  ASSERT_TRUE(set.ok()) << set.error().message();
  const std::string out =
      run_probe("PATH=" + (dir / "bin").string() + ":\"$PATH\"", probe_command(set->get()));
  const Platform p = parse_probe(out);
  EXPECT_EQ(p.commands.count("ct-macmon"), 1u) << out;
  std::vector<std::string> warnings2;
  const auto plan = plan_streams(**set, p, StreamChoice{});
  EXPECT_TRUE(std::any_of(plan.begin(), plan.end(),
                          [](const StreamSpec &s) { return s.name == "simmacmon"; }));
  std::ofstream(dir / "simmacmon.json") << def("x; rm -rf ~");
  EXPECT_FALSE(CollectorSet::load({dir.string()}, warnings2).ok());
  std::filesystem::remove_all(dir);
}

// The form itself is parse_utc_offset's (core_test): here, the probe's line of it.
TEST(CollectProbe, UtcOffsetIsReadOnlyFromDatesOwnForm) {
  using std::chrono::minutes;
  EXPECT_EQ(parse_probe("tz -0500\n").utc_offset, minutes{-300});
  EXPECT_EQ(parse_probe("tz +0545\r\n").utc_offset, minutes{345});
  for (const char *bad : {"tz +05:00\n", "tz EST\n", "tz\n", "uname Linux x86_64\n"})
    EXPECT_FALSE(parse_probe(bad).utc_offset.has_value()) << bad;
}

TEST(CollectProbe, ParsesMacOutputAndIgnoresJunk) {
  using namespace std::string_literals;
  const Platform p = parse_probe("uname Darwin arm64\ncmd macmon\ncmd vm_stat\r\nmem 137438953472\n"
                                 "garbage \xff\x00 line\nsudo_ok\n"s);
  EXPECT_EQ(p.os, "Darwin");
  EXPECT_EQ(p.arch, "arm64");
  EXPECT_EQ(p.commands.count("macmon"), 1u);
  EXPECT_EQ(p.commands.count("vm_stat"), 1u);
  EXPECT_DOUBLE_EQ(p.mem_total_bytes, 137438953472.0);
  EXPECT_TRUE(p.sudo_ok);
}

TEST(CollectPlan, LinuxNodeGetsMeminfoAndLogsWithQuotedPaths) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  StreamChoice choice;
  choice.log_paths = {"/var/log/exo.log", "/tmp/it's $(rm -rf ~).log"};
  choice.backfill_lines = 50;
  const auto streams = plan_streams(*set, linux_platform(), choice);
  std::vector<std::string> names;
  for (const auto &s : streams) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"meminfo", "zone", "log:/var/log/exo.log",
                                             "log:/tmp/it's $(rm -rf ~).log"}));
  EXPECT_EQ(streams[1].command, kZoneCommand);
  EXPECT_EQ(streams[1].watchdog, Duration::zero());
  { // Run for real, as the node's shell would, five hours behind UTC.
    ::setenv("CT_CMD", streams[1].command.c_str(), 1);
    FILE *f = ::popen("TZ=XST+5 timeout 5 /bin/sh -c \"$CT_CMD\" | head -n 1", "r");
    ASSERT_NE(f, nullptr);
    char buf[64] = {};
    const bool read = std::fgets(buf, sizeof buf, f) != nullptr;
    ::pclose(f);
    ASSERT_TRUE(read);
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back(); // as the line splitter does
    // "-0500 1796529320": the offset, then the node's clock in seconds.
    const auto space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << buf;
    EXPECT_EQ(parse_utc_offset(line.substr(0, space)), std::chrono::minutes{-300}) << buf;
    const auto secs = std::stoll(line.substr(space + 1));
    const auto now_secs =
        std::chrono::duration_cast<std::chrono::seconds>(wall_now().time_since_epoch()).count();
    EXPECT_LE(std::llabs(secs - now_secs), 5) << buf;
  }
  { // Between checks it waits with no child of its own: a `sleep 60` outlived a clustertop
    // killed outright for up to a minute (the parent-death signal reaches only the shell).
    ::setenv("CT_CMD", streams[1].command.c_str(), 1);
    FILE *f = ::popen("/bin/sh -c \"$CT_CMD\" >/dev/null & p=$!; sleep 0.5; "
                      "ps -o comm= --ppid $p; kill $p",
                      "r");
    ASSERT_NE(f, nullptr);
    std::string children;
    char buf[128];
    while (std::fgets(buf, sizeof buf, f) != nullptr) children += buf;
    ::pclose(f);
    EXPECT_EQ(children, "") << "children of the zone loop: " << children;
  }
  EXPECT_EQ(streams[2].command, "exec tail -n 50 -F -- '/var/log/exo.log'");
  EXPECT_EQ(streams[3].command, "exec tail -n 50 -F -- '/tmp/it'\\''s $(rm -rf ~).log'");
  EXPECT_NE(streams[0].command.find("read -t 1 -u 3"), std::string::npos);
  EXPECT_NE(streams[0].command.find("-N 65536 b </proc/meminfo"), std::string::npos);
  EXPECT_EQ(streams[0].watchdog, std::chrono::seconds(5));
}

// The same log twice (in the config and again with --log): two streams doubled every line,
// and with one read position between them the offset line leaked into the log.
TEST(CollectPlan, ALogListedTwiceIsFollowedOnce) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  StreamChoice choice;
  choice.log_paths = {"/var/log/exo.log", "/tmp/b.log", "/var/log/exo.log"};
  const auto streams = plan_streams(*set, linux_platform(), choice);
  std::vector<std::string> names;
  for (const auto &s : streams) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"meminfo", "zone", "log:/var/log/exo.log",
                                             "log:/tmp/b.log"}));
  EXPECT_EQ(streams[2].resume_path, "'/var/log/exo.log'");
}

// "~/" in a remote log path is the home of the user the stream runs as: the node's shell
// expands it (quoted whole, it was a literal "~" directory, and the log was never followed).
TEST(CollectPlan, ATildeLogPathIsTheNodeUsersHome) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  StreamChoice choice;
  choice.log_paths = {"~/exo logs/it's.log", "/tmp/~/x.log", "~other/x.log"};
  choice.backfill_lines = 5;
  const auto streams = plan_streams(*set, linux_platform(), choice);
  ASSERT_EQ(streams.size(), 5u);
  EXPECT_EQ(streams[2].command, "exec tail -n 5 -F -- \"$HOME\"/'exo logs/it'\\''s.log'");
  EXPECT_EQ(streams[3].command, "exec tail -n 5 -F -- '/tmp/~/x.log'");
  EXPECT_EQ(streams[4].command, "exec tail -n 5 -F -- '~other/x.log'"); // as written
  // Run for real, as the node's shell would, with HOME somewhere of our own.
  const auto home =
      std::filesystem::temp_directory_path() / ("ct_home_" + std::to_string(::getpid()));
  std::filesystem::create_directories(home / "exo logs");
  std::ofstream(home / "exo logs" / "it's.log") << "[STEP 7] eval=36ms\n";
  ::setenv("CT_CMD", streams[2].command.c_str(), 1);
  ::setenv("CT_HOME", home.c_str(), 1);
  FILE *f = ::popen("HOME=\"$CT_HOME\" timeout 2 /bin/sh -c \"$CT_CMD\" 2>&1", "r");
  ASSERT_NE(f, nullptr);
  char buf[256] = {};
  const bool read = std::fgets(buf, sizeof buf, f) != nullptr;
  ::pclose(f);
  std::filesystem::remove_all(home);
  ASSERT_TRUE(read);
  EXPECT_STREQ(buf, "[STEP 7] eval=36ms\n");
}

TEST(CollectPlan, GpuNodeAddsNvidiaSmiAndConfigCanRemoveOrAdd) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  Platform p = linux_platform();
  p.commands.insert("nvidia-smi");
  StreamChoice choice;
  choice.interval = std::chrono::milliseconds(500);
  auto streams = plan_streams(*set, p, choice);
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[1].name, "nvidia_smi");
  EXPECT_NE(streams[1].command.find("-lms 500"), std::string::npos);
  choice.remove = {"nvidia_smi"};
  EXPECT_EQ(plan_streams(*set, p, choice).size(), 1u);
  choice.remove.clear();
  choice.add = {"nvidia_smi"};
  EXPECT_EQ(plan_streams(*set, linux_platform(), choice).size(), 2u);
}

// A Mac with no GPU sampler says why in its status: its GPU was "–" with no reason anywhere.
TEST(CollectPlan, AMacWithoutAGpuSamplerSaysWhy) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  const auto note = [&](const std::string &probe, const StreamChoice &choice = {}) {
    const Platform p = parse_probe(probe);
    return plan_note(*set, p, choice, plan_streams(*set, p, choice));
  };
  const std::string mac = "uname Darwin arm64\ncmd vm_stat\ncmd sysctl\nmem 137438953472\n";
  EXPECT_EQ(note(mac + "cmd powermetrics\n"),
            "no GPU sampler: macmon is not installed (brew install macmon), and sudo -n "
            "powermetrics is not allowed (no sudo, or it asks for a password: allow it without "
            "one in sudoers)");
  EXPECT_EQ(note(mac), "no GPU sampler: macmon is not installed (brew install macmon)");
  EXPECT_EQ(note(mac + "cmd macmon\n"), "");
  EXPECT_EQ(note(mac + "cmd powermetrics\nsudo_ok\n"), "") << "powermetrics through sudo -n";
  StreamChoice without;
  without.remove = {"macmon"};
  EXPECT_EQ(note(mac + "cmd macmon\n", without), "") << "left out on purpose";
  EXPECT_EQ(note("uname Linux x86_64\ncmd tail\n"), "") << "a Linux node may have no GPU";
}

// A stream owner's record buffer serves every parser in turn (Ingest keeps one): this
// machine's /proc/meminfo read by the block parser, then a step line by the kv parser, over
// and over, as a live run that samples memory beside a log. The record's metrics and spares
// hold as many metrics as its largest use, not more each time: the block parser assigned its
// metrics over the record's and the kv parser's spares piled up, ~1 KB a second.
TEST(CollectIngest, ParsersTakingTurnsOnOneRecordKeepItsMetricsBounded) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  auto block = make_parser(*set->find("meminfo"));
  auto kv = make_parser(*set->find("exo_step"));
  std::vector<std::string> meminfo;
  {
    std::ifstream in("/proc/meminfo");
    for (std::string l; std::getline(in, l);) meminfo.push_back(l);
  }
  ASSERT_GT(meminfo.size(), 5u);
  RecordBuffer buf;
  const TimePoint t = from_epoch_seconds(1000);
  std::size_t first = 0, most_used = 0;
  for (int round = 0; round < 300; ++round) {
    for (const auto &l : meminfo) {
      buf.clear();
      block->feed(l, t, buf);
    }
    buf.clear();
    block->feed("", t, buf); // the record's end
    ASSERT_EQ(buf.size(), 1u);
    most_used = std::max(most_used, buf[0].metrics.size());
    buf.clear();
    ASSERT_TRUE(kv->feed("[STEP 1234] eval=29ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=104K",
                         t, buf));
    ASSERT_EQ(buf.size(), 1u);
    const std::size_t held = buf[0].metrics.size() + buf[0].spare.size();
    if (round == 0) first = held;
    EXPECT_LE(held, first) << "round " << round;
  }
  EXPECT_LE(first, most_used + 6);
}

TEST(CollectIngest, RealMeminfoLoopFeedsTheStore) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  StreamChoice choice;
  choice.interval = std::chrono::milliseconds(200);
  const auto streams = plan_streams(*set, linux_platform(), choice);
  ASSERT_EQ(streams.front().name, "meminfo");
  // Two records of the real loop: the fork-free bash variant is what runs here.
  const std::string cmd =
      "timeout 5 /bin/sh -c \"$CT_CMD\" | awk 'BEGIN{n=0} /^$/{n++} {print} n==2{exit}'";
  ::setenv("CT_CMD", streams.front().command.c_str(), 1);
  FILE *f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  LineBatch batch{"n1", "meminfo", from_epoch_seconds(1000), {}};
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    std::string l(buf);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    batch.lines.push_back(l);
  }
  ::pclose(f);
  Store store;
  Ingest ingest(set);
  std::vector<LogEvent> events;
  ingest.on_batch(batch, store, events);
  const auto *total = store.series({"n1", "mem.total_bytes", ""});
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->size(), 2u);
  EXPECT_GT(store.latest({"n1", "mem.available_bytes", ""}), 0.0);
  EXPECT_GT(store.latest({"n1", "mem.used_bytes", ""}), 0.0);
  EXPECT_EQ(store.node("n1")->skipped_lines, 0u);
  EXPECT_TRUE(events.empty());
}

// A node five hours behind UTC writes its local time without a zone (exo's file format, as
// loguru writes it): its `up` status brings the offset, and the crash line's event and log
// entry carry the UTC time, which the crash detector compares with its clock. A second up
// with another offset (daylight saving time, after a reconnect) is followed too.
// mac1's log, fed a line at a time at one arrival time: for the node's zone and clock.
struct NodeTimes {
  std::shared_ptr<const CollectorSet> set = test::builtin_set();
  Store store;
  Ingest ingest{set};
  std::vector<LogEvent> events;
  const TimePoint arrival = from_epoch_seconds(1771858800); // 2026-02-23 15:00:00 UTC

  // exo's runner crash line stamped `stamp` by the node: its event's time, as ISO 8601.
  std::string crash_at(const std::string &stamp) { return crash_at(stamp, arrival); }
  std::string crash_at(const std::string &stamp, TimePoint arrived) {
    events.clear();
    ingest.on_batch(LineBatch{"mac1",
                              "log:/tmp/exo.log",
                              arrived,
                              {"[ " + stamp +
                               " | ERROR | runner_supervisor:_check_runner:273 ] Runner "
                               "terminated with signal=11 (Segmentation fault: 11)"}},
                    store, events);
    EXPECT_EQ(events.size(), 1u) << stamp;
    return events.empty() ? std::string() : iso8601_utc(events.front().time);
  }
};

void ingest_step_line(NodeTimes &n, const std::string &line) {
  n.ingest.on_batch(LineBatch{"mac1", "log:/tmp/exo.log", n.arrival, {line}}, n.store, n.events);
}

// A line is not written after it arrives: one stamped further ahead than a skew's reading
// error is of its arrival. In the minute after a daylight-saving change (spring forward) the
// lines read at the old offset were an hour ahead, the node's last progress lay an hour in the
// future, and a hang right after the change went unreported for that hour.
TEST(CollectIngest, ALineStampedAheadOfItsArrivalIsOfItsArrival) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  n.store.apply(
      NodeStatus{"mac1", "", NodeState::up, "connected", n.arrival, std::chrono::minutes{60}});
  EXPECT_EQ(n.crash_at("2026-02-23 17:00:00.000"), "2026-02-23T15:00:00.000Z") << "an hour ahead";
  EXPECT_EQ(n.crash_at("2026-02-23 16:00:01.500"), "2026-02-23T15:00:01.500Z")
      << "within the reading error";
  EXPECT_EQ(n.crash_at("2026-02-23 15:10:00.000"), "2026-02-23T14:10:00.000Z") << "an old line";
  ingest_step_line(n, "[ 2026-02-23 17:00:05.000 | INFO | x:y:1 ] [STEP 7] eval=30ms");
  const Series *eval = n.store.series({"mac1", "step.eval_ms", ""});
  ASSERT_NE(eval, nullptr);
  ASSERT_FALSE(eval->empty());
  EXPECT_EQ(iso8601_utc(eval->back().time), "2026-02-23T15:00:00.000Z");
}

// A node whose lines suddenly run an hour behind their arrival on a live stream that was in
// step (the minute after a daylight-saving fall-back, before the zone stream reads the new
// offset; a clock stepped back): they are placed by that lag, at their arrival, until it goes
// back. Read as stamped, every generating node had "no step for 3601 s". A stream that just
// came up (a reconnect's backfill) keeps its old lines' times.
TEST(CollectIngest, LinesSuddenlyFarBehindOnALiveStreamAreOfTheirArrival) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  const TimePoint a = n.arrival; // 15:00:00 UTC
  using std::chrono::seconds;
  n.store.apply(NodeStatus{"mac1", "", NodeState::up, "connected", a - seconds(120),
                           std::chrono::minutes{120}});
  n.store.apply(NodeStatus{"mac1", "log:/tmp/exo.log", NodeState::up, "", a - seconds(120)});
  // In step at +0200 (17:00 local is 15:00 UTC).
  EXPECT_EQ(n.crash_at("2026-02-23 17:00:00.000", a), "2026-02-23T15:00:00.000Z");
  // Fallen back to +0100: "16:00:01" local, read at +0200, lies an hour back.
  EXPECT_EQ(n.crash_at("2026-02-23 16:00:01.000", a + seconds(1)), "2026-02-23T15:00:01.000Z");
  EXPECT_EQ(n.crash_at("2026-02-23 16:00:02.500", a + seconds(3)), "2026-02-23T15:00:02.500Z");
  // The zone stream reads +0100: in step again, as stamped.
  n.store.set_utc_offset("mac1", std::chrono::minutes{60});
  EXPECT_EQ(n.crash_at("2026-02-23 16:00:04.000", a + seconds(4)), "2026-02-23T15:00:04.000Z");
  // A stream that came up a moment ago brings old lines by design (backfill): as stamped.
  n.store.apply(NodeStatus{"mac1", "log:/tmp/exo.log", NodeState::up, "", a + seconds(10)});
  EXPECT_EQ(n.crash_at("2026-02-23 15:00:05.000", a + seconds(11)), "2026-02-23T14:00:05.000Z");
}

// A sampler's line is read as it is written: macmon's own timestamp from a clock two minutes
// behind (a node without logs runs no zone stream to measure it) is its arrival time, or its
// samples were too old for /metrics while the figures line showed them. A log line may be
// old (backfill): it keeps its time.
TEST(CollectIngest, ASamplersLineStampedLongBeforeItArrivedIsOfItsArrival) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  const CollectorDef *macmon = n.set->find("macmon");
  ASSERT_NE(macmon, nullptr);
  std::string line; // the verbatim 0.6+ sample, stamped 2026-03-06T20:06:05.259623Z
  for (const auto &sample : macmon->samples)
    if (line.empty() && sample.lines.front().find("\"timestamp\"") != std::string::npos)
      line = sample.lines.front();
  ASSERT_FALSE(line.empty());
  const TimePoint stamp = from_epoch_seconds(1772827565.259623);
  for (const auto &[late, stored] :
       {std::pair{std::chrono::seconds(5), std::chrono::seconds(0)},
        std::pair{std::chrono::seconds(120), std::chrono::seconds(120)}}) {
    const TimePoint arrival = stamp + late;
    n.ingest.on_batch(LineBatch{"mac1", "macmon", arrival, {line}}, n.store, n.events);
    const Series *total = n.store.series({"mac1", "mem.total_bytes", ""});
    ASSERT_NE(total, nullptr);
    ASSERT_FALSE(total->empty());
    EXPECT_EQ(iso8601_utc(total->back().time), iso8601_utc(stamp + stored))
        << late.count() << " s late";
  }
}

TEST(CollectIngest, LogTimesWithoutAZoneAreReadInTheNodesZone) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  auto &store = n.store;
  const TimePoint arrival = n.arrival;
  const std::string stamp = "2026-02-23 10:00:00.004";
  const auto feed = [&](std::optional<std::chrono::minutes> offset) {
    store.apply(NodeStatus{"mac1", "", NodeState::up, "connected", arrival, offset});
    return n.crash_at(stamp);
  };
  EXPECT_EQ(feed(std::chrono::minutes{-300}), "2026-02-23T15:00:00.004Z");
  EXPECT_EQ(iso8601_utc(store.log_lines("mac1")->back().time), "2026-02-23T15:00:00.004Z");
  // The same text again: not answered from the timestamp memo of the other zone.
  EXPECT_EQ(feed(std::chrono::minutes{-240}), "2026-02-23T14:00:00.004Z");
  // A status without an offset (a stream's) keeps the node's.
  EXPECT_EQ(feed(std::nullopt), "2026-02-23T14:00:00.004Z");
  // The zone stream's lines move it while connected (daylight saving time ended); junk is
  // counted as skipped and changes nothing.
  n.ingest.on_batch(LineBatch{"mac1", "zone", arrival, {"-0500", "EST", "+9999"}}, store, n.events);
  EXPECT_EQ(store.node("mac1")->skipped_lines, 2u);
  EXPECT_EQ(feed(std::nullopt), "2026-02-23T15:00:00.004Z");
}

// A node whose clock runs ten minutes behind: its zone stream says so (`date '+%z %s'`), and
// the times its lines carry are put on this machine's clock. Read as stamped, a crash line
// written a second ago lay ten minutes in the past, beyond the crash rule's 5-minute hold,
// and raised no alert.
TEST(CollectIngest, ANodeClockBehindOursIsTakenOutOfItsLinesTimes) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  auto &store = n.store;
  const TimePoint arrival = n.arrival;
  store.apply(NodeStatus{"mac1", "", NodeState::up, "connected", arrival, std::chrono::minutes{0}});
  const auto zone = [&](const std::string &line) {
    n.ingest.on_batch(LineBatch{"mac1", "zone", arrival, {line}}, store, n.events);
    return store.node("mac1")->clock_skew;
  };
  // In step, and within the reading's error: no skew, times as stamped.
  EXPECT_EQ(zone("+0000 1771858800"), std::nullopt);
  EXPECT_EQ(zone("+0000 1771858799"), std::nullopt);
  EXPECT_EQ(n.crash_at("2026-02-23 14:59:59.500"), "2026-02-23T14:59:59.500Z");
  // Ten minutes behind, as two readings in a row say (one alone may have arrived late): the
  // line written "14:50:00.004" by the node's clock arrived at 15:00:00, and it is placed at
  // 15:00:00.004 by ours.
  EXPECT_EQ(zone("+0000 1771858200"), std::nullopt);
  EXPECT_EQ(zone("+0000 1771858200"), std::chrono::seconds(-600));
  EXPECT_EQ(n.crash_at("2026-02-23 14:50:00.004"), "2026-02-23T15:00:00.004Z");
  EXPECT_EQ(iso8601_utc(store.log_lines("mac1")->back().time), "2026-02-23T15:00:00.004Z");
  std::vector<Finding> found;
  detect_crashes(DetectView(store), Rules{}, arrival + std::chrono::seconds(1), found);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule, "crash");
  // A second's difference in the next reading moves nothing; a minute's does, read twice.
  EXPECT_EQ(zone("+0000 1771858201"), std::chrono::seconds(-600));
  EXPECT_EQ(zone("+0100 1771858140"), std::chrono::seconds(-600));
  EXPECT_EQ(zone("+0100 1771858140"), std::chrono::seconds(-660));
  EXPECT_EQ(store.node("mac1")->utc_offset, std::chrono::minutes{60});
  // A clock ahead by an hour: its line of "16:00:00" (UTC) is of now, not of the future.
  EXPECT_EQ(zone("+0000 1771862400"), std::chrono::seconds(-660));
  EXPECT_EQ(zone("+0000 1771862400"), std::chrono::seconds(3600));
  EXPECT_EQ(n.crash_at("2026-02-23 16:00:00.000"), "2026-02-23T15:00:00.000Z");
  // Back in step.
  EXPECT_EQ(zone("+0000 1771858801"), std::chrono::seconds(3600));
  EXPECT_EQ(zone("+0000 1771858800"), std::nullopt);
  EXPECT_EQ(n.crash_at("2026-02-23 15:00:00.250"), "2026-02-23T15:00:00.250Z");
  // A reading without the clock (recordings made before it was read) keeps the zone only;
  // junk after the offset is counted as skipped and changes nothing.
  const auto skipped = store.node("mac1")->skipped_lines;
  EXPECT_EQ(zone("+0000"), std::nullopt);
  EXPECT_EQ(zone("+0000 17718x8200"), std::nullopt);
  EXPECT_EQ(zone("+0000 9999999999999"), std::nullopt);
  EXPECT_EQ(store.node("mac1")->skipped_lines, skipped + 2);
}

// A zone reading that waited to be read arrives late and reads as a clock behind: clustertop
// stopped for 65 s (Ctrl-Z, SIGSTOP) showed a node on this machine "clock 10 s behind" and
// put a crash line written at 12:59:39 at 12:59:59, until the next reading a minute later.
// A reading that would move the skew is taken only once the next one agrees.
TEST(CollectIngest, AZoneReadingDeliveredLateDoesNotMoveTheNodesClock) {
  NodeTimes n;
  ASSERT_NE(n.set, nullptr);
  auto &store = n.store;
  const TimePoint t0 = n.arrival; // 2026-02-23 15:00:00 UTC, epoch 1771858800
  store.apply(NodeStatus{"mac1", "", NodeState::up, "connected", t0, std::chrono::minutes{0}});
  // `date '+%z %s'` written at `written` on a clock in step with ours, read at `arrived`.
  const auto zone = [&](int written, int arrived) {
    n.ingest.on_batch(LineBatch{"mac1",
                                "zone",
                                t0 + std::chrono::seconds(arrived),
                                {"+0000 " + std::to_string(1771858800 + written)}},
                      store, n.events);
    return store.node("mac1")->clock_skew;
  };
  EXPECT_EQ(zone(0, 0), std::nullopt);
  // Stopped from 55 s to 120 s: the reading written at 60 s is read at 120 s, and a crash
  // line written at 119 s arrives at 120 s. Its time is its stamp, not 60 s later.
  EXPECT_EQ(zone(60, 120), std::nullopt);
  EXPECT_EQ(n.crash_at("2026-02-23 15:01:59.000", t0 + std::chrono::seconds(120)),
            "2026-02-23T15:01:59.000Z");
  // Stopped past two readings: both wait, late by 65 s and by 5 s; they disagree, and the next
  // reading on time agrees with the skew kept.
  EXPECT_EQ(zone(180, 245), std::nullopt);
  EXPECT_EQ(zone(240, 245), std::nullopt);
  EXPECT_EQ(zone(300, 300), std::nullopt);
  // A late reading sets no trap for a real change either: after one, the node's clock is set
  // back ten minutes, and the second reading that says so moves the skew.
  EXPECT_EQ(zone(360, 400), std::nullopt);
  EXPECT_EQ(zone(420 - 600, 420), std::nullopt);
  EXPECT_EQ(zone(480 - 600, 480), std::chrono::seconds(-600));
  // And one late reading of a skewed clock leaves its skew as it is.
  EXPECT_EQ(zone(540 - 600, 560), std::chrono::seconds(-600));
  EXPECT_EQ(zone(600 - 600, 600), std::chrono::seconds(-600));
}

// One Ingest over the shipped definitions and its Store, fed log batches of one arrival time.
struct ShippedIngest {
  std::shared_ptr<const CollectorSet> set = test::builtin_set();
  Store store;
  Ingest ingest{set};
  std::vector<LogEvent> events;
  const TimePoint t = from_epoch_seconds(1771858800);
  void feed(const std::string &node, const std::string &stream, std::vector<std::string> lines) {
    ingest.on_batch(LineBatch{node, stream, t, std::move(lines)}, store, events);
  }
};

// A vLLM server with data parallelism writes a line per engine at each interval (`Engine
// 000:`, `Engine 001:`, ...). The node's figures are the engines' together: rates and requests
// summed, KV cache usage the fullest engine's, the prefix cache's hit rate their mean; no
// series per engine. Each line used to overwrite the one before: tokens/s read as the last
// engine's alone. An engine not heard from for a minute is no longer counted.
TEST(CollectIngest, DataParallelEnginesMakeOneNodesFigures) {
  ShippedIngest n;
  ASSERT_NE(n.set, nullptr);
  const auto latest = [&](const char *metric) { return n.store.latest({"gpu1", metric, ""}); };
  n.feed("gpu1", "log:/srv/vllm.log", test::fixture_lines("vllm/sample_10.txt"));
  EXPECT_NEAR(latest("gen.tokens_per_s"), 1157.2 + 809.3, 1e-9);
  EXPECT_NEAR(latest("prompt.tokens_per_s"), 16.5, 1e-9);
  EXPECT_EQ(latest("req.running"), 51 + 31);
  EXPECT_EQ(latest("req.waiting"), 117 + 108);
  EXPECT_EQ(latest("kv_cache.usage_pct"), 100.0);
  EXPECT_NEAR(latest("prefix_cache.hit_pct"), (70.0 + 66.0) / 2, 1e-9);
  for (const char *metric : {"gen.tokens_per_s", "req.running", "kv_cache.usage_pct"}) {
    const auto devices = n.store.devices("gpu1", metric);
    ASSERT_EQ(devices.size(), 1u) << metric;
    EXPECT_EQ(devices.front().first, "") << metric;
  }
  // Another server's two engines, three months on: the first server's are gone.
  n.feed("gpu1", "log:/srv/vllm.log", test::fixture_lines("vllm/sample_11.txt"));
  EXPECT_NEAR(latest("gen.tokens_per_s"), 10.3 + 10.0, 1e-9);
  EXPECT_NEAR(latest("prompt.tokens_per_s"), 1.9 + 1.5, 1e-9);
  EXPECT_EQ(latest("req.running"), 0);
  EXPECT_EQ(latest("kv_cache.usage_pct"), 0);
  // One engine's line alone (V1 without data parallelism) is the node's figures as it says.
  n.feed("gpu2", "log:/srv/vllm.log", test::fixture_lines("vllm/sample_1.txt"));
  EXPECT_NEAR(n.store.latest({"gpu2", "gen.tokens_per_s", ""}), 1055.3, 1e-9);
  EXPECT_EQ(n.store.latest({"gpu2", "req.waiting", ""}), 43);
}

// SGLang's `#token` is what the running requests hold in the KV cache together (8 requests,
// 67724 tokens), not a context: it was the node's `ctx` on screen, `ctx_tokens` in the CSV,
// `clustertop_context_tokens` and context_at_oom's input. It is kv_cache.tokens.
TEST(CollectIngest, SglangsTokenCountIsNoContext) {
  ShippedIngest n;
  ASSERT_NE(n.set, nullptr);
  n.feed("g1", "log:/srv/sglang.log", test::fixture_lines("sglang/sample_1.txt"));
  EXPECT_EQ(n.store.series({"g1", "ctx.tokens", ""}), nullptr);
  ASSERT_NE(n.store.series({"g1", "kv_cache.tokens", ""}), nullptr);
  EXPECT_GT(n.store.latest({"g1", "kv_cache.tokens", ""}), 0);
}

// A private key printed to a log arrives a line at a time, and a body line alone is plain
// base64: the stream's lines between BEGIN and END PRIVATE KEY enter the node's log as
// "[redacted]" (what the dashboard and a figures line's last_log show), across batches,
// and only in that stream.
TEST(CollectIngest, RedactsThePrivateKeyBodyLinesOfALogStream) {
  ShippedIngest run;
  ASSERT_NE(run.set, nullptr);
  const std::string app = "log:/var/log/app.log";
  run.feed("n1", app,
           {"INFO loading TLS key from vault", "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEA7bq3xY0kqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfV"});
  EXPECT_EQ(FiguresPrinter::text_line(run.store, "n1", run.t).find("MIIE"), std::string::npos);
  run.feed("n1", "log:/var/log/exo.log", {"INFO other stream"});
  run.feed("n1", app,
           {"q9hU+yk8vZ3pL0mN4vB7cAbCdEf0123456789/+==", "-----END RSA PRIVATE KEY-----",
            "INFO key loaded"});
  const auto *n1 = run.store.log_lines("n1");
  ASSERT_NE(n1, nullptr);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < n1->size(); ++i) texts.push_back(n1->at(i).text);
  EXPECT_EQ(texts, (std::vector<std::string>{"INFO loading TLS key from vault",
                                             "-----BEGIN RSA PRIVATE KEY-----", "[redacted]",
                                             "INFO other stream", "[redacted]",
                                             "-----END RSA PRIVATE KEY-----", "INFO key loaded"}));

  // A BEGIN with no END hides at most 200 lines: the log is not hidden for good.
  std::vector<std::string> open = {"-----BEGIN PRIVATE KEY-----"};
  for (int i = 0; i < 201; ++i) open.push_back("line " + std::to_string(i));
  run.feed("n2", app, std::move(open));
  const auto *n2 = run.store.log_lines("n2");
  ASSERT_NE(n2, nullptr);
  EXPECT_EQ(n2->at(200).text, "[redacted]");
  EXPECT_EQ(n2->back().text, "line 200");
}

// The lines a BEGIN marker hides are still read by the parsers: a line that ended with the
// marker (a key's header printed in a debug line, a request body echoed) hid the next 200
// lines, and the abort and the kernel's OOM kill among them raised no alert. The events keep
// the hidden text.
TEST(CollectIngest, LinesHiddenAfterAKeyMarkerStillRaiseTheirEvents) {
  ShippedIngest run;
  ASSERT_NE(run.set, nullptr);
  run.feed("n1", "log:/var/log/app.log",
           {"INFO x -----BEGIN RSA PRIVATE KEY-----",
            "libc++abi: terminating due to uncaught exception",
            "MIIEpAIBAAKCAQEA7bq3xY0kqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfV"});
  const auto &events = run.events;
  ASSERT_EQ(events.size(), 1U);
  EXPECT_NE(std::find(events[0].tags.begin(), events[0].tags.end(), "abort"), events[0].tags.end());
  // Its text says its tags, which tells it from the key's body in the node view (every
  // "[redacted]" line of the block was marked as the crash).
  EXPECT_EQ(events[0].line, "[redacted] (abort, crash)");
  const auto *log = run.store.log_lines("n1");
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->size(), 3U);
  EXPECT_EQ(log->at(1).text, "[redacted] (abort, crash)");
  EXPECT_EQ(log->at(2).text, "[redacted]");
}

// What is no crash: a request's text logged by the server (SGLang's --log-requests, vLLM's
// --enable-log-requests, llama-server's --verbose; the formats of sglang#3699, vllm#9023 and
// llama.cpp's log_server_r) that asks about one, a
// runner's exit with code 0 (exo's supervisor line of exo#2176 with another code), and a
// supervisor sending a signal on purpose. Each raised a critical or warning crash alert; the
// same crash texts on lines of their own still do.
TEST(CollectIngest, RequestTextsRoutineExitsAndSentSignalsAreNoCrash) {
  ShippedIngest run;
  ASSERT_NE(run.set, nullptr);
  run.feed(
      "n1", "log:/var/log/server.log",
      {"[2025-02-20 16:56:30] Receive: obj=GenerateReqInput(text='My server died with "
       "torch.OutOfMemoryError: CUDA out of memory. What now?', input_ids=[151644, 8948])",
       "[2025-02-20 16:56:44] Finish: obj=GenerateReqInput(text='', rid='a1b2'), out={'text': "
       "'A CUDA out of memory error means the GPU ran out; SIGSEGV is another matter.'}",
       "INFO 10-01 18:43:27 logger.py:36] Received request cmpl-c52dbd9a95114d1cbfa182e588138c86-"
       "0: prompt: 'why libc++abi: terminating?', params: SamplingParams(n=1)",
       "[ 2026-06-24 20:39:04.759 | INFO  | runner_supervisor:_check_runner:260 ] Runner "
       "exited with exit code 0",
       "[ 2026-06-24 20:39:05.100 | INFO  | runner_supervisor:_stop:120 ] Sending SIGKILL to "
       "runner 3f2a after its shutdown timeout",
       // llama-server --verbose echoes bodies (the `response:` form of danbev/learning-ai's
       // llama.cpp notes): a prompt and an answer about a crash were critical aborts.
       "srv  log_server_r: request:  {\"prompt\":\"what does GGML_ASSERT(ctx) failed mean\"}",
       "srv  log_server_r: response: {\"content\":\"Aborted (core dumped) follows a failed "
       "GGML_ASSERT(x) failed\"}"});
  EXPECT_TRUE(run.events.empty()) << run.events[0].line;
  run.feed("n1", "log:/var/log/server.log",
           {"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 50.00 MiB.",
            "[ 2026-06-24 20:39:04.759 | INFO  | runner_supervisor:_check_runner:260 ] Runner "
            "exited with exit code 1",
            "worker 7 got SIGKILL"});
  ASSERT_EQ(run.events.size(), 3U);
  EXPECT_EQ(run.events[0].tags, (std::vector<std::string>{"cuda_oom", "oom"}));
  EXPECT_EQ(run.events[1].tags, (std::vector<std::string>{"exited"}));
  EXPECT_EQ(run.events[2].tags, (std::vector<std::string>{"crash"}));
}

// Events are the tagged lines: every ERROR line was one too, so a loop of them after a crash
// (a request failing each second) pushed the crash out of the node's 500 events.
TEST(CollectIngest, ErrorLinesDoNotPushACrashOutOfTheEvents) {
  ShippedIngest run;
  ASSERT_NE(run.set, nullptr);
  std::vector<std::string> lines = {"libc++abi: terminating due to uncaught exception"};
  for (int i = 0; i < 600; ++i)
    lines.push_back("[ 2026-02-23 15:00:0" + std::to_string(i % 10) +
                    ".000 | ERROR    | exo.api:handle:12 ] request failed");
  run.feed("n1", "log:/tmp/exo.log", std::move(lines));
  const auto *kept = run.store.events("n1");
  ASSERT_NE(kept, nullptr);
  ASSERT_EQ(kept->size(), 1U);
  EXPECT_EQ(kept->at(0).tags, (std::vector<std::string>{"abort", "crash"}));
}

// A step line whose keys change every line (a request id as a key) made a series per line,
// 58 KB each, for ever: 700 MB in a minute. A node keeps at most series_per_node series; the
// samples of further metrics are dropped and counted, and the known metrics go on.
TEST(CollectIngest, ANodeKeepsABoundedNumberOfSeries) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  Store store(StoreLimits{60, 100, 50, 40});
  Ingest ingest(set);
  std::vector<LogEvent> events;
  LineBatch batch{"mac1", "log:/tmp/exo.log", from_epoch_seconds(1000), {}};
  for (int i = 0; i < 200; ++i)
    batch.lines.push_back("[STEP " + std::to_string(i) + "] eval=36ms req_" + std::to_string(i) +
                          "=1ms fence_wait=0.8ms");
  ingest.on_batch(batch, store, events);
  std::size_t series = 0;
  for (const auto &[key, s] : store.all_series()) series += key.node == "mac1" ? 1 : 0;
  EXPECT_EQ(series, 40u);
  EXPECT_EQ(store.node("mac1")->series, 40u);
  // step.index, step.eval_ms, step.fence_wait_ms and 37 request ids were kept: 163 dropped.
  EXPECT_EQ(store.node("mac1")->dropped_samples, 163u);
  EXPECT_EQ(store.series({"mac1", "step.eval_ms", ""})->size(), 60u); // every line, ring-bound
  EXPECT_EQ(store.series({"mac1", "step.fence_wait_ms", ""})->size(), 60u);
  EXPECT_EQ(store.series({"mac1", "step.index", ""})->back().value, 199);
}

TEST(CollectIngest, NvidiaSmiRecordedOutputOneSeriesPerGpuAndNaForUnknown) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  LineBatch batch{"g1", "nvidia_smi", from_epoch_seconds(2000),
                  test::fixture_lines("nvidia_smi/h100_load.csv")};
  batch.lines.push_back("1, GPU-x, Tesla T4, [N/A], [Not Supported], [Unknown Error], 10, N/A, 40");
  batch.lines.push_back("not csv at all");
  Store store;
  Ingest ingest(set);
  std::vector<LogEvent> events;
  ingest.on_batch(batch, store, events);
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.power_w", "0"}), 672.08);
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.util_pct", "0"}), 100.0);
  EXPECT_EQ(store.series({"g1", "gpu.power_w", "0"})->size(), batch.lines.size() - 2);
  EXPECT_TRUE(std::isnan(store.latest({"g1", "gpu.power_w", "1"})));
  EXPECT_NE(store.series({"g1", "gpu.power_w", "1"}), nullptr);
  EXPECT_TRUE(std::isnan(store.latest({"g1", "gpu.util_pct", "1"})));
  EXPECT_TRUE(std::isnan(store.latest({"g1", "gpu.mem_total_bytes", "1"})));
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.temp_c", "1"}), 40.0);
  EXPECT_EQ(store.node("g1")->skipped_lines, 1u);
  // A node that only samples is alive by its sampler's lines (the liveness the docs point to
  // in /metrics: lines_total, last_data_timestamp_seconds).
  EXPECT_EQ(store.node("g1")->lines, batch.lines.size());
  ASSERT_TRUE(store.node("g1")->last_data.has_value());
  EXPECT_EQ(*store.node("g1")->last_data, from_epoch_seconds(2000));
  const auto counts = ingest.counts();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].skipped, 1u);
}

// Constructed hostile input, not real nvidia-smi output (no driver is known to print these):
// a utilization outside 0-100 % reached /metrics as a ratio of -0.05 or 1.5, and a line with
// an empty GPU index made a series without a gpu label beside the per-GPU ones. An
// out-of-range percentage is unknown (not exported); a line without its index is skipped and
// counted.
TEST(CollectIngest, NvidiaSmiOutOfRangePercentAndEmptyIndexNeverReachMetrics) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  const auto t = from_epoch_seconds(2000);
  LineBatch batch{"g1", "nvidia_smi", t, {}};
  batch.lines.push_back("0, GPU-a, NVIDIA H100 80GB HBM3, 672.08, 700.00, -5, 1139, 81559, 48");
  batch.lines.push_back("1, GPU-b, NVIDIA H100 80GB HBM3, 600.00, 700.00, 150, 1139, 81559, 47");
  batch.lines.push_back(", GPU-c, NVIDIA H100 80GB HBM3, 500.00, 700.00, 50, 1139, 81559, 46");
  batch.lines.push_back("2, GPU-d, NVIDIA H100 80GB HBM3, 400.00, 700.00, 100, 1139, 81559, 45");
  batch.lines.push_back("3, GPU-e, NVIDIA H100 80GB HBM3, 300.00, 700.00, 0, 1139, 81559, 44");
  Store store;
  Ingest ingest(set);
  std::vector<LogEvent> events;
  ingest.on_batch(batch, store, events);
  EXPECT_TRUE(std::isnan(store.latest({"g1", "gpu.util_pct", "0"})));
  EXPECT_TRUE(std::isnan(store.latest({"g1", "gpu.util_pct", "1"})));
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.util_pct", "2"}), 100.0); // the bounds are readings
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.util_pct", "3"}), 0.0);
  EXPECT_DOUBLE_EQ(store.latest({"g1", "gpu.power_w", "0"}), 672.08); // the line's other values
  EXPECT_EQ(store.series({"g1", "gpu.power_w", ""}), nullptr);
  EXPECT_EQ(store.series({"g1", "gpu.util_pct", ""}), nullptr);
  EXPECT_EQ(store.node("g1")->skipped_lines, 1u);
  const auto counts = ingest.counts();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].skipped, 1u);
  const std::string text = render_prometheus(store, {}, t);
  EXPECT_EQ(text.find("clustertop_gpu_utilization_ratio{node=\"g1\",gpu=\"0\"}"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("clustertop_gpu_utilization_ratio{node=\"g1\",gpu=\"1\"}"), std::string::npos)
      << text;
  EXPECT_NE(text.find("clustertop_gpu_utilization_ratio{node=\"g1\",gpu=\"2\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("clustertop_gpu_power_watts{node=\"g1\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("clustertop_gpu_utilization_ratio{node=\"g1\"}"), std::string::npos) << text;
}

TEST(CollectIngest, TailFollowsARealLogAndStepLinesBecomeSamplesAndEvents) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  const auto dir =
      std::filesystem::temp_directory_path() / ("ct_tail_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto log = (dir / "exo log's.txt").string();
  std::ofstream(log) << "[STEP 7] eval=36ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=104K\n"
                        "failed assertion 'A command encoder is already encoding to this "
                        "command buffer'\n";
  StreamChoice choice;
  choice.log_paths = {log};
  choice.backfill_lines = 10;
  const auto streams = plan_streams(*set, linux_platform(), choice);
  const std::string cmd = "timeout 2 /bin/sh -c \"$CT_CMD\"";
  ::setenv("CT_CMD", streams.back().command.c_str(), 1);
  FILE *f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  LineBatch batch{"m1", streams.back().name, from_epoch_seconds(3000), {}};
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f) != nullptr && batch.lines.size() < 2) {
    std::string l(buf);
    l.pop_back();
    batch.lines.push_back(l);
  }
  ::pclose(f);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(batch.lines.size(), 2u);
  Store store;
  Ingest ingest(set);
  std::vector<LogEvent> events;
  ingest.on_batch(batch, store, events);
  EXPECT_DOUBLE_EQ(store.latest({"m1", "step.fence_wait_ms", ""}), 0.8);
  EXPECT_DOUBLE_EQ(store.latest({"m1", "step.eval_ms", ""}), 36.0);
  EXPECT_DOUBLE_EQ(store.latest({"m1", "ctx.tokens", ""}), 104000.0);
  EXPECT_DOUBLE_EQ(store.latest({"m1", "step.index", ""}), 7.0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].severity, Severity::critical);
  EXPECT_EQ(events[0].stream, "log:" + log);
  EXPECT_NE(std::find(events[0].tags.begin(), events[0].tags.end(), "encoder_assertion"),
            events[0].tags.end());
  ASSERT_NE(store.log_lines("m1"), nullptr);
  EXPECT_EQ(store.log_lines("m1")->size(), 2u);
  EXPECT_EQ(store.events("m1")->size(), 1u);
  EXPECT_EQ(store.node("m1")->skipped_lines, 0u);
}

} // namespace
} // namespace clustertop
