#include <gtest/gtest.h>
#include <set>

#include "clustertop/sink/csv.hpp"
#include "clustertop/sink/csv_text.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

using std::chrono::seconds;

const TimePoint kNow = from_epoch_seconds(1'790'000'000); // 2026-09-21T...

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t pos; (pos = text.find("\r\n", start)) != std::string::npos; start = pos + 2)
    out.push_back(text.substr(start, pos - start));
  EXPECT_EQ(start, text.size()) << "every line ends with CRLF";
  return out;
}

void add(Store &s, const std::string &node, const std::string &metric, double v, TimePoint t,
         const std::string &device = "") {
  s.add(Sample{node, metric, device, v, t});
}

TEST(ExportCsv, WideUnknownIsAnEmptyCellNeverZero) {
  Store store;
  store.declare_node("mac1");
  add(store, "mac1", "mem.total_bytes", 17179869184.0, kNow);
  const auto lines = lines_of(render_csv_wide(store, {}, kNow));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "time,node,status,status_detail,gpu_power_w,mem_used_bytes,"
                      "mem_available_bytes,mem_total_bytes,mem_pressure_level,swap_used_bytes,"
                      "step_eval_ms,step_model_ms,step_gpu_eval_ms,step_overhead_ms,"
                      "fence_wait_ms,fence_wait_max_ms,tokens_per_s,ctx_tokens,kv_cache_usage_pct,"
                      "requests_running,requests_waiting,alerts,alert_messages");
  EXPECT_EQ(lines[1], iso8601_utc(kNow) + ",mac1,connecting,,,,,17179869184,,,,,,,,,,,,,,,");
}

TEST(ExportCsv, WideSumsGpusComputesOverheadAndFenceWindowMax) {
  Store store;
  store.apply(NodeStatus{"gpu1", "", NodeState::up, "", kNow - seconds(100)});
  add(store, "gpu1", "gpu.power_w", 100.5, kNow, "0");
  add(store, "gpu1", "gpu.power_w", 200, kNow, "1");
  add(store, "gpu1", "mem.total_bytes", 1000, kNow);
  add(store, "gpu1", "mem.available_bytes", 400, kNow);
  add(store, "gpu1", "step.fence_wait_ms", 900, kNow - seconds(61)); // outside the window
  add(store, "gpu1", "step.fence_wait_ms", 12.5, kNow - seconds(30));
  add(store, "gpu1", "step.fence_wait_ms", 0.4, kNow - seconds(1));
  for (auto [m, v] :
       {std::pair{"step.eval_ms", 36.0}, {"step.model_ms", 5.0}, {"step.gpu_eval_ms", 2.0}})
    add(store, "gpu1", m, v, kNow - seconds(1));
  add(store, "gpu1", "gen.tokens_per_s", 27.25, kNow);
  const std::vector<Finding> firing = {
      Finding{"fence_wait_stall", "gpu1", "", Severity::critical, 12.5, 5, "fence wait 12.5 ms"},
      Finding{"crash", "gpu1", "metal_error", Severity::critical, 1, 1, "metal"},
      Finding{"oom_risk", "other", "", Severity::warning, 1, 1, "not this node"}};
  const auto lines = lines_of(render_csv_wide(store, firing, kNow));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(",gpu_power_w,gpu0_power_w,gpu1_power_w,mem_used_bytes,"),
            std::string::npos);
  EXPECT_EQ(lines[1], iso8601_utc(kNow) +
                          ",gpu1,up,,300.5,100.5,200,600,400,1000,,,36,5,2,29,0.4,12.5,27.25,,,,,"
                          "fence_wait_stall(critical); crash[metal_error](critical),"
                          "fence wait 12.5 ms | metal");
}

// The messages of a node's alerts split back at each ` | `: a `|` inside one (exo's file log
// separates its fields by ` | `) is `\|`, and a backslash `\\`.
TEST(ExportCsv, WideAlertMessagesSplitBackIntoTheirAlerts) {
  Store store;
  store.declare_node("mac1");
  const std::vector<Finding> firing = {
      Finding{"crash", "mac1", "oom", Severity::critical, 1, 1,
              "crash: [ 2026-12-01 10:00:25.000 | ERROR | exo ] a | b \\ c"},
      Finding{"fence_wait_stall", "mac1", "", Severity::warning, 300, 5, "fence 300 ms"}};
  const auto row = lines_of(render_csv_wide(store, firing, kNow))[1];
  EXPECT_NE(row.find(",crash: [ 2026-12-01 10:00:25.000 \\| ERROR \\| exo ] a \\| b \\\\ c"
                     " | fence 300 ms"),
            std::string::npos)
      << row;
}

// Each message is redacted and cut by itself, the cell not again: a message ending in an
// unclosed quoted secret (`db_password="s3cr`) took, redacted with the cell, the ` | ` and
// the next message's head. Nor is the joined cell cut: past 2048 bytes whole alerts fell off.
TEST(ExportCsv, WideAlertCellsKeepEveryAlert) {
  Store store;
  store.declare_node("mac1");
  std::vector<Finding> firing = {
      Finding{"crash", "mac1", "crash", Severity::critical, 1, 1,
              "Segmentation fault db_password=\"s3cr"},
      Finding{"crash", "mac1", "gpu_timeout", Severity::critical, 1, 1, "the \"model\" hung"}};
  auto row = lines_of(render_csv_wide(store, firing, kNow)).at(1);
  EXPECT_NE(row.find("Segmentation fault db_password=\"\"[redacted] | the \"\"model\"\" hung"),
            std::string::npos)
      << row;
  EXPECT_EQ(row.find("s3cr"), std::string::npos) << row;
  firing.clear();
  for (int i = 0; i < 8; ++i)
    firing.push_back(Finding{"stream_down", "mac1", "log:/" + std::string(300, 'a' + i),
                             Severity::critical, 1, 0, std::string(300, 'A' + i)});
  row = lines_of(render_csv_wide(store, firing, kNow)).at(1);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(row.find("stream_down[log:/" + std::string(300, 'a' + i) + "](critical)"),
              std::string::npos)
        << i;
    EXPECT_NE(row.find(std::string(300, 'A' + i)), std::string::npos) << i;
  }
}

// A GPU its sampler no longer lists (not heard from for a minute) is left out of the node's
// total: counted as unknown, it emptied gpu_power_w for the rest of the run. A GPU that reads
// unknown now (nvidia-smi's [N/A]) still empties it: a partial sum understates power.
TEST(ExportCsv, WideGpuTotalLeavesOutAGpuThatIsGone) {
  Store store;
  store.apply(NodeStatus{"gpu1", "", NodeState::up, "", kNow - seconds(300)});
  add(store, "gpu1", "gpu.power_w", 300.5, kNow, "0");
  add(store, "gpu1", "gpu.power_w", 200, kNow - seconds(61), "1"); // gone
  auto row = lines_of(render_csv_wide(store, {}, kNow))[1];
  EXPECT_NE(row.find(",gpu1,up,,300.5,300.5,,"), std::string::npos) << row;
  add(store, "gpu1", "gpu.power_w", kUnknown, kNow, "1"); // back, and unreadable
  row = lines_of(render_csv_wide(store, {}, kNow))[1];
  EXPECT_NE(row.find(",gpu1,up,,,300.5,,"), std::string::npos) << row;
}

// A server's KV cache use and requests are columns of their own (vLLM, SGLang): they were
// in the long format and /metrics only.
TEST(ExportCsv, WideHasAServersKvCacheAndRequests) {
  Store store;
  store.apply(NodeStatus{"gpu1", "", NodeState::up, "", kNow - seconds(10)});
  add(store, "gpu1", "kv_cache.usage_pct", 91.25, kNow - seconds(5));
  add(store, "gpu1", "req.running", 12, kNow - seconds(5));
  add(store, "gpu1", "req.waiting", 0, kNow - seconds(5));
  const auto lines = lines_of(render_csv_wide(store, {}, kNow));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(",ctx_tokens,kv_cache_usage_pct,requests_running,requests_waiting,"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(",91.25,12,0,,"), std::string::npos) << lines[1];
}

// A subject that reads as a secret (a GPU id or a log path with `password=…` in it) is
// redacted by itself: the whole cell's redaction ran its value up to the next space and took
// the `](warning);` after it, and two such alerts read as one.
TEST(ExportCsv, ASubjectIsRedactedByItself) {
  Store store;
  store.apply(NodeStatus{"vm", "", NodeState::up, "", kNow - seconds(10)});
  const std::vector<Finding> firing = {
      Finding{"gpu_mem", "vm", "gpu3", Severity::warning, 99, 98, "GPU gpu3 memory"},
      Finding{"gpu_mem", "vm", "password=a1", Severity::warning, 99, 98, "GPU a1 memory"},
      Finding{"stream_down", "vm", "log:/srv/password=b2/x.log", Severity::critical, 1, 0, "d"}};
  const auto row = lines_of(render_csv_wide(store, firing, kNow)).at(1);
  EXPECT_NE(row.find(",gpu_mem[gpu3](warning); gpu_mem[password=[redacted]](warning); "
                     "stream_down[log:/srv/password=[redacted]](critical),"),
            std::string::npos)
      << row;
  EXPECT_EQ(row.find("a1,"), std::string::npos) << row;
  EXPECT_EQ(row.find("b2"), std::string::npos) << row;
}

// The overhead is a difference of the decimals the log wrote: printed as those decimals
// give it, not as its binary rounding (13.199999999999996).
TEST(ExportCsv, OverheadIsPrintedAsTheLogsDecimalsGiveIt) {
  Store store;
  store.apply(NodeStatus{"m", "", NodeState::up, "", kNow - seconds(10)});
  for (auto [m, v] :
       {std::pair{"step.eval_ms", 32.3}, {"step.model_ms", 18.6}, {"step.gpu_eval_ms", 0.5}})
    add(store, "m", m, v, kNow - seconds(1));
  const auto lines = lines_of(render_csv_wide(store, {}, kNow));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find(",32.3,18.6,0.5,13.2,"), std::string::npos) << lines[1];
}

TEST(ExportCsv, GpuSumIsUnknownWhenOneGpuIsUnknownAndOverheadNeedsOneStep) {
  Store store;
  add(store, "n", "gpu.power_w", 100, kNow, "0");
  add(store, "n", "gpu.power_w", kUnknown, kNow, "1");
  add(store, "n", "step.eval_ms", 36, kNow);
  add(store, "n", "step.model_ms", 5, kNow);
  add(store, "n", "step.gpu_eval_ms", 2, kNow - seconds(1)); // a different step
  const auto row = lines_of(render_csv_wide(store, {}, kNow)).at(1);
  // time,node,status,detail,sum,gpu0,gpu1,used,avail,total,pressure,swap,eval,model,gpu_eval,
  // overhead,fence,fence_max,tokens,ctx,alerts,messages
  EXPECT_EQ(row, iso8601_utc(kNow) + ",n,connecting,,,100,,,,,,,36,5,2,,,,,,,,,,");
}

TEST(ExportCsv, RemoteTextIsQuotedNeutralisedCleanedAndRedacted) {
  std::string out;
  append_text_cell(out, "=HYPERLINK(\"http://x\",\"y\")");
  EXPECT_EQ(out, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  for (std::string_view s : {"+1", "-2+3", "@SUM(A1)", "\tx", "\rx"}) {
    out.clear();
    append_text_cell(out, s);
    EXPECT_NE(out.find('\''), std::string::npos) << s;
  }
  out.clear();
  append_text_cell(out, "a,b\nc");
  EXPECT_EQ(out, "\"a,b\nc\"");
  out.clear();
  const char hostile[] = "bad\xff\xc0\x80 nul\0 esc\x1b[31m";
  append_text_cell(out, std::string(hostile, sizeof hostile - 1));
  EXPECT_EQ(out, "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD nul\xEF\xBF\xBD esc\xEF\xBF\xBD[31m");
  out.clear();
  append_text_cell(out, std::string(5000, 'x'));
  EXPECT_EQ(out.size(), kMaxExportTextBytes + 3);
}

TEST(ExportCsv, CleanUtf8KeepsValidTextAndRejectsOverlongAndSurrogates) {
  EXPECT_EQ(clean_utf8("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
  EXPECT_EQ(clean_utf8("\xE0\x80\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong '/'
  EXPECT_EQ(clean_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
  EXPECT_EQ(clean_utf8("\xF4\x90\x80\x80").size(), 12u);                         // > U+10FFFF
  EXPECT_EQ(clean_utf8("tab\tlf\ncr\r"), "tab\tlf\ncr\r");
  // C1 controls (NEL among them) and the line and paragraph separators break lines for
  // line-oriented readers: one replacement each. Their neighbours stay.
  EXPECT_EQ(clean_utf8("a\xC2\x85"
                       "b\xC2\x9F"
                       "c\xE2\x80\xA8"
                       "d\xE2\x80\xA9"
                       "e"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD"
            "d\xEF\xBF\xBD"
            "e");
  EXPECT_EQ(clean_utf8("\xC2\xA0\xE2\x80\xA7"), "\xC2\xA0\xE2\x80\xA7"); // NBSP, U+2027
  // Controls of direction (RLO, LRI…PDI, RLM) showed a line in another order in a spreadsheet.
  EXPECT_EQ(clean_utf8("rlo\xE2\x80\xAEx \xE2\x81\xA6y\xE2\x81\xA9 z\xE2\x80\x8F"),
            "rlo\xEF\xBF\xBDx \xEF\xBF\xBDy\xEF\xBF\xBD z\xEF\xBF\xBD");
}

TEST(ExportCsv, SecretsAreRedactedButOrdinaryNumbersAreNot) {
  EXPECT_EQ(redact_secrets("login password=hunter2 tokens=512"),
            "login password=[redacted] tokens=512");
  EXPECT_EQ(redact_secrets("Authorization: Bearer abc.def-ghi"),
            "Authorization: Bearer [redacted]");
  EXPECT_EQ(redact_secrets("pull https://user:s3cr3t@hf.co/m failed"),
            "pull https://user:[redacted]@hf.co/m failed");
  EXPECT_EQ(redact_secrets("HF_TOKEN: 'hf_abc' api_key = xyz"),
            "HF_TOKEN: '[redacted]' api_key = [redacted]");
  EXPECT_EQ(redact_secrets("gen.tokens_per_s=27 prompt tokens: 100"),
            "gen.tokens_per_s=27 prompt tokens: 100");
}

TEST(ExportCsv, NumbersAreExactAndNegativeNumbersAreNotNeutralised) {
  std::string out;
  for (double v : {17179869184.0, 0.5, -3.0, 1e300, kUnknown, 1.0 / 0.0}) {
    append_number_cell(out, v);
    out += '|';
  }
  EXPECT_EQ(out, "17179869184|0.5|-3|1e+300|||");
}

TEST(ExportCsv, LongHasEveryPointWithUnits) {
  Store store;
  add(store, "mac1", "gpu.power_w", 10, kNow - seconds(2), "0");
  add(store, "mac1", "gpu.power_w", kUnknown, kNow - seconds(1), "0");
  add(store, "mac1", "mem.available_bytes", 5e9, kNow - seconds(1));
  auto lines = lines_of(render_csv_long(store));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "time,node,metric,device,value,unit");
  EXPECT_EQ(lines[1], iso8601_utc(kNow - seconds(2)) + ",mac1,gpu.power_w,0,10,W");
  EXPECT_EQ(lines[2], iso8601_utc(kNow - seconds(1)) + ",mac1,gpu.power_w,0,,W");
  EXPECT_EQ(lines[3],
            iso8601_utc(kNow - seconds(1)) + ",mac1,mem.available_bytes,,5000000000,bytes");
}

// Two GPU ids that are not text (bytes that are not UTF-8, control characters) were one
// column name and one device cell (U+FFFD for each), so a reader keyed on the header kept one
// of the GPUs; /metrics labels them `\xff` and `\xfe`. CSV now writes them as /metrics does.
TEST(ExportCsv, DeviceIdsThatAreNotTextStayApartAsInMetrics) {
  Store store;
  add(store, "mac1", "gpu.power_w", 10, kNow, "\xff");
  add(store, "mac1", "gpu.power_w", 20, kNow, "\xfe");
  add(store, "mac1", "gpu.power_w", 30, kNow, "a\x01");
  add(store, "mac1", "gpu.power_w", 40, kNow, "a\x02");
  const auto header = lines_of(render_csv_wide(store, {}, kNow)).at(0);
  for (const char *column :
       {",gpu\\xff_power_w", ",gpu\\xfe_power_w", ",gpua\\x01_power_w", ",gpua\\x02_power_w"})
    EXPECT_NE(header.find(column), std::string::npos) << column << " in " << header;
  const auto rows = lines_of(render_csv_long(store));
  std::set<std::string> devices;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto cells = rows[i].substr(rows[i].find(",gpu.power_w,") + 13);
    devices.insert(cells.substr(0, cells.find(',')));
  }
  EXPECT_EQ(devices, (std::set<std::string>{"\\xff", "\\xfe", "a\\x01", "a\\x02"}));
  EXPECT_EQ(escape_label_value("\xff"), "\\\\xff") << "/metrics: the same text, escaped once more";
}

// Controls of direction (U+202E, U+202D) in device ids: a text cell replaces them with U+FFFD,
// so they and a real U+FFFD were one column and one device.
TEST(ExportCsv, DeviceIdsWithControlsOfDirectionStayApart) {
  Store store;
  add(store, "mac1", "gpu.power_w", 10, kNow, "\u202e");
  add(store, "mac1", "gpu.power_w", 20, kNow, "\u202d");
  add(store, "mac1", "gpu.power_w", 30, kNow, "\ufffd");
  const auto header = lines_of(render_csv_wide(store, {}, kNow)).at(0);
  for (const char *column :
       {",gpu\\xe2\\x80\\xae_power_w", ",gpu\\xe2\\x80\\xad_power_w", ",gpu\ufffd_power_w"})
    EXPECT_NE(header.find(column), std::string::npos) << column << " in " << header;
  const auto rows = lines_of(render_csv_long(store));
  std::set<std::string> devices;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto cells = rows[i].substr(rows[i].find(",gpu.power_w,") + 13);
    devices.insert(cells.substr(0, cells.find(',')));
  }
  EXPECT_EQ(devices.size(), 3u);
}

// A node that went down kept its last memory and GPU power figures in every snapshot, as if
// current. Sampled states older than 60 s are left empty, as /metrics leaves them out; the
// latest step stays (a step is the last one, whenever it came).
TEST(ExportCsv, SampledValuesOlderThanAMinuteAreEmptyStepsStay) {
  Store store;
  store.apply(NodeStatus{"mac1", "", NodeState::down, "connection refused", kNow - seconds(75)});
  const TimePoint then = kNow - seconds(80);
  add(store, "mac1", "gpu.power_w", 31, then);
  add(store, "mac1", "mem.total_bytes", 16e9, then);
  add(store, "mac1", "mem.available_bytes", 4e9, then);
  add(store, "mac1", "step.eval_ms", 36, then);
  const auto row = lines_of(render_csv_wide(store, {}, kNow)).at(1);
  EXPECT_EQ(row, iso8601_utc(kNow) + ",mac1,down,connection refused,,,,,,,36,,,,,,,,,,,,") << row;
  const auto fresh = lines_of(render_csv_wide(store, {}, then + seconds(59))).at(1);
  EXPECT_NE(fresh.find(",31,12000000000,4000000000,16000000000,"), std::string::npos) << fresh;
}

// The node column is the node's name as /metrics labels, --json lines and hooks show it:
// it was redacted in CSV alone, so a CSV row no longer joined its /metrics series and two
// nodes differing only in a password were one row. Names redaction would change are refused
// where nodes are named (validate_node_name); the writer keeps a name as it is, as it keeps
// the status detail's redaction (remote text) and the spreadsheet guard.
TEST(ExportCsv, NodeNameCellIsTheNameAsOtherOutputsShowIt) {
  Store store;
  const std::string a = "db://u:one@h", b = "db://u:two@h";
  store.apply(NodeStatus{a, "", NodeState::down, "auth failed: password=hunter2", kNow});
  store.declare_node(b);
  add(store, a, "mem.total_bytes", 1, kNow);
  const auto wide = lines_of(render_csv_wide(store, {}, kNow));
  ASSERT_EQ(wide.size(), 3u);
  EXPECT_EQ(wide[1].substr(0, wide[1].find(",,")),
            iso8601_utc(kNow) + "," + a + ",down,auth failed: password=[redacted]");
  EXPECT_EQ(wide[2].substr(0, wide[2].find(",,")), iso8601_utc(kNow) + "," + b + ",connecting");
  const auto long_rows = lines_of(render_csv_long(store));
  ASSERT_EQ(long_rows.size(), 2u);
  EXPECT_EQ(long_rows[1], iso8601_utc(kNow) + "," + a + ",mem.total_bytes,,1,bytes");
  std::string out;
  append_name_cell(out, "=cmd");
  EXPECT_EQ(out, "'=cmd");
}

TEST(ExportCsv, LongRowsCollectOnlyWhatWasPushedSinceTheLastCollect) {
  Store store;
  LongRows rows;
  add(store, "mac1", "gpu.power_w", 10, kNow - seconds(2), "0");
  EXPECT_EQ(rows.collect(store), 0u);
  EXPECT_EQ(rows.rows(), iso8601_utc(kNow - seconds(2)) + ",mac1,gpu.power_w,0,10,W\r\n");
  rows.clear_rows();
  EXPECT_EQ(rows.collect(store), 0u);
  EXPECT_EQ(rows.rows(), "") << "nothing new";
  add(store, "mac1", "gpu.power_w", 11, kNow - seconds(5), "0"); // late, with an older time
  add(store, "mac1", "mem.available_bytes", 5e9, kNow - seconds(1));
  EXPECT_EQ(rows.collect(store), 0u);
  EXPECT_EQ(rows.rows(), iso8601_utc(kNow - seconds(5)) + ",mac1,gpu.power_w,0,11,W\r\n" +
                             iso8601_utc(kNow - seconds(1)) +
                             ",mac1,mem.available_bytes,,5000000000,bytes\r\n");
}

TEST(ExportCsv, UnitsAndFormatNames) {
  EXPECT_EQ(unit_of_metric("step.fence_wait_ms"), "ms");
  EXPECT_EQ(unit_of_metric("gen.tokens_per_s"), "tokens/s");
  EXPECT_EQ(unit_of_metric("ctx.tokens"), "tokens");
  EXPECT_EQ(unit_of_metric("gpu.util_pct"), "%");
  EXPECT_EQ(unit_of_metric("step.index"), "");
  EXPECT_EQ(parse_csv_format("long").value(), CsvFormat::long_rows);
  const auto bad = parse_csv_format("xlsx");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("wide"), std::string::npos);
}

} // namespace
} // namespace clustertop
