// A definition's name becomes its streams' name: names clustertop gives its own streams and
// names that would act on a terminal are refused with file:line and a fix.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collect_test_util.hpp"

namespace clustertop {
namespace {

// A working sampler definition named `name_json` (JSON string text, escapes allowed); the
// name is on line 2.
std::string sampler_named(const std::string &name_json) {
  return "{\"type\": \"sampler\", \"description\": \"d\", \"group\": \"zz\",\n"
         " \"name\": \"" +
         name_json + R"J(",
 "command": "while :; do echo v=3; sleep {interval_s}; done",
 "parse": {"kind": "regex", "rules": [{"name": "r", "prefilter": "v=",
           "regex": "v=(?<v>\\d+)", "metrics": {"v": "foo.value"}}]},
 "samples": [{"lines": ["v=3"], "expect": {"foo.value": 3}}]}
)J";
}

Result<std::shared_ptr<const CollectorSet>> load_one(const test::TempDir &dir,
                                                     const std::string &name_json) {
  dir.write("user.json", sampler_named(name_json));
  std::vector<std::string> warnings;
  return CollectorSet::load({dir.str()}, warnings);
}

TEST(CollectDefinitionNames, AnOrdinaryNameLoads) {
  test::TempDir dir;
  auto set = load_one(dir, "zone2");
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_NE((*set)->find("zone2"), nullptr);
}

// `zone` was read as the node clock stream (a skew of decades, its metrics lost); `log` is
// the collector part of every followed log and `parse --collector log`'s "every log
// definition".
TEST(CollectDefinitionNames, NamesOfClustertopsOwnStreamsAreRefused) {
  for (const char *reserved : kReservedCollectorNames) {
    test::TempDir dir;
    auto set = load_one(dir, reserved);
    ASSERT_FALSE(set.ok()) << reserved;
    EXPECT_NE(set.error().where.find("user.json:2"), std::string::npos) << set.error().message();
    EXPECT_NE(set.error().reason.find("reserved"), std::string::npos) << set.error().message();
    EXPECT_NE(set.error().help.find("my_" + std::string(reserved)), std::string::npos);
  }
  EXPECT_EQ(std::string(kReservedCollectorNames[0]), "zone");
  EXPECT_EQ(std::string(kReservedCollectorNames[1]), "log");
}

TEST(CollectDefinitionNames, ControlCharactersAndBrokenUtf8AreRefused) {
  for (const char *name : {"e\\u001b[2J", "a\\tb", "x\\u007f", "c1\\u009b", "\\u00e9t\\u0000"}) {
    test::TempDir dir;
    auto set = load_one(dir, name);
    ASSERT_FALSE(set.ok()) << name;
    EXPECT_NE(set.error().where.find("user.json:2"), std::string::npos) << set.error().message();
    EXPECT_NE(set.error().reason.find("control characters"), std::string::npos)
        << set.error().message();
    // The name is shown escaped: the error itself must not clear the screen.
    EXPECT_EQ(set.error().reason.find('\x1b'), std::string::npos);
  }
  test::TempDir dir;
  auto utf8 = load_one(dir, "\\u00e9t\\u00e9"); // printable UTF-8 is a name like any other
  EXPECT_TRUE(utf8.ok()) << utf8.error().message();
}

} // namespace
} // namespace clustertop
