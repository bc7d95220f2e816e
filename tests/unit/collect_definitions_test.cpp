// Every sample of every collector definition, and the loader's error reporting.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/sample_check.hpp"
#include "collect_test_util.hpp"

namespace clustertop {
namespace {

TEST(CollectDefinitions, EverySampleOfEveryDefinitionYieldsItsExpectedValues) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  std::size_t samples = 0;
  for (const auto *def : set->all()) {
    ASSERT_FALSE(def->samples.empty()) << def->name;
    samples += def->samples.size();
    for (const auto &e : check_samples(*def)) ADD_FAILURE() << e;
  }
  EXPECT_GE(samples, 6u);
}

TEST(CollectDefinitions, SampleCheckNoticesAWrongExpectation) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  CollectorDef def = *set->find("meminfo");
  def.samples.front().expect_metrics.front().value += 1;
  EXPECT_EQ(check_samples(def).size(), 1u);
}

TEST(CollectDefinitions, BrokenJsonIsAnErrorWithFileAndLine) {
  test::TempDir dir;
  dir.write("bad.json", "{\n  \"name\": \"x\",\n  \"type\": \"log\"\n  \"parse\": {}\n}\n");
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().where.find("bad.json:4"), std::string::npos) << set.error().message();
  EXPECT_FALSE(set.error().help.empty());
}

TEST(CollectDefinitions, BadRegexNamesItsLineAndUnknownKeyWarns) {
  test::TempDir dir;
  dir.write("re.json", R"J({
  "name": "re", "type": "log", "colour": "red",
  "parse": { "kind": "regex", "rules": [
    { "name": "r1",
      "regex": "(?<v>\\d+" } ] },
  "samples": [ { "lines": ["1"], "nothing": true } ]
})J");
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().where.find("re.json:5"), std::string::npos) << set.error().message();
  EXPECT_NE(set.error().reason.find("regex"), std::string::npos);
  // An unknown key alone is only a warning.
  dir.write("re.json", R"J({
  "name": "re", "type": "log", "colour": "red",
  "parse": { "kind": "regex", "rules": [ { "name": "r1", "regex": "(?<v>\\d+)" } ] },
  "samples": [ { "lines": ["a"], "nothing": true } ]
})J");
  warnings.clear();
  auto ok = CollectorSet::load({dir.str()}, warnings);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("re.json:2: unknown key 'colour'"), std::string::npos) << warnings[0];
}

// `unless` keeps a regex definition's rules off the lines holding one of its texts (a logged
// request quoting a crash); an empty text would keep them off every line, and is an error.
TEST(CollectDefinitions, UnlessKeepsRulesOffItsLinesAndMayNotBeEmpty) {
  test::TempDir dir;
  const auto write = [&](const char *unless) {
    dir.write("u.json", std::string(R"J({"name": "u", "type": "log",
  "parse": {"kind": "regex", "unless": )J") +
                            unless + R"J(,
    "rules": [{"name": "r", "prefilter": "boom", "regex": "boom", "tags": ["crash"]}]},
  "samples": [{"lines": ["boom"], "tags": ["crash"]},
              {"lines": ["Receive: obj=(text='boom')"], "nothing": true}]})J");
  };
  write(R"(["Receive: obj="])");
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.str()}, warnings);
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_TRUE(warnings.empty());
  for (const auto &e : check_samples(*(*set)->find("u"))) ADD_FAILURE() << e;
  write(R"(["Receive: obj=", ""])");
  auto empty = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().where.find("u.json:2"), std::string::npos) << empty.error().message();
  EXPECT_NE(empty.error().reason.find("every line"), std::string::npos) << empty.error().message();
}

TEST(CollectDefinitions, MetricWithoutMatchingGroupIsAnError) {
  test::TempDir dir;
  dir.write("g.json", R"J({"name": "g", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "(?<a>\\d+)", "metrics": {"b": "x.y"}}]},
  "samples": [{"lines": ["1"], "nothing": true}]})J");
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().reason.find("no such group"), std::string::npos);
  EXPECT_NE(set.error().help.find("(?<b>"), std::string::npos);
}

// A capture a rule names besides its metrics' must exist too: a device_from typo merged every
// GPU into one series without a device, a time capture or format typo lost every time, and a
// block's line regex with other names read no field. Each loaded without a word.
TEST(CollectDefinitions, DeviceTimeAndLineCapturesThatDoNotExistAreErrors) {
  struct Case {
    const char *file;
    const char *text;
    const char *says;
    const char *line;
  };
  const std::vector<Case> cases = {
      {"dev.json", R"J({"name": "d", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "gpu(?<gpu>\\d+) v=(?<v>\\d+)",
    "metrics": {"v": {"metric": "a.v",
      "device_from": "gpu_index"}}}]}})J",
       "takes its device from 'gpu_index'", "dev.json:4"},
      {"time.json", R"J({"name": "t", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "v=(?<v>\\d+)",
    "metrics": {"v": "a.v"},
    "time": {"capture": "stamp", "format": "%H:%M:%S"}}]}})J",
       "takes its time from 'stamp'", "time.json:4"},
      {"fmt.json", R"J({"name": "t", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "(?<ts>\\S+) v=(?<v>\\d+)",
    "metrics": {"v": "a.v"},
    "time": {"capture": "ts", "format": "%Q%H"}}]}})J",
       "time format '%Q%H'", "fmt.json:4"},
      {"csv.json", R"J({"name": "c", "type": "sampler", "command": "echo",
  "parse": {"kind": "csv", "columns": ["idx", "p"],
    "metrics": {"p": {"metric": "x.p", "device_from": "index"}}}})J",
       "'index', which is not a column", "csv.json:3"},
      {"block.json", R"J({"name": "b", "type": "sampler", "command": "cat /proc/meminfo",
  "parse": {"kind": "block", "line": "^(?<k>\\w+):\\s+(?<v>\\d+)",
    "fields": {"MemTotal": "mem.total_bytes"}}})J",
       "no such group", "block.json:1"},
      {"combine.json", R"J({"name": "d", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "v=(?<v>\\d+)",
    "metrics": {"v": {"metric": "a.v",
      "combine": "sum"}}}]}})J",
       "combines its devices but names none", "combine.json:4"},
      {"how.json", R"J({"name": "d", "type": "log",
  "parse": {"kind": "regex", "rules": [{"name": "r", "regex": "e(?<e>\\d) v=(?<v>\\d+)",
    "metrics": {"v": {"metric": "a.v", "device_from": "e",
      "combine": "total"}}}]}})J",
       "unknown combine 'total'", "how.json:4"},
  };
  for (const auto &c : cases) {
    test::TempDir dir;
    dir.write(c.file, c.text);
    std::vector<std::string> warnings;
    auto set = CollectorSet::load({dir.str()}, warnings);
    ASSERT_FALSE(set.ok()) << c.file;
    EXPECT_NE(set.error().reason.find(c.says), std::string::npos) << set.error().message();
    EXPECT_NE(set.error().where.find(c.line), std::string::npos) << set.error().message();
  }
}

// A number a double cannot hold was an "internal error" (exit 70) naming no file; a value of
// the wrong type said "type must be number, but is string" without its key or line.
TEST(CollectDefinitions, OutOfRangeNumbersAndWrongTypesNameTheirLineAndKey) {
  test::TempDir dir;
  dir.write("huge.json", "{\"name\": \"h\", \"type\": \"log\",\n \"parse\": {\"kind\": \"kv\"},\n"
                         " \"samples\": [{\"lines\": [\"a=1\"], \"expect\": {\"a\": 1e400}}]}");
  std::vector<std::string> warnings;
  auto huge = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().where.find("huge.json:3"), std::string::npos) << huge.error().message();
  EXPECT_NE(huge.error().reason.find("1e400"), std::string::npos) << huge.error().message();
  test::TempDir typed;
  typed.write("t.json", "{\n  \"name\": \"t\",\n  \"type\": \"log\",\n  \"priority\": \"high\",\n"
                        "  \"parse\": {\"kind\": \"kv\"}\n}");
  auto t = CollectorSet::load({typed.str()}, warnings);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().reason.find("'priority' must be a whole number"), std::string::npos)
      << t.error().message();
  EXPECT_NE(t.error().where.find("t.json:4"), std::string::npos) << t.error().message();
}

// Two files of one directory claiming one name: the later in sort order ran, with a warning,
// so renaming a file changed which definition ran.
TEST(CollectDefinitions, TwoDefinitionsOfOneNameInOneDirectoryAreAnError) {
  test::TempDir dir;
  const char *def = R"J({"name": "twin", "type": "log", "parse": {"kind": "kv"},
  "samples": [{"lines": ["a=1"], "expect": {"a": 1}}]})J";
  dir.write("a.json", def);
  dir.write("b.json", def);
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({dir.str()}, warnings);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().what.find("two collector definitions named 'twin'"), std::string::npos)
      << set.error().message();
  EXPECT_NE(set.error().reason.find("a.json"), std::string::npos) << set.error().message();
  EXPECT_NE(set.error().reason.find("b.json"), std::string::npos) << set.error().message();
}

} // namespace
} // namespace clustertop
