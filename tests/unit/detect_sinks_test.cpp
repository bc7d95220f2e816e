#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <thread>

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

TEST_F(DetectHookTest, HookThatExitsAtOnceDoesNotKillUsWithSigpipe) {
  HookRunner hook("exit 0", std::chrono::seconds(5));
  for (int i = 0; i < 20; ++i) hook.on_transition(sample_transition(), ctx_);
  hook.flush();
  EXPECT_EQ(hook.started() + hook.skipped(), 20u); // we are still alive to count them
  EXPECT_GE(hook.started(), 1u);
  EXPECT_EQ(hook.running(), 0u);
}

} // namespace
} // namespace clustertop
