// Golden scenario replays: generated multi-node recordings and logs go through the real
// collectors (Ingest), the detectors, the AlertBook and the replay clock; the transitions
// must match tests/scenarios/<name>.expected (rule, node, state, time within a tolerance).
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

#include "../scenarios/scenarios.hpp"
#include "clustertop/collect/collectors.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/replay_command.hpp"
#include "clustertop/transport/replay.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;

struct Expected {
  double t = 0;
  std::string state, rule, node, subject;
};

struct Golden {
  double tolerance = 1.5;
  double tail = 300; // replay clock past the last line (the documented default)
  std::vector<Expected> transitions;
};

// "<seconds> <state> <rule> <node or -> [subject]"; "tolerance S"; '#' comments.
Golden read_golden(const std::string &name) {
  std::ifstream in(std::string(CLUSTERTOP_TEST_DATA) + "/scenarios/" + name + ".expected");
  EXPECT_TRUE(in.good()) << name;
  Golden g;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    std::istringstream s(line);
    if (line.rfind("tolerance", 0) == 0) {
      std::string word;
      s >> word >> g.tolerance;
      continue;
    }
    if (line.rfind("tail", 0) == 0) {
      std::string word;
      s >> word >> g.tail;
      continue;
    }
    Expected e;
    s >> e.t >> e.state >> e.rule >> e.node >> e.subject;
    if (e.node == "-") e.node.clear();
    g.transitions.push_back(e);
  }
  return g;
}

struct Capture : Sink {
  std::vector<AlertTransition> seen;
  void on_transition(const AlertTransition &t, const TickContext &) override { seen.push_back(t); }
};

std::vector<AlertTransition> replay(ReplaySource &src, const std::string &name) {
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({}, warnings);
  EXPECT_TRUE(set.ok()) << set.error().message();
  Ingest ingest(*set);
  Store store;
  Rules rules;
  rules.oom.max_context_tokens = 200000; // the seeds' target context
  Pipeline pipeline(store, ingest_handler(ingest), rules);
  Capture cap;
  pipeline.add_sink(cap);
  ReplayClock clock;
  clock.tail = from_seconds(read_golden(name).tail);
  run_replay(src, pipeline, clock);
  return cap.seen;
}

std::string show(const std::vector<AlertTransition> &ts) {
  std::string out;
  for (const auto &t : ts)
    out += fmt::format("{:.2f} {} {} {} {}   # {}\n", to_seconds(t.at - scenario::base()),
                       to_string(t.state), t.finding.rule,
                       t.finding.node.empty() ? "-" : t.finding.node, t.finding.subject,
                       t.finding.message);
  return out;
}

void check(const std::string &name, const std::vector<AlertTransition> &actual) {
  const Golden g = read_golden(name);
  std::vector<bool> used(actual.size(), false);
  for (const auto &e : g.transitions) {
    bool found = false;
    for (std::size_t i = 0; i < actual.size() && !found; ++i) {
      const auto &a = actual[i];
      const double t = to_seconds(a.at - scenario::base());
      if (!used[i] && a.finding.rule == e.rule && a.finding.node == e.node &&
          a.finding.subject == e.subject && to_string(a.state) == e.state &&
          std::fabs(t - e.t) <= g.tolerance)
        used[i] = found = true;
    }
    EXPECT_TRUE(found) << name << ": expected " << e.t << " " << e.state << " " << e.rule << " "
                       << e.node << " " << e.subject << "\nactual:\n"
                       << show(actual);
  }
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_TRUE(used[i]) << name << ": unexpected transition\n" << show({actual[i]});
}

class DetectScenario : public ::testing::Test {
protected:
  fs::path dir_ =
      fs::temp_directory_path() / ("clustertop_scenario_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<AlertTransition> record_and_replay(void (*gen)(scenario::Writer &),
                                                 const std::string &name) {
    {
      auto rec = Recorder::open(dir_.string(), scenario::base());
      EXPECT_TRUE(rec.ok());
      scenario::Writer w(**rec);
      gen(w);
      w.finish();
    }
    auto src = ReplaySource::from_recording(dir_.string());
    EXPECT_TRUE(src.ok()) << src.error().message();
    EXPECT_EQ(src->skipped(), 0u);
    return replay(*src, name);
  }
};

TEST_F(DetectScenario, HealthyRunHasNoAlertAtAll) {
  check("healthy", record_and_replay(scenario::healthy, "healthy"));
}

TEST_F(DetectScenario, FenceWaitDeadlockOnOneOfThreeNodes) {
  check("deadlock", record_and_replay(scenario::deadlock, "deadlock"));
}

TEST_F(DetectScenario, SlowMemoryRampToOom) {
  check("oom_ramp", record_and_replay(scenario::oom_ramp, "oom_ramp"));
}

TEST_F(DetectScenario, NodeDropsOffTheNetwork) {
  check("node_drop", record_and_replay(scenario::node_drop, "node_drop"));
}

// Read-back lines keep their place before the crash line (LineBatch::backfilled, kept by the
// recording's `B` records): dated by their arrival, the runner's last steps came after its
// crash, and a false step_stall and gpu_spin ("restart the runner") followed 15 s later.
TEST_F(DetectScenario, ARunnerThatDiedDuringAnOutageHasOnlyItsCrash) {
  check("outage_crash", record_and_replay(scenario::outage_crash, "outage_crash"));
}

// The same dating for runners that stepped on through the outage, one generating at its
// start and one idle until a request during it: no stall while their lines come back.
TEST_F(DetectScenario, RunnersThatSteppedOnThroughAnOutageHaveNoStall) {
  check("outage_steps_on", record_and_replay(scenario::outage_steps_on, "outage_steps_on"));
}

// A runner that hung during an outage: its read-back steps are dated by the outage's start,
// a lower bound, and its step_stall says so (it named the outage's start as the last step
// and counted the silence from there: 8 s too long).
TEST_F(DetectScenario, AHangDuringAnOutageSaysItsLastStepIsABound) {
  const auto seen = record_and_replay(scenario::outage_hang, "outage_hang");
  check("outage_hang", seen);
  bool said = false;
  for (const auto &t : seen)
    if (t.finding.rule == "step_stall" && t.state == AlertState::firing) {
      said = true;
      EXPECT_NE(t.finding.message.find("last step written between 2026-"), std::string::npos)
          << t.finding.message;
      EXPECT_NE(t.finding.message.find(": read back at the reconnect"), std::string::npos)
          << t.finding.message;
      const auto to = t.finding.message.find(" to ");
      EXPECT_TRUE(t.finding.message.rfind("no step for ", 0) == 0 && to != std::string::npos &&
                  to < t.finding.message.find(" s while generating"))
          << t.finding.message;
    }
  EXPECT_TRUE(said) << show(seen);
}

TEST_F(DetectScenario, ThroughputCollapse) {
  check("throughput_collapse",
        record_and_replay(scenario::throughput_collapse, "throughput_collapse"));
}

TEST_F(DetectScenario, OrchestrationOverhead) {
  check("overhead", record_and_replay(scenario::overhead, "overhead"));
}

TEST_F(DetectScenario, CrashSignatureFromPlainLogs) {
  fs::create_directories(dir_);
  auto src = ReplaySource::from_logs(scenario::crash_logs(dir_));
  ASSERT_TRUE(src.ok()) << src.error().message();
  check("crash", replay(*src, "crash"));
}

} // namespace
} // namespace clustertop

namespace clustertop {
namespace {

TEST(DetectReplayCommand, ExitCodesForGoodAndBadInvocations) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("clustertop_replay_cmd_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Options o;
  o.command = Command::replay;
  EXPECT_EQ(run_replay_command(o), exit_code::usage); // nothing to replay
  o.replay_node_logs = scenario::crash_logs(dir);
  o.speed = "fast";
  EXPECT_EQ(run_replay_command(o), exit_code::usage);
  o.speed = "max";
  o.json = true;
  EXPECT_EQ(run_replay_command(o), exit_code::ok);
  o.config_path = (dir / "bad.toml").string();
  std::ofstream(o.config_path) << "[thresholds.stall]\nafterr = 3\n";
  EXPECT_EQ(run_replay_command(o), exit_code::config);
  o.config_path.clear();
  o.replay_node_logs = {"x=" + (dir / "missing.log").string()};
  EXPECT_EQ(run_replay_command(o), exit_code::config);
  for (const char *bad : {"=f.log", "nolog=", "noequals"}) { // a bad --node is the command line's
    o.replay_node_logs = {bad};
    EXPECT_EQ(run_replay_command(o), exit_code::usage) << bad;
  }
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace clustertop
