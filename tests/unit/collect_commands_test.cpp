// `clustertop parse` and `clustertop collectors` through their functions, and bad input:
// 10 MB lines, invalid UTF-8, NUL bytes, truncated JSON, out-of-range numbers.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <sstream>

#include "../../src/collect/json_out.hpp"
#include "clustertop/collect/commands.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/core/exit_codes.hpp"
#include "collect_test_util.hpp"

namespace clustertop {
namespace {

struct Run {
  int rc = 0;
  std::string out, err;
};

std::string slurp(std::FILE *f) {
  std::rewind(f);
  std::string s;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

Run parse(const std::string &collector, const std::string &input) {
  Options o;
  o.parse_collector = collector;
  std::FILE *in = std::tmpfile();
  std::FILE *out = std::tmpfile();
  std::FILE *err = std::tmpfile();
  std::fwrite(input.data(), 1, input.size(), in);
  std::rewind(in);
  Run r;
  r.rc = run_parse_command(o, in, out, err);
  std::fclose(in);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::vector<nlohmann::json> records(const std::string &out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) v.push_back(nlohmann::json::parse(line)); // throws if invalid
  return v;
}

TEST(CollectCommands, ParsePrintsOneJsonObjectPerRecordWithUnitsAndASummary) {
  const auto r = parse("vllm", test::fixture("vllm/sample_1.txt") + "not a vllm line\n");
  EXPECT_EQ(r.rc, 0);
  const auto recs = records(r.out);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["time"], "2026-05-19T10:13:11.000Z");
  EXPECT_EQ(recs[0]["level"], "INFO");
  bool found = false;
  for (const auto &m : recs[0]["metrics"])
    if (m["name"] == "kv_cache.usage_pct") {
      found = true;
      EXPECT_DOUBLE_EQ(m["value"].get<double>(), 95.9);
      EXPECT_EQ(m["unit"], "%");
    }
  EXPECT_TRUE(found);
  EXPECT_NE(r.err.find("2 lines, 1 records, 1 skipped"), std::string::npos) << r.err;
}

// nvidia-smi's own readings with units (--format=csv without nounits, recorded on an H100
// beside the nounits lines: tests/fixtures/nvidia_smi/SOURCES): "81559 MiB" is converted by
// its unit alone; the definition's scale (MiB) is for the bare numbers. Scaled twice, 80 GB
// read as 89 PB.
// Every C1 control (U+0085 ends a line for Unicode-aware readers, U+009B is CSI to some
// terminals), U+2028/U+2029, DEL and the controls of direction (which the text form escapes
// too: a terminal showing the records ordered a line by them) go as \u escapes; other
// characters stay as they are.
TEST(CollectCommands, JsonStringsEscapeControlsLineSeparatorsAndDirection) {
  Record r;
  r.level = "E\xC2\x9B"
            "2J\xC2\x85\xE2\x80\xA8\xC2\xA0\xE2\x82\xAC"
            "a\x7F\xE2\x80\xAE"
            "b\xE2\x81\xA6\xD8\x9C";
  fmt::memory_buffer out;
  append_record_json(out, r);
  const std::string line = fmt::to_string(out);
  EXPECT_NE(line.find(R"("level":"E\u009b2J\u0085\u2028)"
                      "\xC2\xA0\xE2\x82\xAC"
                      R"(a\u007f\u202eb\u2066\u061c")"),
            std::string::npos)
      << line;
  EXPECT_EQ(nlohmann::json::parse(line)["level"], r.level);
  // A NUL is U+FFFD (PostgreSQL's jsonb refuses \u0000); the other C0 controls are escapes.
  r.level = std::string("a\0b\x01", 4);
  fmt::memory_buffer nul;
  append_record_json(nul, r);
  EXPECT_NE(fmt::to_string(nul).find("\"level\":\"a\xEF\xBF\xBD"
                                     R"(b\u0001")"),
            std::string::npos)
      << fmt::to_string(nul);
}

TEST(CollectCommands, ANumberThatSaysItsUnitIsNotScaledAgain) {
  std::string text;
  for (const auto &l : test::fixture_lines("nvidia_smi/h100_idle_units.csv")) text += l + "\n";
  const auto units = records(parse("nvidia_smi", text).out);
  std::string bare;
  for (const auto &l : test::fixture_lines("nvidia_smi/h100_idle.csv")) bare += l + "\n";
  const auto plain = records(parse("nvidia_smi", bare).out);
  ASSERT_FALSE(units.empty());
  ASSERT_FALSE(plain.empty());
  const auto value = [](const nlohmann::json &rec, const char *name) {
    for (const auto &m : rec["metrics"])
      if (m["name"] == name) return m["value"].get<double>();
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(value(units[0], "gpu.mem_total_bytes"), 81559.0 * 1048576);
  EXPECT_DOUBLE_EQ(value(plain[0], "gpu.mem_total_bytes"), 81559.0 * 1048576);
  EXPECT_DOUBLE_EQ(value(units[0], "gpu.power_w"), 70.44);
  EXPECT_DOUBLE_EQ(value(units[0], "gpu.util_pct"), 0);
}

TEST(CollectCommands, ParseUnknownIsNullNeverZero) {
  const auto r = parse("nvidia_smi", "0, GPU-x, T4, [N/A], 70.00, [Not Supported], 1, 2, 3\n");
  const auto recs = records(r.out);
  ASSERT_EQ(recs.size(), 1u);
  int checked = 0;
  for (const auto &m : recs[0]["metrics"]) {
    EXPECT_EQ(m["device"], "0");
    if (m["name"] == "gpu.power_w") {
      EXPECT_TRUE(m["value"].is_null());
      EXPECT_EQ(m["unit"], "W");
      ++checked;
    } else if (m["name"] == "gpu.util_pct") {
      EXPECT_TRUE(m["value"].is_null());
      ++checked;
    } else if (m["name"] == "gpu.power_limit_w") {
      EXPECT_DOUBLE_EQ(m["value"].get<double>(), 70.0);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

TEST(CollectCommands, ParseUnknownCollectorIsAUsageError) {
  const auto r = parse("nosuch", "x\n");
  EXPECT_EQ(r.rc, exit_code::usage);
  EXPECT_NE(r.err.find("clustertop collectors"), std::string::npos);
}

TEST(CollectCommands, CollectorsListsEveryDefinitionWithItsNeeds) {
  Options o;
  std::FILE *out = std::tmpfile();
  std::FILE *err = std::tmpfile();
  const int rc = run_collectors_command(o, out, err);
  const auto text = slurp(out);
  slurp(err);
  EXPECT_EQ(rc, 0);
  for (const char *n : {"meminfo", "nvidia_smi", "macmon", "powermetrics", "macos_memory", "exo",
                        "exo_step", "mlx_lm", "llama_cpp", "vllm", "sglang", "failures"})
    EXPECT_NE(text.find(n), std::string::npos) << n;
  EXPECT_NE(text.find("+sudo -n"), std::string::npos);
  EXPECT_NE(text.find("+nvidia-smi"), std::string::npos);
}

TEST(CollectBadInput, TenMegabyteLinesNulAndInvalidUtf8NeverCrashAndAreCounted) {
  std::string big(10 * 1024 * 1024, 'a');
  big += " [STEP 1] eval=1ms\n";
  static const char kJunk[] = "\xff\xfe\x00\x01 [STEP 2] eval=\xc3ms fence_wait=0.8ms\n";
  const std::string junk(kJunk, sizeof kJunk - 1);
  for (const char *c :
       {"log", "exo_step", "macmon", "nvidia_smi", "meminfo", "powermetrics", "macos_memory"}) {
    const auto r = parse(c, big + junk + "{\"gpu_power\": 1e999, \"memory\": {\"ram_total\": \n");
    EXPECT_EQ(r.rc, 0) << c;
    EXPECT_NE(r.err.find(" 3 lines"), std::string::npos) << c << r.err;
    EXPECT_NE(r.err.find("1 cut"), std::string::npos) << c << r.err;
    records(r.out); // every output line is valid JSON
  }
  const auto step = records(parse("exo_step", junk).out);
  ASSERT_EQ(step.size(), 1u);
  EXPECT_EQ(step[0]["metrics"][1]["name"], "step.fence_wait_ms");
}

// JSON holds no raw NUL: a line with one is skipped and counted. The reader ended the text at
// it and took the first object, `cpu_power` after it lost without a count.
TEST(CollectBadInput, AJsonLineWithANulInsideIsSkipped) {
  static const char kLine[] = "{\"gpu_power\":1.5}\0{\"cpu_power\":2}\n";
  const auto r = parse("macmon", std::string(kLine, sizeof kLine - 1));
  EXPECT_EQ(r.rc, 0);
  EXPECT_TRUE(records(r.out).empty()) << r.out;
  EXPECT_NE(r.err.find("1 skipped"), std::string::npos) << r.err;
}

TEST(CollectBadInput, ParsersSurviveHostileLinesDirectly) {
  auto set = test::builtin_set();
  ASSERT_NE(set, nullptr);
  const std::string huge(10 * 1024 * 1024, '[');
  const std::string eq(1024 * 1024, '=');
  const std::string nums = std::string(5000, '9') + "=" + std::string(400, '9') + "e99999ms";
  for (const auto *d : set->all()) {
    auto p = make_parser(*d);
    RecordBuffer buf;
    for (const auto *line : {&huge, &eq, &nums}) {
      buf.clear();
      p->feed(*line, from_epoch_seconds(0), buf);
      for (std::size_t i = 0; i < buf.size(); ++i)
        for (const auto &m : buf[i].metrics) EXPECT_FALSE(std::isinf(m.value)) << d->name;
    }
  }
}

// A number in range times its unit's factor was infinite, and `parse` printed `"value":inf`,
// which is not JSON.
TEST(CollectBadInput, ANumberTimesItsUnitIsNeverInfinite) {
  const auto r = parse("log", "[STEP 1] ctx=1e308K eval=1e289ms\n");
  EXPECT_EQ(r.out.find(":inf"), std::string::npos) << r.out;
  const auto recs = records(r.out);
  ASSERT_EQ(recs.size(), 1u) << r.out;
  bool eval = false;
  for (const auto &m : recs[0]["metrics"]) {
    EXPECT_NE(m["name"], "ctx.tokens") << "1e308K is no value";
    if (m["name"] == "step.eval_ms") eval = m["value"].get<double>() == 1e289;
  }
  EXPECT_TRUE(eval) << recs[0].dump();
}

// A captured number followed by a word: a unit it knows converts it, any other word makes
// no value. "Loading weights took 1.13 seconds" read into a _ms metric gave 1.13 ms, and
// "2 gigabytes" into a _bytes one 2 bytes, silently.
TEST(CollectBadInput, ACapturedNumberWithAWordThatIsNoUnitIsNoValue) {
  const auto value = [](const char *metric, const char *text) {
    MetricSpec spec;
    spec.metric = metric;
    return metric_value(spec, text);
  };
  EXPECT_DOUBLE_EQ(value("x.t_ms", "1.13 seconds"), 1130);
  EXPECT_DOUBLE_EQ(value("x.t_ms", "5 mins"), 300000);
  EXPECT_DOUBLE_EQ(value("x.t_ms", "3h"), 3 * 3600e3);
  EXPECT_DOUBLE_EQ(value("x.t_ms", "5 sec"), 5000);
  EXPECT_DOUBLE_EQ(value("x.p_w", "5 kW"), 5000);
  EXPECT_DOUBLE_EQ(value("x.b_bytes", "2 GiB"), 2.0 * 1073741824);
  for (const char *text : {"2 gigabytes", "4 Gb", "0x10", "1,5", "7 parsecs"})
    EXPECT_TRUE(std::isnan(value("x.b_bytes", text))) << text;
  EXPECT_TRUE(std::isnan(value("x.t_ms", "100 fortnights")));
  EXPECT_TRUE(std::isnan(value("x.c", "0x10"))) << "stuck to the number: no unit, no value";
  // The unit is the first word; what follows is text. A word after a unitless metric's
  // number is its text ("5 tokens", "48 °C" were read so before and stay so).
  EXPECT_DOUBLE_EQ(value("x.t_ms", "12.5 ms per token"), 12.5);
  EXPECT_DOUBLE_EQ(value("x.c", "12 apples"), 12);
  EXPECT_DOUBLE_EQ(value("x.reqs", "5 reqs"), 5);
  EXPECT_DOUBLE_EQ(value("x.p_w", "70.39 watts"), 70.39);
  EXPECT_DOUBLE_EQ(value("x.u_pct", "45 percent"), 45);
  EXPECT_DOUBLE_EQ(value("x.b_bytes", "2 bytes"), 2);
  EXPECT_DOUBLE_EQ(value("x.t_ms", "2 hrs"), 2 * 3600e3);
  EXPECT_DOUBLE_EQ(value("x.gen_per_s", "72.7 tokens-per-sec"), 72.7);
  EXPECT_DOUBLE_EQ(value("x.gen_per_s", "72.7 tokens/sec"), 72.7);
  // Power, temperature and clock metrics convert too: a word they do not know is no value.
  for (const char *text : {"5 kilowatts", "5 milliwatts", "5 MW"})
    EXPECT_TRUE(std::isnan(value("x.p_w", text))) << text;
  EXPECT_TRUE(std::isnan(value("x.t_c", "48 F")));
  EXPECT_DOUBLE_EQ(value("x.p_w", "500 mW"), 0.5);
  EXPECT_TRUE(std::isnan(value("x.p_w", "45 C"))) << "a temperature is no power";
  // Power, temperature and clock are unit classes of their own, so the kv kind names them by
  // their unit as it names durations: `power=500mW` was `step.power`, 0.5 and no unit.
  const auto kv = records(parse("exo_step", "[STEP 3] power=500mW temp=45C\n").out);
  ASSERT_EQ(kv.size(), 1u);
  std::map<std::string, double> got;
  for (const auto &m : kv[0]["metrics"]) got[m["name"]] = m["value"].get<double>();
  EXPECT_DOUBLE_EQ(got["step.power_w"], 0.5) << kv[0].dump();
  EXPECT_DOUBLE_EQ(got["step.temp_c"], 45) << kv[0].dump();
  EXPECT_DOUBLE_EQ(value("x.p_w", "280 Watts"), 280);
  EXPECT_DOUBLE_EQ(value("x.p_w", "70.44 W."), 70.44) << "a sentence's period is no unit";
  EXPECT_DOUBLE_EQ(value("x.t_c", "45 \xC2\xB0"
                                  "C"),
                   45);
  EXPECT_DOUBLE_EQ(value("x.t_c", "45 \xE2\x84\x83"), 45);
  EXPECT_DOUBLE_EQ(value("x.c", "12"), 12);
  // Clocks in GHz and kHz convert to a _mhz metric (3.2 GHz was no value).
  EXPECT_DOUBLE_EQ(value("x.f_mhz", "3.2 GHz"), 3200);
  EXPECT_DOUBLE_EQ(value("x.f_mhz", "1.398GHz"), 1398);
  EXPECT_DOUBLE_EQ(value("x.f_mhz", "500 kHz"), 0.5);
  EXPECT_TRUE(std::isnan(value("x.p_w", "3.2 GHz"))) << "a clock is no power";
  // A second number after a space is a thousands group ("1 234") or another figure: never
  // the first number alone (it read 1).
  for (const char *metric : {"x.c", "x.t_ms", "x.b_bytes"})
    EXPECT_TRUE(std::isnan(value(metric, "1 234"))) << metric;
  EXPECT_DOUBLE_EQ(value("x.c", "12 apples 3"), 12);
  for (const char *text : {"5 -3", "5 .5", "5 +3", "5 -.5", "5 +.5"})
    EXPECT_TRUE(std::isnan(value("x.c", text))) << text;
  EXPECT_DOUBLE_EQ(value("x.c", "5 - 3"), 5) << "a dash alone is text";
  // A clock into a metric without a unit class is no value, as a duration or a size is (5 Hz
  // read 5e-06, converted to MHz).
  for (const char *text : {"5 Hz", "4 GHz", "5 kHz"})
    EXPECT_TRUE(std::isnan(value("x.c", text))) << text;
}

TEST(CollectBadInput, OutOfRangeNumbersAreUnknownNotInfinite) {
  const auto r = parse("macmon", "{\"gpu_power\": 1e400, \"cpu_power\": -1e999}\n"
                                 "{\"gpu_power\": 12345678901234567890123456789}\n");
  const auto recs = records(r.out);
  for (const auto &rec : recs)
    for (const auto &m : rec["metrics"])
      if (!m["value"].is_null()) EXPECT_TRUE(std::isfinite(m["value"].get<double>()));
  // Beyond ±1e290 no reading is, as the text kinds have it: 1e300 W was kept.
  const auto big =
      records(parse("macmon", "{\"gpu_power\": 1e291}\n{\"gpu_power\": -1e300}\n").out);
  ASSERT_EQ(big.size(), 2u);
  int checked = 0;
  for (const auto &rec : big)
    for (const auto &m : rec["metrics"])
      if (m["name"] == "gpu.power_w") {
        EXPECT_TRUE(m["value"].is_null()) << rec.dump();
        ++checked;
      }
  EXPECT_EQ(checked, 2);
}

} // namespace
} // namespace clustertop

namespace clustertop {
namespace {

TEST(CollectTime, TimestampsOutsideTheClockRangeAreRejectedNotOverflowed) {
  TimePoint t;
  EXPECT_FALSE(parse_time("9999-12-31 23:59:59", "%Y-%m-%d %H:%M:%S", TimePoint{}, t));
  EXPECT_FALSE(parse_time("1e20", "epoch", TimePoint{}, t));
  ASSERT_TRUE(parse_time("2026-03-06T20:06:05.259623+01:00", "iso8601", TimePoint{}, t));
  EXPECT_EQ(iso8601_utc(t), "2026-03-06T19:06:05.259Z");
  ASSERT_TRUE(parse_time("10:23:45.1234PM", "%I:%M:%S%p", from_epoch_seconds(1767308400), t));
  EXPECT_EQ(iso8601_utc(t), "2026-01-01T22:23:45.123Z"); // arrived at 23:00 the same day
}

TEST(CollectTime, TimesWithoutAZoneAreTheNodesLocalTime) {
  using std::chrono::minutes;
  TimePoint t;
  const auto fmt = std::string("%Y-%m-%d %H:%M:%S");
  // Five hours behind UTC: 10:00 there is 15:00 UTC; a zone in the text wins.
  ASSERT_TRUE(parse_time("2026-02-23 10:00:00.004", fmt, TimePoint{}, t, nullptr, minutes{-300}));
  EXPECT_EQ(iso8601_utc(t), "2026-02-23T15:00:00.004Z");
  ASSERT_TRUE(
      parse_time("2026-02-23T10:00:00+01:00", "iso8601", TimePoint{}, t, nullptr, minutes{-300}));
  EXPECT_EQ(iso8601_utc(t), "2026-02-23T09:00:00.000Z");
  ASSERT_TRUE(parse_time("2026-02-23T10:00:00Z", "iso8601", TimePoint{}, t, nullptr, minutes{330}));
  EXPECT_EQ(iso8601_utc(t), "2026-02-23T10:00:00.000Z");
  // A time of day alone takes the node's date: at 01:30 UTC it is still the day before
  // where the clock is five hours behind.
  const TimePoint arrival = from_epoch_seconds(1771810200); // 2026-02-23 01:30:00 UTC
  ASSERT_TRUE(parse_time("08:29:59.5000PM", "%I:%M:%S%p", arrival, t, nullptr, minutes{-300}));
  EXPECT_EQ(iso8601_utc(t), "2026-02-23T01:29:59.500Z");
  ASSERT_TRUE(parse_time("08:29:59.5000PM", "%I:%M:%S%p", arrival, t));
  EXPECT_EQ(iso8601_utc(t), "2026-02-22T20:29:59.500Z"); // the day before: not 19 h ahead
  // Nepal, 5:45 ahead.
  ASSERT_TRUE(parse_time("2026-02-23 10:00:00", fmt, TimePoint{}, t, nullptr, minutes{345}));
  EXPECT_EQ(iso8601_utc(t), "2026-02-23T04:15:00.000Z");
}

// A date part taken from the arrival is the last before it: a line written just before
// midnight or New Year that arrives just after is of the day or year before.
TEST(CollectTime, DatesTakenFromTheArrivalAreTheLastBeforeIt) {
  TimePoint t;
  const TimePoint new_year = from_epoch_seconds(1798761600); // 2027-01-01 00:00:00 UTC
  const auto just_after = new_year + std::chrono::milliseconds(200);
  ASSERT_TRUE(parse_time("11:59:59.9000PM", "%I:%M:%S%p", just_after, t));
  EXPECT_EQ(iso8601_utc(t), "2026-12-31T23:59:59.900Z");
  ASSERT_TRUE(parse_time("12:00:00.1000AM", "%I:%M:%S%p", just_after, t));
  EXPECT_EQ(iso8601_utc(t), "2027-01-01T00:00:00.100Z");
  ASSERT_TRUE(parse_time("12-31 23:59:59", "%m-%d %H:%M:%S", just_after, t)); // vLLM's form
  EXPECT_EQ(iso8601_utc(t), "2026-12-31T23:59:59.000Z");
  ASSERT_TRUE(
      parse_time("01-01 00:00:01", "%m-%d %H:%M:%S", new_year - std::chrono::seconds(1), t));
  EXPECT_EQ(iso8601_utc(t), "2027-01-01T00:00:01.000Z");
  // Just after midnight where the node is (five hours behind), a line from before it.
  const TimePoint local_midnight = from_epoch_seconds(1798779600); // 05:00 UTC
  ASSERT_TRUE(parse_time("11:59:58.0000PM", "%I:%M:%S%p", local_midnight, t, nullptr,
                         std::chrono::minutes{-300}));
  EXPECT_EQ(iso8601_utc(t), "2027-01-01T04:59:58.000Z");
  // A backfilled line of the morning before; a clock up to an hour ahead keeps its day.
  ASSERT_TRUE(parse_time("11:00:00.0000AM", "%I:%M:%S%p", just_after, t));
  EXPECT_EQ(iso8601_utc(t), "2026-12-31T11:00:00.000Z");
  ASSERT_TRUE(parse_time("12:59:00.0000AM", "%I:%M:%S%p", just_after, t));
  EXPECT_EQ(iso8601_utc(t), "2027-01-01T00:59:00.000Z");
  // A month and day of this year up to eleven months back stay in it (parse reads with the
  // clock as the arrival).
  ASSERT_TRUE(parse_time("02-03 10:00:00", "%m-%d %H:%M:%S", just_after, t));
  EXPECT_EQ(iso8601_utc(t), "2026-02-03T10:00:00.000Z");
}

TEST(CollectTime, FractionsOfASecondAreExactToTheNanosecond) {
  // As a double, 50.001 s is 50.000999... s, which a cast to nanoseconds cut to .000 ms.
  TimePoint t;
  const TimePoint minute = from_epoch_seconds(1771840740); // 2026-02-23 09:59:00 UTC
  for (int ms = 0; ms < 60000; ms += 7) {
    const std::string text = fmt::format("2026-02-23 09:59:{:02}.{:03}", ms / 1000, ms % 1000);
    ASSERT_TRUE(parse_time(text, "%Y-%m-%d %H:%M:%S", TimePoint{}, t)) << text;
    ASSERT_EQ(t - minute, std::chrono::milliseconds(ms)) << text;
  }
  ASSERT_TRUE(parse_time("2026-02-23 09:59:00.123456789123", "%Y-%m-%d %H:%M:%S", TimePoint{}, t));
  EXPECT_EQ(t - minute, std::chrono::nanoseconds(123456789));
}

} // namespace
} // namespace clustertop
