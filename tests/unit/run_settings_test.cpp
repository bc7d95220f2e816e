#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "clustertop/config/cli.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "clustertop/run_settings.hpp"

namespace clustertop {
namespace {

using std::chrono::seconds;

Options command_line(std::initializer_list<const char *> args) {
  std::vector<const char *> argv = {"clustertop"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_FALSE(out.exit_now.has_value());
  return out.options;
}

Config config(const std::string &text) {
  auto c = parse_config(text, "c.toml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return *c;
}

const char *kFile = R"([general]
interval = "5s"
[ssh]
host_key_checking = "accept-new"
connect_timeout = "3s"
[sinks]
csv_dir = "/tmp/from-file"
csv_every = "30s"
csv_on_alert = true
csv_format = "long"
hook_timeout = "3s"
)";

// The [[node]] hints reach the detectors as the config declares them: each node's cluster,
// and the largest planned context as the one target; no hint leaves the defaults.
TEST(RunSettings, NodeHintsSetTheClustersAndThePlannedContext) {
  const Config c = config("[[node]]\nname = \"mac1\"\ncluster = \"exo\"\nmax_context = 200000\n"
                          "[[node]]\nname = \"mac2\"\nmax_context = 32768\n"
                          "[[node]]\nname = \"gpu1\"\ncluster = \"vllm\"\n");
  Rules rules;
  apply_node_hints(rules, c.nodes);
  EXPECT_EQ(rules.node_cluster,
            (std::map<std::string, std::string>{{"mac1", "exo"}, {"gpu1", "vllm"}}));
  EXPECT_EQ(rules.oom.max_context_tokens, 200000);
  Rules none;
  apply_node_hints(none, config("[[node]]\nname = \"n\"\n").nodes);
  EXPECT_TRUE(none.node_cluster.empty());
  EXPECT_EQ(none.oom.max_context_tokens, Rules{}.oom.max_context_tokens);
}

TEST(RunSettings, TheFileFillsInWhatTheCommandLineDidNotGive) {
  const Options o = merge_settings(command_line({}), config(kFile));
  EXPECT_EQ(o.interval, seconds(5));
  EXPECT_EQ(o.host_key_checking, "accept-new");
  EXPECT_EQ(o.connect_timeout, seconds(3));
  EXPECT_EQ(o.csv_dir, "/tmp/from-file");
  EXPECT_EQ(o.csv_every, seconds(30));
  EXPECT_TRUE(o.csv_on_alert);
  EXPECT_EQ(o.csv_format, "long");
  EXPECT_EQ(o.hook_timeout, seconds(3));
}

// A flag wins over the file even when it repeats the default.
TEST(RunSettings, AFlagEqualToTheDefaultStillWinsOverTheFile) {
  const Options o = merge_settings(
      command_line({"--interval", "1s", "--host-key-checking", "strict", "--connect-timeout", "10s",
                    "--csv-every", "0", "--csv-on-alert=false", "--csv-format", "wide",
                    "--hook-timeout", "10s"}),
      config(kFile));
  EXPECT_EQ(o.interval, seconds(1));
  EXPECT_EQ(o.host_key_checking, "strict");
  EXPECT_EQ(o.connect_timeout, seconds(10));
  EXPECT_EQ(o.csv_every, seconds(0));
  EXPECT_FALSE(o.csv_on_alert);
  EXPECT_EQ(o.csv_format, "wide");
  EXPECT_EQ(o.hook_timeout, seconds(10));
  EXPECT_EQ(o.csv_dir, "/tmp/from-file"); // not given: from the file
}

// Every setting a flag and a config key share: the flag wins. The flag names are strings in
// merge_settings; one misspelt there would let the file win without a word.
TEST(RunSettings, EveryFlagThatAConfigKeyAlsoSetsWins) {
  const char *file = R"([general]
interval = "5s"
[ssh]
known_hosts = "/file/known_hosts"
host_key_checking = "accept-new"
config_file = "/file/ssh_config"
connect_timeout = "3s"
[sinks]
csv_dir = "/file/csv"
csv_every = "30s"
csv_on_alert = true
csv_format = "long"
listen = "127.0.0.1:1111"
on_alert = "file-hook"
hook_timeout = "3s"
record = "/file/rec"
)";
  const Options o = merge_settings(command_line({"--interval",
                                                 "2s",
                                                 "--known-hosts",
                                                 "/cli/kh",
                                                 "--host-key-checking",
                                                 "off",
                                                 "--ssh-config",
                                                 "/cli/sc",
                                                 "--connect-timeout",
                                                 "4s",
                                                 "--csv-dir",
                                                 "/cli/csv",
                                                 "--csv-every",
                                                 "7s",
                                                 "--csv-on-alert=false",
                                                 "--csv-format",
                                                 "wide",
                                                 "--listen",
                                                 "127.0.0.1:2222",
                                                 "--on-alert",
                                                 "cli-hook",
                                                 "--hook-timeout",
                                                 "6s",
                                                 "--record",
                                                 "/cli/rec"}),
                                   config(file));
  EXPECT_EQ(o.interval, seconds(2));
  EXPECT_EQ(o.known_hosts, "/cli/kh");
  EXPECT_EQ(o.host_key_checking, "off");
  EXPECT_EQ(o.ssh_config, "/cli/sc");
  EXPECT_EQ(o.connect_timeout, seconds(4));
  EXPECT_EQ(o.csv_dir, "/cli/csv");
  EXPECT_EQ(o.csv_every, seconds(7));
  EXPECT_FALSE(o.csv_on_alert);
  EXPECT_EQ(o.csv_format, "wide");
  EXPECT_EQ(o.listen, "127.0.0.1:2222");
  EXPECT_EQ(o.on_alert, "cli-hook");
  EXPECT_EQ(o.hook_timeout, seconds(6));
  EXPECT_EQ(o.record_dir, "/cli/rec");
  const Options from_file = merge_settings(command_line({}), config(file));
  EXPECT_EQ(from_file.known_hosts, "/file/known_hosts");
  EXPECT_EQ(from_file.ssh_config, "/file/ssh_config");
  EXPECT_EQ(from_file.listen, "127.0.0.1:1111");
  EXPECT_EQ(from_file.on_alert, "file-hook");
  EXPECT_EQ(from_file.record_dir, "/file/rec");
}

TEST(RunSettings, SnapshotFlagsWinToo) {
  const Options o = merge_settings(
      command_line({"snapshot", "-o", "x.csv", "--csv-format", "wide"}), config(kFile));
  EXPECT_EQ(o.csv_format, "wide");
  const Options from_file =
      merge_settings(command_line({"snapshot", "-o", "x.csv"}), config(kFile));
  EXPECT_EQ(from_file.csv_format, "long");
}

// --csv-every and --csv-on-alert write into --csv-dir: without one they would write nothing.
TEST(RunSettings, CsvTriggersWithoutADirectoryAreAnError) {
  const Config none = config("");
  auto every = check_settings(merge_settings(command_line({"--csv-every", "2s"}), none), {});
  ASSERT_TRUE(every.has_value());
  EXPECT_EQ(every->exit_code, exit_code::usage);
  EXPECT_NE(every->error.message().find("--csv-every needs a CSV directory"), std::string::npos)
      << every->error.message();
  auto alert = check_settings(merge_settings(command_line({"--csv-on-alert"}), none), {});
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->exit_code, exit_code::usage);
  EXPECT_NE(alert->error.message().find("--csv-on-alert"), std::string::npos);
  // From the file: a config error naming the key and the file.
  const Config every_file = config("[sinks]\ncsv_every = \"30s\"\n");
  auto file = check_settings(merge_settings(command_line({}), every_file), every_file.places);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->exit_code, exit_code::config);
  EXPECT_NE(file->error.message().find("csv_every needs a CSV directory"), std::string::npos);
  EXPECT_EQ(file->error.where, "c.toml:2"); // the line of the key, as every file problem says
  // With a directory from either side, or with the triggers off: fine.
  const Config dir_file = config("[sinks]\ncsv_dir = \"/tmp\"\n");
  EXPECT_FALSE(
      check_settings(merge_settings(command_line({"--csv-every", "2s"}), dir_file), dir_file.places)
          .has_value());
  EXPECT_FALSE(
      check_settings(merge_settings(command_line({"--csv-every", "0"}), none), {}).has_value());
  EXPECT_FALSE(check_settings(merge_settings(command_line({}), none), {}).has_value());
}

// Every problem of the file names its line: these two named the file alone.
TEST(RunSettings, FileProblemsFoundAfterParsingNameTheKeysLine) {
  const Config alert = config("[sinks]\n\ncsv_on_alert = true\n");
  auto no_dir = check_settings(merge_settings(command_line({}), alert), alert.places);
  ASSERT_TRUE(no_dir.has_value());
  EXPECT_EQ(no_dir->error.where, "c.toml:3") << no_dir->error.message();
  const Config port = config("[sinks]\ncsv_format = \"wide\"\nlisten = \"127.0.0.1:70000\"\n");
  auto listen = check_settings(merge_settings(command_line({}), port), port.places);
  ASSERT_TRUE(listen.has_value());
  EXPECT_EQ(listen->exit_code, exit_code::config);
  EXPECT_EQ(listen->error.where, "c.toml:3") << listen->error.message();
  EXPECT_EQ(listen->error.what.rfind("[sinks] listen: ", 0), 0u) << listen->error.message();
  EXPECT_EQ(port.places.where("sinks.record"), "c.toml"); // not given: the file alone
}

// What a replay uses of a run's options is taken after `replay` too, where users write it
// ("argument was not expected" before), and means the same as before it.
TEST(CommandLine, ReplayTakesItsRunOptionsAfterTheSubcommand) {
  for (const bool after : {false, true}) {
    const Options o =
        after ? command_line({"replay", "--node", "n=x.log", "--on-alert", "notify", "-i", "2s",
                              "--hook-timeout", "3s", "--collectors-dir", "d", "--ascii"})
              : command_line({"--on-alert", "notify", "-i", "2s", "--hook-timeout", "3s",
                              "--collectors-dir", "d", "--ascii", "replay", "--node", "n=x.log"});
    EXPECT_EQ(o.command, Command::replay);
    EXPECT_EQ(o.on_alert, "notify") << after;
    EXPECT_EQ(o.interval, seconds(2)) << after;
    EXPECT_EQ(o.hook_timeout, seconds(3)) << after;
    EXPECT_EQ(o.collectors_dir, "d") << after;
    EXPECT_TRUE(o.ascii) << after;
  }
}

// check-config checks a file's collectors_add against the definitions a run would load, so
// it takes --collectors-dir after the subcommand too (it was "argument was not expected").
TEST(CommandLine, CheckConfigTakesCollectorsDirAfterTheSubcommand) {
  for (const bool after : {false, true}) {
    const Options o = after ? command_line({"check-config", "--collectors-dir", "d", "c.toml"})
                            : command_line({"--collectors-dir", "d", "check-config", "c.toml"});
    EXPECT_EQ(o.command, Command::check_config);
    EXPECT_EQ(o.collectors_dir, "d") << after;
    EXPECT_EQ(o.check_config_file, "c.toml") << after;
  }
}

// The README's own form, `--log PATH node...`: the nodes stay nodes (a list option took them
// as more log paths, and this machine was watched instead).
TEST(CommandLine, LogTakesOnePathAndTheNodesAfterItStayNodes) {
  const Options o = command_line(
      {"--log", "~/.exo/exo_log/exo.log", "mac1", "mac2", "--log", "/var/log/vllm.log", "mbp"});
  EXPECT_EQ(o.logs, (std::vector<std::string>{"~/.exo/exo_log/exo.log", "/var/log/vllm.log"}));
  EXPECT_EQ(o.nodes, (std::vector<std::string>{"mac1", "mac2", "mbp"}));
  const Options snap = command_line({"snapshot", "-o", "x.csv", "--log", "a.log", "node1"});
  EXPECT_EQ(snap.logs, std::vector<std::string>{"a.log"});
  EXPECT_EQ(snap.nodes, std::vector<std::string>{"node1"});
}

// An option before a subcommand that has none of that name did nothing there
// (`--figures-every 60s replay …` printed no figures, without a word): refused, naming the
// subcommand. One it has too (above) stays allowed.
TEST(CommandLine, AnOptionTheSubcommandWouldIgnoreIsRefused) {
  const std::vector<std::vector<const char *>> cases = {
      {"clustertop", "--listen", "127.0.0.1:9464", "replay", "--node", "n=x.log"},
      {"clustertop", "--record", "d", "replay", "--node", "n=x.log"},
      {"clustertop", "mac1", "replay", "--node", "n=x.log"},
      {"clustertop", "--listen", "127.0.0.1:9464", "snapshot", "-o", "x.csv", "n1"},
      {"clustertop", "-i", "2s", "parse", "--collector", "exo", "f.log"}};
  for (const auto &argv : cases) {
    ::testing::internal::CaptureStderr();
    const auto out = parse_command_line(static_cast<int>(argv.size()), argv.data());
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.exit_now, exit_code::usage) << argv[1];
    const bool node = std::string(argv[1]) == "mac1";
    EXPECT_NE(err.find(node ? "node name 'mac1': `replay` takes no node names before it"
                            : "not an option of `"),
              std::string::npos)
        << argv[1] << ": " << err;
  }
  const Options o = command_line({"-c", "c.toml", "replay", "--node", "n=x.log"});
  EXPECT_EQ(o.config_path, "c.toml");
  // A replay writes CSV and figures lines too, so these are its options now.
  const Options csv =
      command_line({"--figures-every", "60s", "--csv-dir", "d", "replay", "--node", "n=x.log"});
  EXPECT_EQ(csv.csv_dir, "d");
  EXPECT_EQ(csv.figures_every, std::chrono::seconds(60));
}

// A bad duration says which option it was given to.
TEST(CommandLine, ABadDurationNamesItsOption) {
  for (const char *option : {"--hook-timeout", "--interval", "-i", "--csv-every"}) {
    std::vector<const char *> argv = {"clustertop", option, "-5s"};
    ::testing::internal::CaptureStderr();
    const auto out = parse_command_line(static_cast<int>(argv.size()), argv.data());
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.exit_now, exit_code::usage) << option;
    const std::string named = std::string(option) == "-i" ? "--interval" : option;
    EXPECT_NE(err.find(named + ": expected a duration"), std::string::npos)
        << option << ": " << err;
  }
}

// One place makes the CSV sink's settings for a run, its `e` fallback and a replay's `e`: the
// live fallback had ignored --csv-format, and the sink's tick was --interval where the
// run's tick stops at 50 ms.
TEST(RunSettings, CsvSinkOptionsForTheRunAndForTheKeyAlone) {
  const Options o = command_line({"--csv-dir", "/tmp", "--csv-every", "30s", "--csv-on-alert",
                                  "--csv-format", "long", "-i", "10ms"});
  auto run = csv_sink_options(o, false);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->dir, "/tmp");
  EXPECT_EQ(run->every, seconds(30));
  EXPECT_TRUE(run->on_alert);
  EXPECT_EQ(run->format, CsvFormat::long_rows);
  EXPECT_EQ(run->tick, std::chrono::milliseconds(50));
  EXPECT_EQ(run_tick(o), std::chrono::milliseconds(50));
  auto key = csv_sink_options(o, true);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->dir, "/tmp");
  EXPECT_EQ(key->every, Duration::zero());
  EXPECT_FALSE(key->on_alert);
  EXPECT_EQ(key->format, CsvFormat::long_rows);
  auto fallback = csv_sink_options(command_line({"--csv-format", "long"}), true);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->dir, ".");
  EXPECT_EQ(fallback->format, CsvFormat::long_rows);
  Options tall; // as a config file could have it; the command line checks its choices
  tall.csv_format = "tall";
  EXPECT_FALSE(csv_sink_options(tall, true).ok());
}

// 0 is a mistake for a timeout or an interval (a hook killed at once, a connect that cannot
// succeed, a tick that never waits), and means "off" where the help says so.
TEST(CommandLine, ZeroIsRefusedWhereItMeansNothing) {
  const auto exit_of = [](std::vector<const char *> argv, std::string &err) {
    argv.insert(argv.begin(), "clustertop");
    ::testing::internal::CaptureStderr();
    const auto out = parse_command_line(static_cast<int>(argv.size()), argv.data());
    err = ::testing::internal::GetCapturedStderr();
    return out.exit_now;
  };
  std::string err;
  for (const char *option : {"--hook-timeout", "--interval", "--connect-timeout"}) {
    EXPECT_EQ(exit_of({option, "0"}, err), exit_code::usage) << option;
    EXPECT_NE(err.find(std::string(option) + ": expected a duration above 0"), std::string::npos)
        << option << ": " << err;
  }
  EXPECT_EQ(exit_of({"snapshot", "--for", "0s", "-o", "x.csv"}, err), exit_code::usage);
  EXPECT_EQ(exit_of({"replay", "--node", "n=x.log", "-i", "0ms"}, err), exit_code::usage);
  EXPECT_EQ(exit_of({"--figures-every", "0", "--csv-every", "0"}, err), std::nullopt) << err;
}

} // namespace
} // namespace clustertop
