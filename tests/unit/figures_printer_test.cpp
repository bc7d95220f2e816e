#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clustertop/sink/figures_printer.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

TEST(FiguresPrinter, TextShowsFiguresUnknownsAndTheLastLogLine) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  s.add(Sample{"mac1", "mem.available_bytes", "", 4.0 * 1024 * 1024 * 1024, t});
  s.add(Sample{"mac1", "mem.total_bytes", "", 36.0 * 1024 * 1024 * 1024, t});
  s.add(Sample{"mac1", "gpu.power_w", "0", 31, t});
  s.add(Sample{"mac1", "gpu.power_w", "1", 25, t});
  s.add_log_line("mac1", "log:x", t, "hello\x1b[2J world\r\xc2\x9b" + std::string(200, 'z'));
  const auto line = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_EQ(line.rfind("1970-01-01T01:00:00.000Z mac1 up mem avail 4.0G / 36.0G", 0), 0U) << line;
  EXPECT_NE(line.find("gpu 56.0W"), std::string::npos) << line;
  EXPECT_NE(line.find("step -"), std::string::npos) << line;
  // The log line's escapes are shown, not sent: a terminal would clear its screen.
  EXPECT_NE(line.find("| hello\\x1b[2J world\\x0d\\xc2\\x9b" + std::string(102, 'z') + "..."),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  // A garbled line's figure in four figures, not a hundred digits.
  s.add(Sample{"mac1", "step.fence_wait_ms", "", 9e99, t});
  const auto huge = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_NE(huge.find("fence 9e+99ms"), std::string::npos) << huge;
  EXPECT_LT(huge.size(), line.size() + 20) << huge;
}

// A server's KV cache use and requests are in its figures (vLLM, SGLang); a node that reports
// neither (exo) keeps its line as it was, and its JSON says null.
TEST(FiguresPrinter, AServersKvCacheAndRequestsAreFigures) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"gpu1", "", NodeState::up, "", t});
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  s.add(Sample{"gpu1", "kv_cache.usage_pct", "", 87.5, t});
  s.add(Sample{"gpu1", "req.running", "", 8, t});
  s.add(Sample{"gpu1", "req.waiting", "", 3, t});
  s.add(Sample{"mac1", "step.eval_ms", "", 36, t});
  const auto line = FiguresPrinter::text_line(s, "gpu1", t);
  EXPECT_NE(line.find("ctx - kv 88% running 8 waiting 3"), std::string::npos) << line;
  const auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "gpu1", t));
  EXPECT_EQ(j["kv_cache_usage_pct"], 87.5);
  EXPECT_EQ(j["requests_running"], 8);
  EXPECT_EQ(j["requests_waiting"], 3);
  const auto exo = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_EQ(exo.find(" kv "), std::string::npos) << exo;
  EXPECT_EQ(exo.find("running"), std::string::npos) << exo;
  const auto je = nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t));
  EXPECT_TRUE(je.contains("kv_cache_usage_pct") && je["kv_cache_usage_pct"].is_null());
  EXPECT_TRUE(je.contains("requests_waiting") && je["requests_waiting"].is_null());
}

// How busy a GPU is and a Mac's memory pressure, the figures gpu_spin and oom_pressure decide
// on, are in the figures lines: a headless user could not see them.
TEST(FiguresPrinter, GpuBusyAndMemoryPressureAreFigures) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  s.add(Sample{"mac1", "gpu.active_ratio", "", 0.93, t});
  s.add(Sample{"mac1", "mem.pressure_level", "", 1, t});
  s.apply(NodeStatus{"gpu1", "", NodeState::up, "", t});
  s.add(Sample{"gpu1", "gpu.util_pct", "0", 12, t});
  s.add(Sample{"gpu1", "gpu.util_pct", "1", 97, t});
  const auto mac = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_NE(mac.find("ctx - gpu busy 93% pressure warn"), std::string::npos) << mac;
  const auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t));
  EXPECT_DOUBLE_EQ(j["gpu_busy_pct"].get<double>(), 93);
  EXPECT_EQ(j["mem_pressure_level"], 1);
  const auto gpu = FiguresPrinter::text_line(s, "gpu1", t);
  EXPECT_NE(gpu.find("gpu busy 97%"), std::string::npos) << gpu;
  EXPECT_EQ(gpu.find("pressure"), std::string::npos) << gpu;
  EXPECT_TRUE(nlohmann::json::parse(FiguresPrinter::json_line(s, "gpu1", t))["mem_pressure_level"]
                  .is_null());
}

// A node's sampled figures (memory, GPU) are unknown once older than a minute, as the CSV and
// /metrics read them: the figures line of a node down for minutes still gave its last 24.7 GB
// free and 610 W as current, where the CSV row of the same tick was empty.
TEST(FiguresPrinter, SamplesOlderThanAMinuteAreUnknownStepsStay) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"n2", "", NodeState::up, "", t});
  s.add(Sample{"n2", "mem.available_bytes", "", 24.0 * 1024 * 1024 * 1024, t});
  s.add(Sample{"n2", "gpu.power_w", "0", 300, t});
  s.add(Sample{"n2", "step.eval_ms", "", 36, t});
  const auto later = t + std::chrono::seconds(75);
  s.apply(NodeStatus{"n2", "", NodeState::down, "connection refused", t + std::chrono::seconds(1)});
  const auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "n2", later));
  EXPECT_TRUE(j["mem_available_bytes"].is_null()) << j.dump();
  EXPECT_TRUE(j["gpu_power_w"].is_null()) << j.dump();
  EXPECT_EQ(j["step_eval_ms"], 36);
  const auto text = FiguresPrinter::text_line(s, "n2", later);
  EXPECT_NE(text.find("mem avail - / - swap - gpu - step 36.0ms"), std::string::npos) << text;
  const auto fresh = nlohmann::json::parse(FiguresPrinter::json_line(s, "n2", t));
  EXPECT_EQ(fresh["gpu_power_w"], 300);
}

// With ticks every second, --figures-every 10s prints every 10 s: a tenth of slack once
// printed at 0, 9, 18 and 27 s.
TEST(FiguresPrinter, LinesComeEveryPeriodNotEarly) {
  Store s;
  const auto t0 = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t0});
  std::FILE *out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  FiguresPrinter printer(out, false, std::chrono::seconds(10));
  const std::vector<Finding> firing;
  std::vector<int> printed_at;
  long before = 0;
  for (int i = 0; i <= 40; ++i) {
    // Ticks a little early or late, as a loaded machine gives them.
    const auto jitter = std::chrono::milliseconds(i % 3 == 0 ? -30 : 20);
    printer.on_tick(TickContext{s, firing, t0 + std::chrono::seconds(i) + jitter});
    printer.flush();
    if (std::ftell(out) != before) printed_at.push_back(i);
    before = std::ftell(out);
  }
  std::fclose(out);
  EXPECT_EQ(printed_at, (std::vector<int>{0, 10, 20, 30, 40}));
}

TEST(FiguresPrinter, HostileNodeNamesAreShownNotSent) {
  Store s;
  const auto t = from_epoch_seconds(0);
  s.apply(NodeStatus{"evil\x1b]0;title\x07\nFAKE: line", "", NodeState::up, "", t});
  const auto line = FiguresPrinter::text_line(s, "evil\x1b]0;title\x07\nFAKE: line", t);
  EXPECT_NE(line.find("evil\\x1b]0;title\\x07\\x0aFAKE: line up"), std::string::npos) << line;
}

// The last log line leaves the program in every figures line (text and JSON): its
// credentials are redacted, like an alert's message.
TEST(FiguresPrinter, TheLastLogLineHasItsCredentialsRedacted) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::down, "auth failed: token=abc123", t});
  s.add_log_line("mac1", "log:x", t, R"(login {"password": "hunter2"} max_tokens=512)");
  const auto text = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_NE(text.find(R"((auth failed: token=[redacted]) | login {"password": "[redacted]"} )"
                      "max_tokens=512"),
            std::string::npos)
      << text;
  auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t));
  EXPECT_EQ(j["last_log"], R"(login {"password": "[redacted]"} max_tokens=512)");
}

// The last log line is cut as an alert's quote is: a "[redacted]" across the cut is left out
// whole, not cut to "[red...", which a reader counting redactions would miss, and with it
// the key before it: "password=..." reads as a password of "...".
TEST(FiguresPrinter, TheLastLogLineIsNotCutInsideARedaction) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  const std::string head(105, 'a'); // "[redacted]" over bytes 115 to 125
  s.add_log_line("mac1", "log:x", t, head + " password=hunter2 and more text after it");
  auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t));
  EXPECT_EQ(j["last_log"], head + "...") << "not \"password=...\", a key with \"...\" its value";
  const auto text = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_NE(text.find(head + "..."), std::string::npos) << text;
  EXPECT_EQ(text.find("[red"), std::string::npos) << text;
  // A redaction that ends before the cut stays whole.
  s.add_log_line("mac1", "log:x", t, std::string(100, 'b') + " pwd=x " + std::string(40, 'c'));
  j = nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t));
  EXPECT_EQ(j["last_log"],
            std::string(100, 'b') + " pwd=[redacted] " + std::string(4, 'c') + "...");
}

// The JSON line's last_log is the line's text as JSON escapes it, as an alert's message is:
// it was the text line's terminal-safe form, where a real ESC and the text "\x1b" read the
// same, and a NUL or a byte that is not UTF-8 came out as "\x00" and "\xff".
TEST(FiguresPrinter, TheJsonLastLogIsTheLinesTextAsJsonEscapesIt) {
  Store s;
  const auto t = from_epoch_seconds(3600);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  s.add_log_line("mac1", "log:x", t,
                 std::string("esc=\x1b[31m lit=\\x1b bad=\xff nul=") + '\0' + " end");
  const std::string line = FiguresPrinter::json_line(s, "mac1", t);
  EXPECT_NE(line.find("esc=\\u001b[31m lit=\\\\x1b bad=\ufffd nul=\ufffd end"), std::string::npos)
      << line;
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["last_log"], "esc=\x1b[31m lit=\\x1b bad=\ufffd nul=\ufffd end");
  // The text line shows it, not acts on it.
  const auto text = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

// A node whose clock is off says so (its lines' times are put on this machine's clock); one
// in step says nothing.
TEST(FiguresPrinter, ANodeClockThatIsOffIsShown) {
  Store s;
  const auto t = from_epoch_seconds(1771858800);
  s.apply(NodeStatus{"mac1", "", NodeState::up, "", t});
  EXPECT_EQ(FiguresPrinter::text_line(s, "mac1", t).find("clock"), std::string::npos);
  EXPECT_FALSE(
      nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t)).contains("clock_skew_s"));
  s.set_node_clock("mac1", t - std::chrono::seconds(600), t);
  const auto text = FiguresPrinter::text_line(s, "mac1", t);
  EXPECT_NE(text.find("mac1 up mem avail - / - swap - gpu - step - fence - tok/s - ctx - (clock "
                      "10 min behind)"),
            std::string::npos)
      << text;
  EXPECT_EQ(nlohmann::json::parse(FiguresPrinter::json_line(s, "mac1", t))["clock_skew_s"], -600);
}

TEST(FiguresPrinter, JsonUsesNullForUnknown) {
  Store s;
  const auto t = from_epoch_seconds(0);
  s.add(Sample{"n", "mem.total_bytes", "", 1024, t});
  auto j = nlohmann::json::parse(FiguresPrinter::json_line(s, "n", t));
  EXPECT_EQ(j["mem_total_bytes"], 1024);
  EXPECT_TRUE(j["mem_available_bytes"].is_null());
  EXPECT_EQ(j["type"], "figures");
  // Before the first log line: null, as the docs say of every unknown (it was left out).
  ASSERT_TRUE(j.contains("last_log"));
  EXPECT_TRUE(j.at("last_log").is_null());
}

} // namespace
} // namespace clustertop
