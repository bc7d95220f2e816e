#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

#include "clustertop/pipeline.hpp"
#include "clustertop/sink/alert_printer.hpp"
#include "clustertop/sink/hook_runner.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

AlertTransition sample_transition(double value = 56.0) {
  return AlertTransition{Finding{"gpu_spin", "mac2", "", Severity::critical, value, 10.0,
                                 "steps stopped; it's \"busy\" $(rm -rf /)"},
                         AlertState::firing, from_epoch_seconds(100), from_epoch_seconds(101.5)};
}

std::string slurp(const std::filesystem::path &p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A crash alert quotes its log line: in the text form every control character (escape
// sequences, OSC 52 that writes the clipboard, \r and backspaces that overwrite what is shown,
// NUL that cut the line short) is a visible escape, on one line with its figures.
TEST(DetectAlertPrinter, TextShowsControlCharactersInsteadOfSendingThem) {
  Store store;
  std::vector<Finding> firing;
  TickContext ctx{store, firing, from_epoch_seconds(0)};
  std::FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  AlertPrinter p(f, false);
  auto t = sample_transition();
  t.finding.subject = "abort\x9b";
  t.finding.message = std::string("terminating \x1b[31mRED\x1b]52;c;aGVsbG8=\x07 x\rOVER\b\b A") +
                      '\0' + "B\nFAKE \xc2\x85 caf\xc3\xa9";
  p.on_transition(t, ctx);
  std::rewind(f);
  std::string out;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) out += static_cast<char>(c);
  std::fclose(f);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out; // one line
  for (char c : out.substr(0, out.size() - 1)) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "byte " << int(u) << " in " << out;
  }
  EXPECT_NE(out.find("mac2[abort\\x9b]: terminating \\x1b[31mRED\\x1b]52;c;aGVsbG8=\\x07 "
                     "x\\x0dOVER\\x08\\x08 A\\x00B\\x0aFAKE \\xc2\\x85 caf\xc3\xa9 (value 56"),
            std::string::npos)
      << out;
}

TEST(DetectAlertPrinter, JsonHasEveryFieldAndNaNIsNull) {
  auto j = alert_json(sample_transition(kUnknown));
  EXPECT_EQ(j["rule"], "gpu_spin");
  EXPECT_EQ(j["node"], "mac2");
  EXPECT_EQ(j["severity"], "critical");
  EXPECT_EQ(j["state"], "firing");
  EXPECT_TRUE(j["value"].is_null());
  EXPECT_EQ(j["threshold"], 10.0);
  EXPECT_EQ(j["first_seen"], "1970-01-01T00:01:40.000Z");
  EXPECT_EQ(j["time"], "1970-01-01T00:01:41.500Z");
}

// A log line quoted in a message may hold U+0085, U+2028 or U+2029, which Unicode-aware
// line readers (Python's splitlines) take as line ends: escaped, one record stays one line.
// So are DEL and the controls of direction, which the text form writes as \x7f and \u202e:
// a terminal showing `tail -f alerts.jsonl` ordered the line by them.
TEST(DetectAlertPrinter, JsonLinesEscapeUnicodeLineEndsAndDirection) {
  AlertTransition t = sample_transition(kUnknown);
  // U+009B: CSI to some terminals showing the lines; U+00A0 and the euro sign stay raw.
  const std::string direction = "\x7F b \xE2\x80\xAE"
                                "evil\xE2\x80\xAC \xE2\x81\xA6x\xE2\x81\xA9 \xE2\x80\x8Fy";
  t.finding.message = "a\xC2\x85"
                      "b\xE2\x80\xA8"
                      "c\xE2\x80\xA9"
                      "d \xE2\x82\xAC \xFF \xC2\x9B"
                      "2J \xC2\xA0" +
                      direction;
  const std::string line = json_line(alert_json(t));
  EXPECT_NE(line.find("a\\u0085b\\u2028c\\u2029d \xE2\x82\xAC \xEF\xBF\xBD \\u009b2J \xC2\xA0"
                      R"(\u007f b \u202eevil\u202c \u2066x\u2069 \u200fy)"),
            std::string::npos)
      << line;
  EXPECT_EQ(nlohmann::json::parse(line)["message"], "a\xC2\x85"
                                                    "b\xE2\x80\xA8"
                                                    "c\xE2\x80\xA9"
                                                    "d \xE2\x82\xAC \xEF\xBF\xBD \xC2\x9B"
                                                    "2J \xC2\xA0" +
                                                        direction);
}

// A NUL in a quoted line is U+FFFD, as the CSV has it: PostgreSQL's jsonb refuses \u0000 and
// a C string ends there. A backslash before "u0000" is text, and stays.
TEST(DetectAlertPrinter, JsonLinesCarryNoNul) {
  AlertTransition t = sample_transition(kUnknown);
  t.finding.message = std::string("NUL\0 then \\u0000 \\\0", 19);
  const std::string line = json_line(alert_json(t));
  EXPECT_EQ(line.find("\\u0000\""), std::string::npos) << line;
  EXPECT_EQ(nlohmann::json::parse(line)["message"], "NUL\xEF\xBF\xBD then \\u0000 \\\xEF\xBF\xBD");
}

TEST(DetectAlertPrinter, WritesOneLinePerTransitionBothFormats) {
  Store store;
  std::vector<Finding> firing;
  TickContext ctx{store, firing, from_epoch_seconds(0)};
  for (bool json : {false, true}) {
    std::FILE *f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    AlertPrinter p(f, json);
    auto t = sample_transition();
    t.finding.message += "\xff\xfe"; // invalid UTF-8 from a log line
    p.on_transition(t, ctx);
    std::rewind(f);
    char buf[2048] = {};
    ASSERT_NE(std::fgets(buf, sizeof buf, f), nullptr);
    std::string line(buf);
    EXPECT_EQ(line.back(), '\n');
    if (json) {
      auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["state"], "firing");
    } else {
      EXPECT_NE(line.find("FIRING"), std::string::npos);
      EXPECT_NE(line.find("gpu_spin mac2:"), std::string::npos);
    }
    std::fclose(f);
  }
}

// The text form is read by people: a byte count is not in scientific notation, and a resolved
// alert does not repeat its last words ("out of memory in about 0 s") as if they still held.
TEST(DetectAlertPrinter, TextSaysLargeValuesWholeAndResolvedAsWhatItLastSaid) {
  AlertTransition t{Finding{"time_to_oom", "mbp", "", Severity::critical, 2074000000.0,
                            2147483648.0, "out of memory in about 0 s"},
                    AlertState::firing, from_epoch_seconds(100), from_epoch_seconds(130)};
  const std::string firing = alert_line(t);
  EXPECT_NE(firing.find("mbp: out of memory in about 0 s (value 2074000000, threshold "
                        "2147483648)"),
            std::string::npos)
      << firing;
  t.state = AlertState::resolved;
  t.at = from_epoch_seconds(100 + 6 * 60 + 20);
  const std::string resolved = alert_line(t);
  EXPECT_NE(resolved.find("RESOLVED critical time_to_oom mbp: cleared after 6m open; it "
                          "last said: out of memory in about 0 s"),
            std::string::npos)
      << resolved;
  t.finding.value = 0.8125;
  EXPECT_NE(alert_line(t).find("(value 0.8125, threshold"), std::string::npos);
  // Past any byte count a node has, the exponent: a garbled line's 9e99 printed 100 digits.
  t.finding.value = 9e99;
  EXPECT_NE(alert_line(t).find("(value 9e+99, threshold"), std::string::npos) << alert_line(t);
}

class DetectHookTest : public ::testing::Test {
protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("clustertop_hook_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Store store_;
  std::vector<Finding> firing_;
  TickContext ctx_{store_, firing_, from_epoch_seconds(0)};
};

TEST_F(DetectHookTest, PassesEnvAndJsonOnStdinWithoutShellInterpretingTheMessage) {
  const auto out = dir_ / "out";
  HookRunner hook("cat > '" + out.string() + ".json'; env | grep ^CLUSTERTOP_ | sort > '" +
                      out.string() + ".env'",
                  std::chrono::seconds(10));
  hook.on_transition(sample_transition(), ctx_);
  EXPECT_EQ(hook.running(), 1u);
  hook.flush();
  EXPECT_EQ(hook.running(), 0u);
  const auto env = slurp(out.string() + ".env");
  EXPECT_NE(env.find("CLUSTERTOP_RULE=gpu_spin\n"), std::string::npos);
  EXPECT_NE(env.find("CLUSTERTOP_STATE=firing\n"), std::string::npos);
  EXPECT_NE(env.find("CLUSTERTOP_MESSAGE=steps stopped; it's \"busy\" $(rm -rf /)\n"),
            std::string::npos);
  auto j = nlohmann::json::parse(slurp(out.string() + ".json"));
  EXPECT_EQ(j["node"], "mac2");
}

// The environment's texts are shown by hooks (`echo "$CLUSTERTOP_MESSAGE"` to a terminal):
// a log line's OSC 52 wrote the user's clipboard. Control characters go as \xHH, as in the
// headless text; the stdin JSON keeps the text (JSON-escaped).
TEST_F(DetectHookTest, TheEnvironmentsTextsCarryNoControlCharacters) {
  const auto out = dir_ / "out";
  HookRunner hook("cat > '" + out.string() + ".json'; env | grep ^CLUSTERTOP_ > '" + out.string() +
                      ".env'",
                  std::chrono::seconds(10));
  auto t = sample_transition();
  t.finding.message = "crash: \x1b]52;c;Q1JBU0g=\x07 end";
  t.finding.subject = "log:\x1b[2J";
  hook.on_transition(t, ctx_);
  hook.flush();
  const auto env = slurp(out.string() + ".env");
  EXPECT_NE(env.find("CLUSTERTOP_MESSAGE=crash: \\x1b]52;c;Q1JBU0g=\\x07 end\n"), std::string::npos)
      << env;
  EXPECT_NE(env.find("CLUSTERTOP_SUBJECT=log:\\x1b[2J\n"), std::string::npos) << env;
  EXPECT_EQ(env.find('\x1b'), std::string::npos);
  auto j = nlohmann::json::parse(slurp(out.string() + ".json"));
  EXPECT_EQ(j["message"], t.finding.message);
}

TEST_F(DetectHookTest, NeverBlocksKillsAfterTimeoutAndLeavesNoZombie) {
  HookRunner hook("sleep 30", std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  hook.on_transition(sample_transition(), ctx_);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  ASSERT_EQ(hook.running(), 1u);
  for (int i = 0; i < 300 && hook.running() > 0; ++i) {
    hook.on_tick(ctx_);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(hook.running(), 0u);
  EXPECT_EQ(hook.killed(), 1u);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1); // no child left, zombie or not
}

// A hook gets stdin, stdout and stderr, not the ssh sockets or log files clustertop holds
// open: a hook that wrote into one broke the node's connection.
TEST_F(DetectHookTest, AHookInheritsNoDescriptorButItsStandardOnes) {
  const int held = ::open("/dev/null", O_RDONLY); // as libssh's sockets: no close-on-exec
  ASSERT_GE(held, 3);
  const auto out = dir_ / "fds";
  // `exec >`: a redirection of ls alone makes the shell save its stdout on a fd of its own.
  HookRunner hook("exec > '" + out.string() + "'; ls /proc/$$/fd", std::chrono::seconds(10));
  hook.on_transition(sample_transition(), ctx_);
  hook.flush();
  ::close(held);
  EXPECT_EQ(slurp(out.string()), "0\n1\n2\n");
}

// What a hook writes reaches clustertop's stderr a line at a time, made safe: dash's echo
// turns a log's literal `\033]52;...\007` into a real clipboard-writing escape, which went to
// the terminal as it was. Its stderr too, and a last line without its end.
TEST_F(DetectHookTest, WhatAHookWritesIsShownNotObeyed) {
  ::testing::internal::CaptureStderr();
  HookRunner hook("printf 'title \\033]0;EVIL\\007 clip \\033]52;c;cm0=\\007\\n'; "
                  "printf 'err \\033[2J\\n' >&2; printf 'no end'",
                  std::chrono::seconds(10));
  hook.on_transition(sample_transition(), ctx_);
  hook.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << err;
  EXPECT_NE(err.find("title \\x1b]0;EVIL\\x07 clip \\x1b]52;c;cm0=\\x07\n"), std::string::npos)
      << err;
  EXPECT_NE(err.find("err \\x1b[2J\n"), std::string::npos) << err;
  EXPECT_NE(err.find("no end\n"), std::string::npos) << err;
}

// Where no tick comes (a replay's dashboard past the replay's end), the pipeline's idle still
// shows what a hook wrote and reaps it: its output and exit status waited for the exit and
// were printed after the screen was gone, never in its status line.
TEST_F(DetectHookTest, IdleShowsAHooksOutputWithoutATick) {
  const auto marker = dir_ / "written";
  ::testing::internal::CaptureStderr();
  HookRunner hook("echo HELLO-IDLE; touch '" + marker.string() + "'", std::chrono::seconds(10));
  Pipeline pipeline(
      store_, [](const LineBatch &, Store &, std::vector<LogEvent> &) {}, Rules{});
  pipeline.add_sink(hook);
  hook.on_transition(sample_transition(), ctx_);
  for (int i = 0; i < 500 && !std::filesystem::exists(marker); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(std::filesystem::exists(marker));
  for (int i = 0; i < 500 && hook.running() > 0; ++i) {
    pipeline.idle();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("HELLO-IDLE\n"), std::string::npos) << err;
  EXPECT_EQ(hook.running(), 0u);
}

// While every shell runs, later transitions wait their turn (a burst of slow hooks dropped
// every one after it, a critical OOM's among them); past 4 a shell waiting, the newest milder
// one gives a critical one its place, and only then is a hook not run.
TEST_F(DetectHookTest, HooksWaitForAShellAndACriticalOneKeepsItsPlace) {
  const auto out = dir_ / "ran";
  ::testing::internal::CaptureStderr();
  HookRunner hook("sleep 0.2; echo \"$CLUSTERTOP_SEVERITY $CLUSTERTOP_VALUE\" >> '" + out.string() +
                      "'",
                  std::chrono::seconds(10), 2);
  const auto transition = [](Severity severity, double value) {
    auto t = sample_transition(value);
    t.finding.severity = severity;
    t.finding.subject = std::to_string(value); // alerts of their own: none waits for another
    return t;
  };
  for (int i = 0; i < 10; ++i) hook.on_transition(transition(Severity::warning, i), ctx_);
  hook.on_transition(transition(Severity::critical, 99), ctx_);
  for (int i = 0; i < 100 && (hook.running() > 0 || hook.started() < 10); ++i) {
    hook.on_tick(ctx_);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  hook.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(hook.started(), 10u) << err;
  EXPECT_EQ(hook.skipped(), 1u) << err;
  const std::string ran = slurp(out);
  EXPECT_NE(ran.find("critical 99"), std::string::npos) << ran;
  EXPECT_EQ(ran.find("warning 9\n"), std::string::npos) << "the newest warning gave its place\n"
                                                        << ran;
  EXPECT_NE(ran.find("warning 0\n"), std::string::npos) << ran;
}

// A pending alert may never fire (its `for` lets a blip pass): it runs no hook. The README's
// notify-send example notified for every blip.
TEST_F(DetectHookTest, APendingAlertRunsNoHook) {
  const auto out = dir_ / "states";
  HookRunner hook("echo \"$CLUSTERTOP_STATE\" >> '" + out.string() + "'", std::chrono::seconds(10));
  auto t = sample_transition();
  for (const auto state : {AlertState::pending, AlertState::firing, AlertState::resolved}) {
    t.state = state;
    hook.on_transition(t, ctx_);
  }
  ::testing::internal::CaptureStderr();
  hook.flush();
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(hook.started(), 2u);
  EXPECT_EQ(slurp(out), "firing\nresolved\n");
}

// A hook that writes "start NODE STATE" and, 0.3 s later, "end NODE STATE" into `out`.
std::string slow_hook(const std::filesystem::path &out) {
  return "echo \"start $CLUSTERTOP_NODE $CLUSTERTOP_STATE\" >> '" + out.string() +
         "'; sleep 0.3; echo \"end $CLUSTERTOP_NODE $CLUSTERTOP_STATE\" >> '" + out.string() + "'";
}

// What the slow hooks wrote for one node.
std::string node_lines(const std::filesystem::path &out, const std::string &node) {
  std::string mine;
  std::istringstream lines(slurp(out));
  for (std::string l; std::getline(lines, l);)
    if (l.find(" " + node + " ") != std::string::npos) mine += l + "\n";
  return mine;
}

// The hooks of one alert run one after the other, in the order of its transitions: a RESOLVED
// and the FIRING of a crash that came back ran at once and could end out of order. Another
// alert's hook does not wait for them. At exit, an alert's newest state alone runs after the
// hook that runs (each waited a timeout in turn).
TEST_F(DetectHookTest, TheHooksOfOneAlertRunInTurn) {
  for (const bool at_exit : {false, true}) {
    const auto out = dir_ / (at_exit ? "order_exit" : "order");
    HookRunner hook(slow_hook(out), std::chrono::seconds(10));
    auto firing = sample_transition();
    auto resolved = firing;
    resolved.state = AlertState::resolved;
    auto other = firing;
    other.finding.node = "mbp";
    hook.on_transition(firing, ctx_);
    hook.on_transition(resolved, ctx_);
    hook.on_transition(firing, ctx_);
    hook.on_transition(other, ctx_);
    EXPECT_EQ(hook.started(), 2u) << "the first of the alert's and the other alert's";
    if (!at_exit)
      for (int i = 0; i < 200 && (hook.running() > 0 || hook.started() < 4); ++i) {
        hook.on_tick(ctx_);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    ::testing::internal::CaptureStderr();
    hook.flush();
    const std::string err = ::testing::internal::GetCapturedStderr();
    if (!at_exit) {
      EXPECT_EQ(hook.started(), 4u);
      EXPECT_EQ(node_lines(out, "mac2"), "start mac2 firing\nend mac2 firing\nstart mac2 "
                                         "resolved\nend mac2 resolved\nstart mac2 firing\nend "
                                         "mac2 firing\n");
      continue;
    }
    EXPECT_EQ(hook.started(), 3u);
    EXPECT_EQ(hook.skipped(), 1u);
    EXPECT_NE(err.find("not run for gpu_spin on mac2 resolved"), std::string::npos) << err;
    EXPECT_EQ(node_lines(out, "mac2"),
              "start mac2 firing\nend mac2 firing\nstart mac2 firing\nend mac2 firing\n");
  }
}

// An alert that flaps while its slow hook runs keeps at most two transitions waiting: the
// oldest pair gives way to the newest (a crash loop with a pager hook of a few seconds built a
// queue that filled the 64 places and dropped other alerts' hooks and its own last RESOLVED).
// What runs keeps the alert's order and ends in its newest state.
TEST_F(DetectHookTest, AFlappingAlertWithASlowHookEndsInItsNewestState) {
  const auto out = dir_ / "flap";
  HookRunner hook(slow_hook(out), std::chrono::seconds(10));
  auto t = sample_transition();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 9; ++i) {
    t.state = i % 2 == 0 ? AlertState::firing : AlertState::resolved;
    hook.on_transition(t, ctx_);
  }
  for (int i = 0; i < 200 && (hook.running() > 0 || hook.started() < 2); ++i) {
    hook.on_tick(ctx_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  hook.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  // The first ran; each third that came found two waiting and took the place of that pair:
  // the last two (resolved, firing) ran after it.
  EXPECT_EQ(hook.started() + hook.skipped(), 9u);
  EXPECT_EQ(hook.started(), 3u) << err;
  EXPECT_EQ(node_lines(out, "mac2"), "start mac2 firing\nend mac2 firing\nstart mac2 "
                                     "resolved\nend mac2 resolved\nstart mac2 firing\nend mac2 "
                                     "firing\n");
}

TEST_F(DetectHookTest, HookThatExitsAtOnceDoesNotKillUsWithSigpipe) {
  HookRunner hook("exit 0", std::chrono::seconds(5));
  for (int i = 0; i < 20; ++i) hook.on_transition(sample_transition(), ctx_);
  hook.flush();
  EXPECT_EQ(hook.started() + hook.skipped(), 20u); // we are still alive to count them
  EXPECT_GE(hook.started(), 1u);
  EXPECT_EQ(hook.running(), 0u);
}

// What a hook leaves running in the background after its shell exits belongs to the hook:
// it may run until the hook's timeout, not past it (before, the group was forgotten with the
// shell and lived on, reparented to init).
TEST_F(DetectHookTest, WhatAHookLeavesInTheBackgroundIsKilledAtItsTimeout) {
  const auto pidfile = dir_ / "bg.pid";
  HookRunner hook("sleep 311 >/dev/null 2>&1 & echo $! > '" + pidfile.string() + "'",
                  std::chrono::milliseconds(600));
  hook.on_transition(sample_transition(), ctx_);
  pid_t bg = 0;
  for (int i = 0; i < 200 && bg == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    hook.reap();
    std::ifstream(pidfile) >> bg;
  }
  ASSERT_GT(bg, 0);
  // The shell is done, the background sleep is not: still the hook's, not yet killed.
  hook.reap();
  EXPECT_EQ(hook.running(), 1u);
  EXPECT_EQ(::kill(bg, 0), 0);
  for (int i = 0; i < 300 && hook.running() > 0; ++i) {
    hook.on_tick(ctx_);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(hook.running(), 0u);
  EXPECT_EQ(hook.killed(), 1u);
  EXPECT_EQ(hook.failed(), 0u);
  bool gone = false; // killed; init reaps it
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(bg) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    gone = text.empty() || text.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the background sleep outlived its hook's timeout";
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1); // and no child of ours is left
}

// A hook that fails says so: a lost notification leaves a trace on stderr.
TEST_F(DetectHookTest, AFailedHookIsCountedAndNamed) {
  for (const char *cmd : {"exit 3", "kill -9 $$", "no_such_command_here 2>/dev/null"}) {
    HookRunner hook(cmd, std::chrono::seconds(5));
    ::testing::internal::CaptureStderr();
    hook.on_transition(sample_transition(), ctx_);
    hook.flush();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(hook.failed(), 1u) << cmd;
    EXPECT_NE(err.find("--on-alert hook for gpu_spin on mac2 firing"), std::string::npos)
        << cmd << ": " << err;
  }
  HookRunner fine("exit 0", std::chrono::seconds(5));
  fine.on_transition(sample_transition(), ctx_);
  fine.flush();
  EXPECT_EQ(fine.failed(), 0u);
}

} // namespace
} // namespace clustertop
