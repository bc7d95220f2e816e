#include <fstream>
#include <gtest/gtest.h>

#include "clustertop/detect/rules.hpp"

namespace clustertop {
namespace {

Result<Rules> parse(const std::string &text) {
  auto doc = toml::parse(std::string_view(text), std::string_view("cluster.toml"));
  const auto *t = doc["thresholds"].as_table();
  static const toml::table empty;
  return rules_from_toml(t != nullptr ? *t : empty, "cluster.toml");
}

TEST(DetectRules, DefaultsWhenTableEmpty) {
  auto r = parse("");
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->fence_wait.abs_ms, 10.0);
  EXPECT_EQ(r->stall.after, std::chrono::seconds(15));
  EXPECT_DOUBLE_EQ(r->oom.max_context_tokens, 131072);
}

TEST(DetectRules, ReadsNumbersDurationsAndLists) {
  auto r = parse(R"([thresholds.fence_wait]
abs_ms = 25
for = "2s"
[thresholds.stall]
after = 30
progress = ["step.index"]
[thresholds.oom]
max_context_tokens = 200000
clear_after = "1m"
)");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->fence_wait.abs_ms, 25.0);
  EXPECT_EQ(r->fence_wait.alert.for_, std::chrono::seconds(2));
  EXPECT_EQ(r->stall.after, std::chrono::seconds(30));
  EXPECT_EQ(r->stall.progress, std::vector<std::string>{"step.index"});
  EXPECT_DOUBLE_EQ(r->oom.max_context_tokens, 200000);
  EXPECT_EQ(r->policy("context_at_oom").clear_after, std::chrono::seconds(60));
}

TEST(DetectRules, UnknownKeyNamesFileLineKeyAndKnownKeys) {
  auto r = parse("[thresholds.fence_wait]\nabs_ms = 1\nabs_msec = 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().where, "cluster.toml:3");
  EXPECT_NE(r.error().what.find("abs_msec"), std::string::npos);
  EXPECT_NE(r.error().help.find("median_multiple"), std::string::npos);
}

// A critical threshold on the wrong side of its warning one: critical would fire before the
// warning it escalates, or never; check-config said OK.
TEST(DetectRules, ACriticalThresholdBeyondItsWarningIsAnError) {
  auto a = parse("[thresholds.oom]\ntto_warning = \"60s\"\ntto_critical = \"600s\"\n");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().where, "cluster.toml:3");
  EXPECT_NE(a.error().what.find("tto_critical"), std::string::npos) << a.error().what;
  EXPECT_NE(a.error().reason.find("tto_warning"), std::string::npos) << a.error().reason;
  auto b = parse("[thresholds.oom]\nheadroom_critical_bytes = 4e9\n"); // over the default 2 GiB
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().where, "cluster.toml:2");
  EXPECT_TRUE(parse("[thresholds.oom]\ntto_warning = \"120s\"\ntto_critical = \"120s\"\n").ok());
}

// An R² or a ratio above 1, or a percentage above 100, can never be met or is always met:
// `fit_min_r2 = 5` switched the OOM trend off without a word.
TEST(DetectRules, SettingsOnABoundedScaleMustFitIt) {
  for (const char *text :
       {"[thresholds.oom]\nfit_min_r2 = 5\n", "[thresholds.oom]\nfast_fit_min_r2 = 1.5\n",
        "[thresholds.throughput]\nratio = 2\n", "[thresholds.overhead]\nshare = 1.2\n",
        "[thresholds.stall]\nbusy_ratio = 3\n", "[thresholds.oom]\nkv_cache_pct = 150\n",
        "[thresholds.stall]\nbusy_util_pct = 101\n"}) {
    auto r = parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().where, "cluster.toml:2") << text;
  }
  EXPECT_TRUE(parse("[thresholds.oom]\nfit_min_r2 = 1\nkv_cache_pct = 100\n").ok());
  // The help names the default, not the value refused ("default is 1.5").
  auto r2 = parse("[thresholds.oom]\nfit_min_r2 = 1.5\n");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().help, "default is 0.6 (docs/alerts.md)");
}

TEST(DetectRules, UnknownSectionAndBadTypesAreErrors) {
  auto a = parse("[thresholds.fence]\nabs_ms = 1\n");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().reason, "unknown section");
  auto b = parse("[thresholds.stall]\nafter = \"soon\"\n");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().where, "cluster.toml:2");
  EXPECT_NE(b.error().reason.find("duration"), std::string::npos);
  auto c = parse("[thresholds.oom]\nheadroom_bytes = -5\n");
  ASSERT_FALSE(c.ok());
  auto d = parse("[thresholds.fence_wait]\nmedian_window = 0\n");
  ASSERT_FALSE(d.ok());
  auto e = parse("[thresholds]\nstall = 3\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().what, "invalid section [thresholds.stall]");
  EXPECT_EQ(e.error().reason, "expected a table of settings");
  EXPECT_EQ(e.error().where, "cluster.toml:2");
}

TEST(DetectRules, EveryFieldIsDocumented) {
  std::ifstream in(std::string(CLUSTERTOP_TEST_DATA) + "/../docs/alerts.md");
  ASSERT_TRUE(in.good());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto &f : rule_fields())
    EXPECT_NE(doc.find("| " + f.section + " | " + f.key + " |"), std::string::npos)
        << f.section << "." << f.key;
}

} // namespace
} // namespace clustertop
