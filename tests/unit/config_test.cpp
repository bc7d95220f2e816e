#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "clustertop/config/config.hpp"
#include "clustertop/detect/rules.hpp"
#include "clustertop/run_settings.hpp"
#include "clustertop/transport/ssh.hpp"

namespace clustertop {
namespace {

TEST(Config, ExampleConfigLoads) {
  auto c = load_config_file(std::string(CLUSTERTOP_TEST_DATA) + "/../docs/example-config.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->nodes.size(), 3u);
  EXPECT_EQ(c->nodes[2].name, "mbp");
  EXPECT_EQ(c->nodes[2].port, 22);
  EXPECT_EQ(c->nodes[2].collectors_add, std::vector<std::string>{"powermetrics"});
  EXPECT_DOUBLE_EQ(c->nodes[2].max_context, 200000);
  EXPECT_EQ(c->nodes[0].host, "macstudio-m4-1");
  EXPECT_EQ(c->ssh.host_key_checking, "strict");
  ASSERT_TRUE(c->interval.has_value());
  EXPECT_EQ(*c->interval, std::chrono::seconds(1));
}

TEST(Config, SyntaxErrorNamesFileLineAndColumn) {
  auto c = parse_config("[general]\ninterval = \"1s\"\n[[node]\nname = \"a\"\n", "bad.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().where.rfind("bad.toml:3:", 0), 0u) << c.error().message();
  EXPECT_FALSE(c.error().help.empty());
}

TEST(Config, UnknownKeyNamesLineAndSuggestsTheKnownOne) {
  auto c = parse_config("[[node]]\nname = \"a\"\nhots = \"x\"\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().where, "c.toml:3");
  EXPECT_NE(c.error().what.find("node.hots"), std::string::npos);
  EXPECT_NE(c.error().help.find("'host'"), std::string::npos) << c.error().message();
}

TEST(Config, UnknownSectionIsAnError) {
  auto c = parse_config("[sink]\ncsv_dir = \"x\"\n", "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().help.find("'sinks'"), std::string::npos) << c.error().message();
}

TEST(Config, BadValuesSayWhatIsExpected) {
  struct Case {
    const char *text;
    const char *expect;
  };
  for (const Case &k : {Case{"[[node]]\nname = \"a\"\nport = 70000\n", "port"},
                        Case{"[[node]]\nname = \"\"\n", "node.name"},
                        Case{"[[node]]\nhost = \"x\"\n", "missing 'node.name'"},
                        Case{"[general]\ninterval = \"fast\"\n", "general.interval"},
                        Case{"[ssh]\nhost_key_checking = \"yes\"\n", "host_key_checking"},
                        Case{"[[node]]\nname = \"a\"\n[[node]]\nname = \"a\"\n", "used twice"},
                        Case{"node = 3\n", "'node' must be"},
                        Case{"[[node]]\nname = \"a\"\nlogs = \"/x\"\n", "node.logs"}}) {
    auto c = parse_config(k.text, "c.toml");
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_NE(c.error().message().find(k.expect), std::string::npos) << c.error().message();
    EXPECT_EQ(c.error().where.rfind("c.toml:", 0), 0u) << c.error().message();
  }
}

TEST(Config, ANodesLogZoneIsAnOffsetOrUtc) {
  auto c = parse_config("[[node]]\nname = \"a\"\nlog_zone = \"UTC\"\n[[node]]\nname = \"b\"\n"
                        "log_zone = \"-0530\"\n[[node]]\nname = \"c\"\n",
                        "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->nodes[0].log_zone, std::chrono::minutes{0});
  EXPECT_EQ(c->nodes[1].log_zone, std::chrono::minutes{-330});
  EXPECT_FALSE(c->nodes[2].log_zone.has_value());
  auto bad = parse_config("[[node]]\nname = \"a\"\nlog_zone = \"Europe/Berlin\"\n", "c.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where, "c.toml:3");
  EXPECT_NE(bad.error().message().find("UTC offset"), std::string::npos) << bad.error().message();
}

// A node's cluster is a label said in alert messages and subjects: letters, digits, _ - .
TEST(Config, ANodesClusterIsAPlainLabel) {
  auto c = parse_config("[[node]]\nname = \"a\"\ncluster = \"exo-1\"\n[[node]]\nname = \"b\"\n",
                        "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->nodes[0].cluster, "exo-1");
  EXPECT_EQ(c->nodes[1].cluster, "");
  for (const char *bad : {"exo cluster", "a\\u001b[2J", "x;rm"}) {
    auto b = parse_config(fmt::format("[[node]]\nname = \"a\"\ncluster = \"{}\"\n", bad), "c.toml");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().where, "c.toml:3") << bad;
    EXPECT_NE(b.error().message().find("invalid cluster name"), std::string::npos)
        << b.error().message();
  }
}

TEST(Config, HostDefaultsToNameAndThresholdsPassThrough) {
  auto c = parse_config("[[node]]\nname = \"mac1\"\n[thresholds]\nfence_wait_ms = 50\n", "c");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->nodes[0].host, "mac1");
  EXPECT_TRUE(c->thresholds.contains("fence_wait_ms"));
}

// The thresholds reach the rules with their source positions, so that a bad setting is
// named by its line (a copy of the TOML table had none: "c.toml: invalid setting ...").
TEST(Config, ThresholdErrorsNameTheSettingsLine) {
  auto c =
      parse_config("[[node]]\nname = \"mac1\"\n\n[thresholds.crash]\nhold = \"abc\"\n", "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto rules = rules_from_toml(c->thresholds, c->path);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().where, "c.toml:5") << rules.error().message();
  auto section = parse_config("[thresholds.memory]\nbogus = 3\n", "c.toml");
  ASSERT_TRUE(section.ok()) << section.error().message();
  auto unknown = rules_from_toml(section->thresholds, section->path);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().where, "c.toml:1") << unknown.error().message();
}

TEST(Config, ZeroTimeoutsAndIntervalsAreErrorsAndZeroCsvEveryIsOff) {
  for (const char *text : {"[general]\ninterval = 0\n", "[ssh]\nconnect_timeout = \"0s\"\n",
                           "[sinks]\nhook_timeout = 0\n"}) {
    auto c = parse_config(text, "c.toml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().where, "c.toml:2") << c.error().message();
    EXPECT_NE(c.error().message().find("a duration above 0"), std::string::npos)
        << c.error().message();
  }
  auto off = parse_config("[sinks]\ncsv_every = 0\n", "c.toml");
  ASSERT_TRUE(off.ok()) << off.error().message();
  EXPECT_EQ(off->sinks.csv_every, Duration::zero());
}

// A node whose sshd allows fewer sessions than OpenSSH's default of 10 (MaxSessions 4 on
// hardened servers): [ssh] max_sessions puts fewer streams on each connection.
TEST(Config, MaxSessionsSetsTheStreamsPerConnection) {
  auto c = parse_config("[ssh]\nmax_sessions = 3\n", "c.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->ssh.max_sessions.has_value());
  EXPECT_EQ(*c->ssh.max_sessions, 3);
  auto merged = merge_settings(Options{}, *c);
  EXPECT_EQ(merged.max_sessions, 3);
  auto ssh = ssh_options_from(merged);
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->max_streams_per_connection, 3);
  EXPECT_EQ(ssh_options_from(Options{})->max_streams_per_connection, 8);
  for (const char *text : {"[ssh]\nmax_sessions = 0\n", "[ssh]\nmax_sessions = \"4\"\n"}) {
    auto bad = parse_config(text, "c.toml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.error().where, "c.toml:2") << bad.error().message();
  }
}

// The same collector forced on and off in one [[node]]: which won was the code's choice.
TEST(Config, ACollectorBothAddedAndRemovedIsAnError) {
  auto c = parse_config("[[node]]\nname = \"a\"\ncollectors_add = [\"meminfo\"]\n"
                        "collectors_remove = [\"meminfo\"]\n",
                        "c.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().what.find("'meminfo' is both added and removed"), std::string::npos)
      << c.error().message();
  EXPECT_EQ(c.error().where, "c.toml:4"); // collectors_remove's line, not [[node]]'s
}

// A duration string is decimal (`"0x1p4s"` passed as 16 s); a TOML number is its value, so
// a float whose text has an exponent (0.00001 is "1e-05") is still a number of seconds.
TEST(Config, DurationsAreDecimalAndNumbersAreSeconds) {
  for (const char *text : {"[general]\ninterval = \"0x1p4s\"\n", "[general]\ninterval = \" 5s\"\n",
                           "[sinks]\nhook_timeout = \"1e1s\"\n"}) {
    auto c = parse_config(text, "c.toml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().where, "c.toml:2") << c.error().message();
  }
  auto tiny = parse_config("[general]\ninterval = 0.00001\n", "c.toml");
  ASSERT_TRUE(tiny.ok()) << tiny.error().message();
  EXPECT_EQ(*tiny->interval, std::chrono::microseconds(10));
  auto half = parse_config("[general]\ninterval = 0.5\n", "c.toml");
  ASSERT_TRUE(half.ok()) << half.error().message();
  EXPECT_EQ(*half->interval, std::chrono::milliseconds(500));
}

TEST(Config, MissingFileSaysWhatToDo) {
  auto c = load_config_file("/nonexistent/clustertop.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().reason.find("No such file"), std::string::npos);
}

TEST(Config, BinaryJunkIsAnErrorNotACrash) {
  std::string junk("\x00\xff\xfe[[node]]\x01name=\x80\n", 20);
  auto c = parse_config(junk, "junk.toml");
  EXPECT_FALSE(c.ok());
}

} // namespace
} // namespace clustertop
