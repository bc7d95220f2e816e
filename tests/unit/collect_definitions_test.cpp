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

} // namespace
} // namespace clustertop
