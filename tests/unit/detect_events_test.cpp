#include <cmath>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/core/redact.hpp"
#include "clustertop/detect/alert_book.hpp"
#include "collect_test_util.hpp"
#include "detect_test_util.hpp"

namespace clustertop {
namespace {

using test::at;
using test::only;

const char *kMetalTimeout =
    "libc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] "
    "Command buffer execution failed: Caused GPU Timeout Error "
    "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)";

TEST(DetectCrash, TaggedEventFiresWithItsLineThenAgesOut) {
  Store st;
  Rules r;
  st.add_event(LogEvent{
      "mbp", "log:/tmp/exo.log", at(10), "ERROR", {"info_only"}, Severity::warning, "not a crash"});
  EXPECT_TRUE(only(run_detectors(st, r, at(10)), "crash").empty());
  st.add_event(LogEvent{"mbp",
                        "log:/tmp/exo.log",
                        at(11),
                        "",
                        {"gpu_timeout", "crash"},
                        Severity::critical,
                        kMetalTimeout});
  auto f = only(run_detectors(st, r, at(11)), "crash");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "gpu_timeout");
  EXPECT_EQ(f[0].severity, Severity::critical);
  EXPECT_NE(f[0].message.find("kIOGPUCommandBufferCallbackErrorTimeout"), std::string::npos);
  EXPECT_TRUE(only(run_detectors(st, r, at(5)), "crash").empty()); // before it happened
  EXPECT_TRUE(only(run_detectors(st, r, at(11 + 301)), "crash").empty());
}

// The failure lines of Linux engines (tests/fixtures/failures/sample_19..24) through the
// shipped definitions: each a critical crash alert of its own tag. A CUDA illegal memory
// access, llama.cpp's GGML_ASSERT and libstdc++'s uncaught exception raised none: a
// llama-server that died on a new request's prompt after an idle minute raised nothing.
TEST(DetectCrash, LinuxEnginesFailureLinesAreCrashes) {
  const auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  struct Case {
    std::string file, subject;
    int line = -1; // one line of the file alone; -1: all
  };
  const std::vector<Case> cases = {
      {"failures/sample_19.txt", "abort"},      {"failures/sample_19.txt", "abort", 1},
      {"failures/sample_20.txt", "abort"},      {"failures/sample_21.txt", "abort"},
      {"failures/sample_22.txt", "cuda_error"}, {"failures/sample_23.txt", "cuda_error"},
      {"failures/sample_24.txt", "segfault"},   {"failures/sample_24.txt", "abort", 1}};
  // The same lines behind docker's --timestamps or compose's service name (the engine in a
  // container): the shell's report matched only alone on its line.
  const std::vector<std::string> prefixes = {"", "2026-05-12T08:01:39.331095044Z ", "vllm-1  | "};
  for (const auto &[file, subject, line] : cases)
    for (const auto &prefix : prefixes) {
      Store st;
      Ingest ingest(set);
      std::vector<LogEvent> events;
      st.apply(NodeStatus{"gpu1", "", NodeState::up, "", at(0)});
      auto lines = test::fixture_lines(file);
      if (line >= 0) lines = {lines.at(static_cast<std::size_t>(line))};
      for (auto &l : lines) l.insert(0, prefix);
      ingest.on_batch(LineBatch{"gpu1", "log:/srv/server.log", at(10), lines}, st, events);
      ASSERT_FALSE(events.empty()) << file << ":" << line << " behind '" << prefix << "'";
      // At the line's own time (vLLM's stamp), or its arrival.
      const auto f =
          only(run_detectors(st, Rules{}, events.back().time + std::chrono::seconds(1)), "crash");
      const auto it =
          std::find_if(f.begin(), f.end(), [&](const Finding &x) { return x.subject == subject; });
      ASSERT_NE(it, f.end()) << file << ":" << line << " behind '" << prefix << "'";
      EXPECT_EQ(it->severity, Severity::critical) << file;
    }
}

// A runner that restarted and generated again, then crashed the same way: another episode,
// which fires again (hook, --exit-on) where it was folded into the first crash's alert for
// as long as crashes kept coming within `hold`. Lines of one crash with no progress between
// them stay one episode.
TEST(DetectCrash, ACrashAfterTheNodeGeneratedAgainIsANewEpisode) {
  Store st;
  Rules r;
  AlertBook book(r);
  const auto crash = [&](double t) {
    st.add_event(LogEvent{"mbp",
                          "log:/tmp/exo.log",
                          at(t),
                          "ERROR",
                          {"metal_error", "oom"},
                          Severity::critical,
                          "[METAL] Insufficient Memory"});
  };
  for (double t = 0; t < 10; t += 0.5) test::put(st, "mbp", "step.eval_ms", t, 36);
  crash(10);
  auto tr = book.update(run_detectors(st, r, at(10.5)), at(10.5));
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].state, AlertState::firing);
  EXPECT_EQ(tr[0].finding.subject, "oom");
  crash(11); // the same crash's next line: no progress between
  for (const auto &t : book.update(run_detectors(st, r, at(11.5)), at(11.5)))
    EXPECT_NE(t.finding.rule, "crash") << "one crash, one alert";
  for (double t = 30; t < 60; t += 0.5) test::put(st, "mbp", "step.eval_ms", t, 36); // restarted
  for (const auto &t : book.update(run_detectors(st, r, at(60)), at(60)))
    EXPECT_NE(t.finding.rule, "crash") << "still the first crash's alert";
  crash(70);
  std::vector<AlertState> states;
  for (const auto &t : book.update(run_detectors(st, r, at(70.5)), at(70.5)))
    if (t.finding.rule == "crash") {
      states.push_back(t.state);
      // The new episode's lines only (it said 3: the two of the episode before too).
      if (t.state == AlertState::firing) EXPECT_DOUBLE_EQ(t.finding.value, 1) << t.finding.message;
    }
  EXPECT_EQ(states, (std::vector<AlertState>{AlertState::resolved, AlertState::firing}));
}

// A node that crashed while generating and made no progress since is still dead when the
// crash line is older than `hold`: a vLLM engine dead of a CUDA OOM resolved after 5 minutes
// and, its step_stall held back by the crash, nothing fired at all. Its alert now stands
// until progress resumes; a crash on a node that was not generating still ages out.
TEST(DetectCrash, ACrashThatStoppedGenerationStandsUntilProgressResumes) {
  Store st;
  Rules r;
  for (double t = 0; t <= 60; t += 10) test::put(st, "g", "gen.tokens_per_s", t, 180);
  st.add_event(LogEvent{
      "g", "log:/v.log", at(64), "ERROR", {"cuda_oom", "oom"}, Severity::critical, "CUDA oom"});
  st.add_event(LogEvent{
      "idle", "log:/w.log", at(64), "ERROR", {"cuda_oom", "oom"}, Severity::critical, "CUDA oom"});
  EXPECT_EQ(only(run_detectors(st, r, at(65)), "crash").size(), 2u);
  auto f = only(run_detectors(st, r, at(64 + 3600)), "crash");
  ASSERT_EQ(f.size(), 1u) << "the idle node's crash aged out, the generating one's stands";
  EXPECT_EQ(f[0].node, "g");
  EXPECT_NE(f[0].message.find("at " + iso8601_utc(at(64)) + "; no progress since: CUDA oom"),
            std::string::npos)
      << f[0].message;
  EXPECT_TRUE(only(run_detectors(st, r, at(64 + 3600)), "step_stall").empty())
      << "the crash alert speaks for the silence";
  // A restart (vLLM's "vLLM API server version" line, exo's runner ready: runner.ready, a done
  // metric) says why the node stopped: the crash ages out with `hold`.
  for (double t = 0; t <= 60; t += 10) test::put(st, "g3", "gen.tokens_per_s", t, 180);
  st.add_event(LogEvent{
      "g3", "log:/v.log", at(64), "ERROR", {"cuda_oom", "oom"}, Severity::critical, "CUDA oom"});
  test::put(st, "g3", "runner.ready", 180, 1);
  for (const auto &c : only(run_detectors(st, r, at(64 + 301)), "crash"))
    EXPECT_NE(c.node, "g3") << c.message;
  // A hang that ends in NCCL's watchdog abort ten minutes later: the crash that followed the
  // stall stands too (it aged out, and nothing fired while the node stayed dead).
  st.add_event(LogEvent{"g2",
                        "log:/v.log",
                        at(660),
                        "ERROR",
                        {"nccl_timeout"},
                        Severity::critical,
                        "Watchdog caught collective operation timeout"});
  for (double t = 0; t <= 60; t += 10) test::put(st, "g2", "gen.tokens_per_s", t, 180);
  bool stands = false;
  for (const auto &c : only(run_detectors(st, r, at(660 + 1200)), "crash"))
    stands |= c.node == "g2";
  EXPECT_TRUE(stands);
  for (double t = 64 + 3000; t <= 64 + 3060; t += 10)
    test::put(st, "g", "gen.tokens_per_s", t, 170);
  for (const auto &c : only(run_detectors(st, r, at(64 + 3061)), "crash"))
    EXPECT_NE(c.node, "g") << "generating again after a restart";
}

// The crash message quotes the log line: every output of the alert (headless text and JSON,
// hooks, CSV, the dashboard) gets it with the line's credentials redacted, and the cut to
// 240 bytes comes after the redaction.
TEST(DetectCrash, TheQuotedLineHasItsCredentialsRedacted) {
  Store st;
  Rules r;
  const std::string line = R"([METAL] Command buffer execution failed {"password": "hunter2"} )"
                           "OPENAI_API_KEY=sk-live0123456789abcdefghij max_tokens=512 " +
                           std::string(300, 'x');
  st.add_event(
      LogEvent{"mbp", "log:/tmp/exo.log", at(11), "", {"crash"}, Severity::critical, line});
  st.apply(NodeStatus{"gpu1", "", NodeState::down, "ssh: password=hunter2 rejected", at(0)});
  auto f = run_detectors(st, r, at(12));
  auto crash = only(f, "crash");
  ASSERT_EQ(crash.size(), 1u);
  const std::string &m = crash[0].message;
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  EXPECT_EQ(m.find("sk-live"), std::string::npos) << m;
  EXPECT_NE(m.find(R"({"password": "[redacted]"} OPENAI_API_KEY=[redacted] max_tokens=512)"),
            std::string::npos)
      << m;
  auto down = only(f, "node_down");
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NE(down[0].message.find("ssh: password=[redacted] rejected"), std::string::npos)
      << down[0].message;
}

// A stream's name is a log path the user chose, which may hold a secret: redacted in the
// stream_down alert's subject and message, as its detail is.
TEST(DetectCrash, AStreamNameIsRedactedInItsAlert) {
  Store st;
  Rules r;
  st.apply(NodeStatus{"gpu1", "", NodeState::up, "", at(0)});
  st.apply(NodeStatus{"gpu1", "log:/srv/OPENAI_API_KEY=sk-live0123456789abcdefghij/x.log",
                      NodeState::down, "tail: cannot open", at(1)});
  const auto down = only(run_detectors(st, r, at(20)), "stream_down");
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].subject, "log:/srv/OPENAI_API_KEY=[redacted]") << down[0].subject;
  EXPECT_EQ(down[0].message.find("sk-live"), std::string::npos) << down[0].message;
}

// Two logs that read the same once redacted are two alerts: the subject keys the alert, and
// one for both hid the second log's outage behind the first's. Each is numbered among the
// node's streams that read alike, up or down; a stream with nothing to redact keeps its name.
TEST(DetectCrash, TwoStreamsThatReadAlikeRedactedAreTwoAlerts) {
  Store st;
  Rules r;
  st.apply(NodeStatus{"gpu1", "", NodeState::up, "", at(0)});
  st.apply(NodeStatus{"gpu1", "log:/srv/password=a1/x.log", NodeState::down, "gone", at(1)});
  st.apply(NodeStatus{"gpu1", "log:/srv/password=b2/x.log", NodeState::up, "", at(1)});
  st.apply(NodeStatus{"gpu1", "log:/srv/plain.log", NodeState::down, "gone", at(1)});
  auto down = only(run_detectors(st, r, at(20)), "stream_down");
  ASSERT_EQ(down.size(), 2u);
  EXPECT_EQ(down[0].subject, "log:/srv/password=[redacted] (1 of 2)");
  EXPECT_EQ(down[1].subject, "log:/srv/plain.log");
  st.apply(NodeStatus{"gpu1", "log:/srv/password=b2/x.log", NodeState::down, "gone", at(21)});
  down = only(run_detectors(st, r, at(40)), "stream_down");
  ASSERT_EQ(down.size(), 3u);
  EXPECT_EQ(down[0].subject, "log:/srv/password=[redacted] (1 of 2)");
  EXPECT_EQ(down[1].subject, "log:/srv/password=[redacted] (2 of 2)");
  for (const auto &f : down) EXPECT_EQ(f.message.find("b2"), std::string::npos) << f.message;
}

// The quoted line is cut at 240 bytes: never inside a character, whose first bytes were
// sent on without the rest (invalid UTF-8 in hooks' CLUSTERTOP_MESSAGE).
TEST(DetectCrash, TheQuotedLineIsCutBetweenCharacters) {
  for (const std::size_t pad : {0U, 1U, 2U}) { // moves the 240th byte through a character
    Store st;
    Rules r;
    std::string line = "SIGABRT " + std::string(pad, 'y');
    for (int i = 0; i < 100; ++i) line += "\xE2\x82\xAC"; // U+20AC, 3 bytes
    st.add_event(
        LogEvent{"mbp", "log:/tmp/exo.log", at(11), "", {"crash"}, Severity::critical, line});
    const auto crash = only(run_detectors(st, r, at(12)), "crash");
    ASSERT_EQ(crash.size(), 1u);
    const std::string &m = crash[0].message;
    const auto dots = m.rfind("...");
    ASSERT_NE(dots, std::string::npos) << m;
    const std::string quoted = m.substr(0, dots);
    EXPECT_EQ(quoted.substr(quoted.size() - 3), "\xE2\x82\xAC") << "pad " << pad;
  }
}

// Nor inside a "[redacted]": the CSV's redaction of its cells made "Bearer [redacte..."
// whole again and dropped the "...", so the CSV said another message than the FIRING line.
TEST(DetectCrash, TheQuotedLineIsNotCutInsideARedaction) {
  for (std::size_t pad = 0; pad < 12; ++pad) { // moves the cut through "[redacted]"
    Store st;
    Rules r;
    const std::string line =
        "SIGABRT " + std::string(211 + pad, 'y') + " Authorization: Bearer abcdefghijklmnop tail";
    st.add_event(
        LogEvent{"mbp", "log:/tmp/exo.log", at(11), "", {"crash"}, Severity::critical, line});
    const auto crash = only(run_detectors(st, r, at(12)), "crash");
    ASSERT_EQ(crash.size(), 1u);
    const std::string &m = crash[0].message;
    EXPECT_EQ(m.find("abcdefghijklmnop"), std::string::npos) << m;
    const bool whole = m.find("Bearer [redacted]") != std::string::npos;
    EXPECT_TRUE(whole || m.find("[red") == std::string::npos) << "pad " << pad << ": " << m;
    EXPECT_EQ(redact_secrets(m), m) << "pad " << pad << ": the CSV would change it";
  }
}

// Events are kept in the order they arrived, which is not always their lines' order: a log
// read back at a reconnect (backfill_lines) brings old lines after new ones. An old line
// arriving after a crash must not hide the crash from the detector.
TEST(DetectCrash, AnOlderLineArrivingAfterTheCrashDoesNotHideIt) {
  Store st;
  Rules r;
  st.add_event(LogEvent{"mbp",
                        "log:/tmp/exo.log",
                        at(1000),
                        "",
                        {"gpu_timeout", "crash"},
                        Severity::critical,
                        kMetalTimeout});
  st.add_event(LogEvent{
      "mbp", "log:/tmp/exo.log", at(10), "ERROR", {"info_only"}, Severity::warning, "backfilled"});
  const auto f = only(run_detectors(st, r, at(1001)), "crash");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "gpu_timeout");
}

// A crash line read late (a second log's tail restarted) that is older than the one already
// alerted on, with no progress between, is the same failure: it resolved the alert and paged
// it again, quoting the older line as the crash.
TEST(DetectCrash, AnOlderLineOfTheSameFailureArrivingLateIsTheSameAlert) {
  Store st;
  Rules r;
  AlertBook book(r);
  const auto crash = [&](const std::string &stream, double t, const std::string &text) {
    st.add_event(LogEvent{"mbp", stream, at(t), "ERROR", {"crash"}, Severity::critical, text});
  };
  for (double t = 0; t < 10; t += 0.5) test::put(st, "mbp", "step.eval_ms", t, 36);
  crash("log:/tmp/exo.log", 50, "Runner terminated with signal=6 (newer)");
  auto tr = book.update(run_detectors(st, r, at(50.5)), at(50.5));
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].state, AlertState::firing);
  crash("log:/tmp/runner.log", 12, "Runner terminated with signal=6 (older)"); // arrives now
  for (const auto &t : book.update(run_detectors(st, r, at(55)), at(55)))
    EXPECT_NE(t.finding.rule, "crash") << to_string(t.state) << ": " << t.finding.message;
  const auto f = only(run_detectors(st, r, at(55)), "crash");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("(newer)"), std::string::npos) << f[0].message;
  EXPECT_DOUBLE_EQ(f[0].value, 2);
  // A crash after the node generated again is still another episode.
  for (double t = 60; t < 70; t += 0.5) test::put(st, "mbp", "step.eval_ms", t, 36);
  crash("log:/tmp/exo.log", 71, "Runner terminated with signal=6 (again)");
  std::vector<AlertState> states;
  for (const auto &t : book.update(run_detectors(st, r, at(71.5)), at(71.5)))
    if (t.finding.rule == "crash") states.push_back(t.state);
  EXPECT_EQ(states, (std::vector<AlertState>{AlertState::resolved, AlertState::firing}));
}

// A node whose clock runs a minute ahead of ours: its crash line has arrived, so it alerts
// now, not when our clock reaches the line's time. Without an arrival, the line's time rules.
TEST(DetectCrash, ALineFromAClockAheadAlertsOnArrival) {
  Store st;
  Rules r;
  LogEvent e{"mbp", "log:/tmp/exo.log", at(160), "", {"crash"}, Severity::critical, kMetalTimeout};
  st.add_event(e);
  EXPECT_TRUE(only(run_detectors(st, r, at(100)), "crash").empty());
  e.arrived = at(100);
  st.add_event(e);
  EXPECT_EQ(only(run_detectors(st, r, at(100)), "crash").size(), 1u);
  EXPECT_TRUE(only(run_detectors(st, r, at(99)), "crash").empty()); // before it arrived
}

TEST(DetectNodes, DownStaleAndStreamDown) {
  Store st;
  Rules r;
  st.apply(NodeStatus{"a", "", NodeState::down, "connection refused", at(0)});
  st.apply(NodeStatus{"b", "", NodeState::up, "", at(0)});
  st.apply(NodeStatus{"b", "macmon", NodeState::down, "exited with status 127", at(1)});
  st.apply(NodeStatus{"c", "", NodeState::stale, "no data for 30 s", at(0)});
  auto f = run_detectors(st, r, at(5));
  auto down = only(f, "node_down");
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NE(down[0].message.find("connection refused"), std::string::npos);
  auto sd = only(f, "stream_down");
  ASSERT_EQ(sd.size(), 1u);
  EXPECT_EQ(sd[0].subject, "macmon");
  EXPECT_EQ(only(f, "node_stale").size(), 1u);
}

// A node frozen for 40 s (its sshd stopped): a stream goes down ("no output"), then the node;
// when it answers again its `up` comes 25-50 ms before its streams' own, and the detectors
// that ran in between saw the stream down from before the outage: a stale PENDING
// stream_down, with a hook run, at every recovery. A new connection's streams report anew.
TEST(DetectNodes, ANodeBackUpRaisesNoStreamDownFromBeforeItsOutage) {
  Store st;
  Rules r;
  st.apply(NodeStatus{"a", "", NodeState::up, "connected", at(0)});
  st.apply(NodeStatus{"a", "meminfo", NodeState::up, "running", at(0)});
  st.apply(NodeStatus{"a", "meminfo", NodeState::down, "no output for 15.2s", at(20)});
  st.apply(NodeStatus{"a", "", NodeState::down, "node stopped answering", at(30)});
  st.apply(NodeStatus{"a", "", NodeState::connecting, "reconnecting (attempt 1)", at(40)});
  st.apply(NodeStatus{"a", "", NodeState::up, "connected", at(60)});
  EXPECT_TRUE(only(run_detectors(st, r, at(60)), "stream_down").empty());
  st.apply(NodeStatus{"a", "meminfo", NodeState::up, "running", at(60)});
  EXPECT_TRUE(only(run_detectors(st, r, at(61)), "stream_down").empty());
  // A stream that is down on the new connection still says so.
  st.apply(NodeStatus{"a", "meminfo", NodeState::down, "exited with status 1", at(62)});
  auto sd = only(run_detectors(st, r, at(63)), "stream_down");
  ASSERT_EQ(sd.size(), 1u);
  EXPECT_NE(sd[0].message.find("exited with status 1"), std::string::npos) << sd[0].message;
  // A node stale and up again is the same connection: its stream is still down.
  st.apply(NodeStatus{"a", "", NodeState::stale, "a stream stopped ticking", at(64)});
  st.apply(NodeStatus{"a", "", NodeState::up, "streams ticking again", at(65)});
  EXPECT_EQ(only(run_detectors(st, r, at(66)), "stream_down").size(), 1u);
}

Finding finding(const std::string &rule, Severity s = Severity::warning) {
  return Finding{rule, "mac1", "", s, 1, 2, "m"};
}

// A firing alert whose finding has been milder for `clear_after` fires again at the milder
// severity, in its words (a critical "out of memory in about 54 s" stood for the 20 minutes of
// decode after the prefill that fired it); a shorter dip leaves it as it fired. A crash (its
// clear_after 0: an event, not an estimate) keeps what it fired as.
TEST(AlertBook, AFindingMilderForClearAfterStepsTheAlertDown) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(0), std::chrono::seconds(30)};
  AlertBook book(r);
  auto crit = finding("time_to_oom", Severity::critical);
  auto warn = finding("time_to_oom", Severity::warning);
  warn.message = "out of memory in about 4 min";
  ASSERT_EQ(book.update({crit}, at(0)).size(), 1u);
  EXPECT_TRUE(book.update({warn}, at(10)).empty());
  EXPECT_TRUE(book.update({crit}, at(20)).empty()); // a dip of 10 s
  EXPECT_TRUE(book.update({warn}, at(25)).empty());
  EXPECT_TRUE(book.update({warn}, at(50)).empty()); // 25 s milder
  auto t = book.update({warn}, at(55));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing);
  EXPECT_EQ(t[0].finding.severity, Severity::warning);
  EXPECT_EQ(t[0].finding.message, "out of memory in about 4 min");
  EXPECT_EQ(t[0].first_seen, at(0)) << "the same episode";
  ASSERT_EQ(book.firing().size(), 1u);
  EXPECT_EQ(book.firing()[0].severity, Severity::warning);

  AlertBook crashes(r);
  crashes.update({finding("crash", Severity::critical)}, at(0));
  for (double s = 1; s <= 100; s += 1)
    EXPECT_TRUE(crashes.update({finding("crash", Severity::warning)}, at(s)).empty());
  EXPECT_EQ(crashes.firing()[0].severity, Severity::critical);
}

// This machine's clock stepped back 5 minutes while an alert was pending and another firing:
// held as they were, the pending one's `for` counted from 5 minutes ahead and it did not fire
// for 5 minutes, nor did the firing one clear. Shifted with the clock, both keep their pace.
TEST(AlertBook, TimesMoveWithAStepOfThisMachinesClock) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  r.crash.alert = AlertPolicy{std::chrono::seconds(0), std::chrono::seconds(30)};
  AlertBook book(r);
  const Duration back = -std::chrono::minutes(5);
  book.update({finding("oom_headroom"), finding("crash")}, at(300));
  book.update({finding("oom_headroom")}, at(305));
  book.shift(back); // at(305) is now at(5)
  auto t = book.update({finding("oom_headroom")}, at(10));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].finding.rule, "oom_headroom");
  EXPECT_EQ(t[0].state, AlertState::firing) << "pending since 0 on the stepped clock";
  t = book.update({finding("oom_headroom")}, at(31));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].finding.rule, "crash");
  EXPECT_EQ(t[0].state, AlertState::resolved) << "last seen at 0 on the stepped clock";

  // A crash's episode is its first line's time, which the store moves too: the same episode
  // (read as another after a step back of 5 s, it resolved and fired again: two pages).
  AlertBook crashes(r);
  Finding crash = finding("crash", Severity::critical);
  crash.episode = at(100).time_since_epoch().count();
  crashes.update({crash}, at(101));
  crashes.shift(-std::chrono::seconds(5));
  crash.episode = at(95).time_since_epoch().count();
  EXPECT_TRUE(crashes.update({crash}, at(97)).empty());
}

TEST(AlertBook, ForPendingThenFiringThenResolvedAfterClear) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  AlertBook book(r);
  auto t = book.update({finding("oom_headroom")}, at(0));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::pending);
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(5)).empty()); // de-dup
  t = book.update({finding("oom_headroom")}, at(10));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing);
  EXPECT_EQ(t[0].first_seen, at(0));
  EXPECT_EQ(book.firing().size(), 1u);
  EXPECT_TRUE(book.update({}, at(20)).empty()); // absent, but clear_after not reached
  t = book.update({}, at(40));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::resolved);
  EXPECT_EQ(t[0].at, at(40));
  EXPECT_TRUE(book.firing().empty());
}

// A finding just short of its threshold (sustain_only) keeps a firing alert of its key from
// resolving, with the words it fired with, and starts nothing: context_at_oom's estimate
// wandering around max_context_tokens fired and resolved 15 times in 95 minutes.
TEST(AlertBook, ASustainOnlyFindingKeepsAFiringAlertAndStartsNone) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  AlertBook book(r);
  Finding near = finding("context_at_oom");
  near.message = "";
  near.sustain_only = true;
  EXPECT_TRUE(book.update({near}, at(0)).empty()) << "starts nothing";
  EXPECT_EQ(book.open_count(), 0u);
  book.update({finding("context_at_oom")}, at(0));
  EXPECT_TRUE(book.update({near}, at(6)).empty()); // missing 6 s of `for`'s 10
  EXPECT_EQ(book.open_count(), 0u) << "a pending alert is not kept";
  book.update({finding("context_at_oom")}, at(10));
  auto t = book.update({finding("context_at_oom")}, at(20));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing);
  for (int s = 30; s <= 120; s += 10) EXPECT_TRUE(book.update({near}, at(s)).empty()) << s;
  ASSERT_EQ(book.firing().size(), 1u);
  EXPECT_EQ(book.firing()[0].message, "m") << "the words it fired with";
  EXPECT_TRUE(book.update({}, at(140)).empty()); // absent 20 s: clear_after not reached
  t = book.update({}, at(150));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::resolved);
  EXPECT_EQ(t[0].finding.message, "m");
  // With words of its own, the estimate that moved on is what the alert says (a RESOLVED line
  // quoted the estimate two minutes old).
  book.update({finding("context_at_oom")}, at(200));
  book.update({finding("context_at_oom")}, at(210));
  ASSERT_EQ(book.firing().size(), 1u);
  Finding moved = near;
  moved.message = "runs out at ~203K tokens, just past the 200K max context";
  EXPECT_TRUE(book.update({moved}, at(220)).empty());
  ASSERT_EQ(book.firing().size(), 1u);
  EXPECT_EQ(book.firing()[0].message, moved.message);
  EXPECT_FALSE(book.firing()[0].sustain_only);
}

// A milder finding of a firing alert leaves it the finding it fired as: CSV and /metrics
// (which read firing()) said "warning" for a crash whose FIRING, hook and JSON said critical,
// and then the milder line's words.
TEST(AlertBook, AMilderFindingKeepsTheSeverityTheAlertFiredAt) {
  Rules r;
  AlertBook book(r);
  ASSERT_EQ(book.update({finding("crash", Severity::critical)}, at(0)).size(), 1u);
  Finding milder = finding("crash", Severity::warning);
  milder.message = "runner exited with exit code 1";
  EXPECT_TRUE(book.update({milder}, at(1)).empty()) << "no transition";
  ASSERT_EQ(book.firing().size(), 1u);
  EXPECT_EQ(book.firing()[0].severity, Severity::critical);
  EXPECT_EQ(book.firing()[0].message, "m") << "the words it fired with, not the milder line's";
}

// A runner's death by a signal (crash, exited) and its routine exit (exited alone) are two
// alerts: with `exited` first in the order, the warning took over the critical one.
TEST(DetectCrash, ARunnersDeathBySignalAndItsRoutineExitAreTwoAlerts) {
  Store st;
  Rules r;
  st.add_event(LogEvent{"mbp",
                        "log:/tmp/exo.log",
                        at(10),
                        "ERROR",
                        {"crash", "exited"},
                        Severity::critical,
                        "Runner terminated with signal=11"});
  st.add_event(LogEvent{"mbp",
                        "log:/tmp/exo.log",
                        at(20),
                        "WARNING",
                        {"exited"},
                        Severity::warning,
                        "Runner exited with exit code 1"});
  const auto f = only(run_detectors(st, r, at(21)), "crash");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].subject, "crash");
  EXPECT_EQ(f[0].severity, Severity::critical);
  EXPECT_EQ(f[1].subject, "exited");
  EXPECT_EQ(f[1].severity, Severity::warning);
}

// One Metal out-of-memory death writes three crash lines: MLX's abort, its [METAL] line
// (tests/fixtures/failures/sample_3.txt) and exo's runner terminated by signal 6, a moment
// apart. One burst, one alert, under its most telling tag, quoting that line: they were
// three critical pages, the first titled "abort". A crash 10 s later is another.
TEST(DetectCrash, TheLinesOfOneFailureAreOneAlertUnderItsMostTellingTag) {
  const auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  Store st;
  Ingest ingest(set);
  std::vector<LogEvent> events;
  st.apply(NodeStatus{"mac3", "", NodeState::up, "", at(0)});
  const std::string log = "log:/tmp/exo.log";
  ingest.on_batch(LineBatch{"mac3", log, at(10), test::fixture_lines("failures/sample_3.txt")}, st,
                  events);
  ingest.on_batch(LineBatch{"mac3",
                            log,
                            at(10) + std::chrono::milliseconds(80),
                            {"Runner terminated with signal=6 (Abort trap: 6)"}},
                  st, events);
  ASSERT_GE(events.size(), 2u);
  auto f = only(run_detectors(st, Rules{}, at(11)), "crash");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "oom");
  EXPECT_EQ(f[0].severity, Severity::critical);
  EXPECT_NE(f[0].message.find("OutOfMemory"), std::string::npos) << f[0].message;
  ingest.on_batch(LineBatch{"mac3", log, at(20), {"Runner terminated with signal=11"}}, st, events);
  f = only(run_detectors(st, Rules{}, at(21)), "crash");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].subject, "crash");
  EXPECT_EQ(f[1].subject, "oom");
}

TEST(AlertBook, ZeroForFiresAtOncePendingDropsAndEscalationRefires) {
  Rules r;
  AlertBook book(r);
  auto t = book.update({finding("crash")}, at(0)); // crash: for 0
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing);
  t = book.update({finding("crash", Severity::critical)}, at(1));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].finding.severity, Severity::critical);
  EXPECT_EQ(book.update({}, at(1)).size(), 1u);      // crash clear_after 0: resolves at once
  t = book.update({finding("oom_headroom")}, at(2)); // oom: for 10 s
  EXPECT_EQ(t[0].state, AlertState::pending);
  EXPECT_TRUE(book.update({}, at(3)).empty()); // a gap: still pending
  EXPECT_EQ(book.open_count(), 1u);
  EXPECT_TRUE(book.update({}, at(8)).empty()); // missing 6 s in a row: dropped silently
  EXPECT_EQ(book.open_count(), 0u);
}

// A firing warning whose finding turns critical for a tick or two (a chance fit of a noisy
// memory series: "falls 4.8 GiB/min over the last 7 s") stays a warning; a rise that holds
// for the rule's `for` fires again, critical, once; a fall and a new rise after it are news
// no more (the episode has been critical).
TEST(AlertBook, ARiseInSeverityFiresOnlyOnceItHasHeldForFor) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  AlertBook book(r);
  book.update({finding("oom_headroom")}, at(0));
  ASSERT_EQ(book.update({finding("oom_headroom")}, at(10)).size(), 1u); // firing, warning
  // A blip: critical at 11 and 12, warning at 13, critical again from 14.
  Finding rising = finding("oom_headroom", Severity::critical);
  rising.message = "critical words";
  EXPECT_TRUE(book.update({rising}, at(11)).empty());
  ASSERT_EQ(book.firing().size(), 1u);
  EXPECT_EQ(book.firing()[0].severity, Severity::warning);
  EXPECT_NE(book.firing()[0].message, "critical words") << "the fired finding's, not the rise's";
  EXPECT_TRUE(book.update({finding("oom_headroom", Severity::critical)}, at(12)).empty());
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(13)).empty());
  EXPECT_TRUE(book.update({finding("oom_headroom", Severity::critical)}, at(14)).empty());
  EXPECT_TRUE(book.update({finding("oom_headroom", Severity::critical)}, at(23)).empty());
  auto t = book.update({finding("oom_headroom", Severity::critical)}, at(24)); // held 10 s
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing);
  EXPECT_EQ(t[0].finding.severity, Severity::critical);
  EXPECT_EQ(t[0].first_seen, at(0));
  EXPECT_EQ(book.firing()[0].severity, Severity::critical);
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(25)).empty());
  EXPECT_TRUE(book.update({finding("oom_headroom", Severity::critical)}, at(26)).empty());
  EXPECT_TRUE(book.update({finding("oom_headroom", Severity::critical)}, at(40)).empty());
}

// Findings present for the first second of every 7 s, at 100 ms evaluations: each pending
// is missing for more than half of `for` (10 s) in a row and dropped before it can hold.
std::vector<Finding> blinking(double t) {
  return std::fmod(t, 7.0) < 0.95 ? std::vector<Finding>{finding("oom_headroom")}
                                  : std::vector<Finding>{};
}

// A finding that keeps coming back: one PENDING per minute, not one per return; it still
// fires once it has held for `for`.
TEST(AlertBook, APendingThatKeepsComingBackIsAnnouncedOnceAMinute) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  AlertBook book(r);
  int pendings = 0;
  for (int i = 0; i < 560; ++i) // 56 s: eight returns
    for (const auto &t : book.update(blinking(i * 0.1), at(i * 0.1)))
      pendings += t.state == AlertState::pending ? 1 : 0;
  EXPECT_EQ(pendings, 1);
  EXPECT_EQ(book.open_count(), 0u) << "the last one dropped";
  auto t = book.update({finding("oom_headroom")}, at(70)); // a minute after the announcement
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::pending);
  EXPECT_TRUE(book.update({}, at(77)).empty()); // dropped
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(78)).empty()) << "quiet again";
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(87)).empty());
  t = book.update({finding("oom_headroom")}, at(88));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::firing) << "held for `for`: fires";
  EXPECT_EQ(t[0].first_seen, at(78));
  // Resolved, then back: a new episode, announced.
  EXPECT_EQ(book.update({}, at(120)).size(), 1u);
  t = book.update({finding("oom_headroom")}, at(125));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, AlertState::pending);
}

// Coming back for five minutes: announced once a minute, not once in all.
TEST(AlertBook, ReturnsThatLastAreAnnouncedAgainEachMinute) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(30)};
  AlertBook book(r);
  int pendings = 0, firings = 0;
  for (int i = 0; i < 3000; ++i) // 300 s
    for (const auto &t : book.update(blinking(i * 0.1), at(i * 0.1))) {
      pendings += t.state == AlertState::pending ? 1 : 0;
      firings += t.state == AlertState::firing ? 1 : 0;
    }
  EXPECT_EQ(pendings, 5);
  EXPECT_EQ(firings, 0) << "present a seventh of the time: never held";
}

// A finding that sits on its threshold (GPU memory at 97.96-98.04 % against 98 %, macOS
// pressure "warn" two thirds of the time) comes and goes with each evaluation. It had to
// hold `for` without a break and never fired; present for half of `for` or more, it holds.
int first_firing(const std::function<bool(int)> &present, int seconds) {
  Rules r;
  r.oom.alert = AlertPolicy{std::chrono::seconds(10), std::chrono::seconds(60)};
  AlertBook book(r);
  for (int s = 0; s <= seconds; ++s)
    for (const auto &t : book.update(present(s) ? std::vector<Finding>{finding("oom_headroom")}
                                                : std::vector<Finding>{},
                                     at(s)))
      if (t.state == AlertState::firing) return s;
  return -1;
}

TEST(AlertBook, AFindingOnItsThresholdFires) {
  EXPECT_EQ(first_firing([](int s) { return s % 3 != 2; }, 600), 10) << "two seconds of three";
  EXPECT_EQ(first_firing([](int s) { return s % 2 == 0; }, 600), 10) << "every other second";
  std::mt19937 rng(5); // at random, half the time
  std::vector<bool> coin(601);
  for (auto &&c : coin) c = (rng() & 1U) != 0;
  const int at_random = first_firing([&](int s) { return static_cast<bool>(coin[s]); }, 600);
  EXPECT_GE(at_random, 10);
  EXPECT_LE(at_random, 120);
  EXPECT_EQ(first_firing([](int s) { return s % 3 == 0; }, 600), -1) << "one second of three";
  EXPECT_EQ(first_firing([](int s) { return s % 10 < 4; }, 600), -1) << "4 s of 10";
  EXPECT_EQ(first_firing([](int s) { return s < 6 || s > 11; }, 600), 22)
      << "missing 6 s in a row: pending again from 12 s";
}

TEST(AlertBook, ClockJumpBackNeitherFiresNorResolves) {
  Rules r;
  AlertBook book(r);
  book.update({finding("oom_headroom")}, at(100));
  EXPECT_TRUE(book.update({finding("oom_headroom")}, at(50)).empty());
  EXPECT_EQ(book.open_count(), 1u);
}

} // namespace
} // namespace clustertop
