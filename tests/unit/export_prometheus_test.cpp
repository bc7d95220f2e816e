#include <gtest/gtest.h>
#include <set>
#include <sstream>

#include <map>

#include "clustertop/sink/http_server.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

using std::chrono::seconds;
const TimePoint kNow = from_epoch_seconds(1'790'000'000);

bool has_line(const std::string &text, const std::string &line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(ExportPrometheus, NamesUnitsLabelsAndAlerts) {
  Store store;
  store.apply(NodeStatus{"mac1", "", NodeState::up, "", kNow});
  store.apply(NodeStatus{"mac2", "", NodeState::down, "connection refused", kNow});
  store.add(Sample{"mac1", "gpu.power_w", "0", 123.5, kNow});
  store.add(Sample{"mac1", "step.fence_wait_ms", "", 12.5, kNow});
  store.add(Sample{"mac1", "step.eval_ms", "", 36, kNow});
  store.add(Sample{"mac1", "gpu.util_pct", "", 50, kNow});
  store.add(Sample{"mac1", "mem.available_bytes", "", 17179869184.0, kNow});
  store.add(Sample{"mac1", "gen.tokens_per_s", "", 27.25, kNow});
  const std::vector<Finding> firing = {
      Finding{"fence_wait_stall", "mac1", "", Severity::critical, 12.5, 5, "x"},
      Finding{"fence_wait_stall", "mac1", "", Severity::critical, 13, 5, "duplicate"}};
  const auto text = render_prometheus(store, firing, kNow);
  EXPECT_TRUE(has_line(text, "clustertop_node_up{node=\"mac1\"} 1"));
  EXPECT_TRUE(has_line(text, "clustertop_node_up{node=\"mac2\"} 0"));
  EXPECT_TRUE(has_line(text, "clustertop_gpu_power_watts{node=\"mac1\",gpu=\"0\"} 123.5"));
  EXPECT_TRUE(has_line(text, "clustertop_fence_wait_seconds{node=\"mac1\"} 0.0125"));
  EXPECT_TRUE(has_line(text, "clustertop_step_seconds{node=\"mac1\",phase=\"eval\"} 0.036"));
  EXPECT_TRUE(has_line(text, "clustertop_gpu_utilization_ratio{node=\"mac1\"} 0.5"));
  EXPECT_TRUE(has_line(text, "clustertop_memory_available_bytes{node=\"mac1\"} 17179869184"));
  EXPECT_TRUE(
      has_line(text, "clustertop_tokens_per_second{node=\"mac1\",phase=\"generation\"} 27.25"));
  EXPECT_TRUE(has_line(text, "# TYPE clustertop_alert gauge"));
  EXPECT_TRUE(has_line(
      text, "clustertop_alert{rule=\"fence_wait_stall\",node=\"mac1\",severity=\"critical\"} 1"));
  EXPECT_EQ(text.find("severity=\"critical\"} 1"), text.rfind("severity=\"critical\"} 1"))
      << "one series per label set";
}

TEST(ExportPrometheus, EveryFamilyHasOneHelpAndTypeBeforeItsSamples) {
  Store store;
  store.add(Sample{"n", "step.eval_ms", "", 1, kNow});
  store.add(Sample{"n", "step.model_ms", "", 1, kNow});
  const auto text = render_prometheus(store, {}, kNow);
  std::map<std::string, int> types;
  std::string current;
  std::size_t start = 0;
  for (std::size_t pos; (pos = text.find('\n', start)) != std::string::npos; start = pos + 1) {
    const std::string line = text.substr(start, pos - start);
    if (line.starts_with("# TYPE ")) {
      current = line.substr(7, line.find(' ', 7) - 7);
      ++types[current];
    } else if (!line.starts_with("#")) {
      EXPECT_EQ(line.substr(0, line.find('{')), current) << "sample outside its family: " << line;
    }
  }
  for (const auto &[family, n] : types) EXPECT_EQ(n, 1) << family;
  EXPECT_EQ(types.count("clustertop_step_seconds"), 1u);
}

// Values that were all repaired to U+FFFD (or, as text, read alike) were one label set: a
// scrape held several samples of one series, which Prometheus drops as duplicates.
TEST(ExportPrometheus, DifferentLabelValuesStayDifferent) {
  const std::vector<std::string> values = {"a\xff",         "a\xfe", "a\\xff",
                                           "a\xEF\xBF\xBD", "a\x01", "a\xE2\x80\xA8",
                                           "a\xE2\x80\xA9", "a\\"};
  std::set<std::string> escaped;
  for (const auto &v : values) escaped.insert(escape_label_value(v));
  EXPECT_EQ(escaped.size(), values.size());
  Store store;
  for (const char *gpu : {"\xff", "\xfe", "\x01"})
    store.add(Sample{"gpu", "gpu.power_w", gpu, 70, kNow});
  std::set<std::string> series;
  int samples = 0;
  const auto text = render_prometheus(store, {}, kNow);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("clustertop_gpu_power_watts{")) {
      ++samples;
      series.insert(line.substr(0, line.rfind(' ')));
    }
  EXPECT_EQ(samples, 3) << text;
  EXPECT_EQ(series.size(), 3u) << text;
}

TEST(ExportPrometheus, HostileLabelValuesAreEscapedAndRepaired) {
  // The format's escapes (\\ \" \n) over the value's text, where a backslash is doubled
  // and a byte that is not UTF-8 or a control character is \xHH.
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), R"(a\"b\\\\c\nd)");
  EXPECT_EQ(escape_label_value("x\xff"), R"(x\\xff)");
  EXPECT_EQ(escape_label_value("\xE2\x82\xAC \xC2\x85\r"), "\xE2\x82\xAC "
                                                           R"(\\xc2\\x85\\x0d)");
  Store store;
  store.add(Sample{"evil\"} 1\nclustertop_node_up{node=\"x", "mem.total_bytes", "", 1, kNow});
  const auto text = render_prometheus(store, {}, kNow);
  EXPECT_TRUE(has_line(
      text,
      "clustertop_memory_total_bytes{node=\"evil\\\"} 1\\nclustertop_node_up{node=\\\"x\"} 1"));
}

TEST(ExportPrometheus, UnknownAndStaleValuesAreOmitted) {
  Store store;
  store.add(Sample{"n", "gpu.power_w", "0", kUnknown, kNow});
  store.add(Sample{"n", "mem.total_bytes", "", 5, kNow - seconds(61)});
  store.add(Sample{"n", "mem.available_bytes", "", 4, kNow - seconds(59)});
  const auto text = render_prometheus(store, {}, kNow);
  EXPECT_EQ(text.find("clustertop_gpu_power_watts{"), std::string::npos);
  EXPECT_EQ(text.find("clustertop_memory_total_bytes{"), std::string::npos);
  EXPECT_TRUE(has_line(text, "clustertop_memory_available_bytes{node=\"n\"} 4"));
  EXPECT_EQ(text.find("NaN"), std::string::npos);
}

TEST(ExportPrometheus, ListenAddressDefaultsToLoopback) {
  auto a = parse_listen_address(":9464");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  a = parse_listen_address("9464");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  a = parse_listen_address("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  a = parse_listen_address("0.0.0.0:80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  for (const char *bad : {"", "host:", "host:port", "::1:9464", "127.0.0.1:70000", "1:-1"})
    EXPECT_FALSE(parse_listen_address(bad).ok()) << bad;
}

TEST(ExportPrometheusHttpHead, ReadsMethodPathVersionAndConnection) {
  auto h = parse_request_head("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.error, 0);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.path, "/metrics");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.has_body);
  h = parse_request_head("GET /metrics HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE\r\n\r\n");
  EXPECT_EQ(h.error, 0);
  EXPECT_FALSE(h.keep_alive);
  h = parse_request_head("HEAD / HTTP/1.0\n\n"); // bare LF ends lines too
  EXPECT_EQ(h.error, 0);
  EXPECT_EQ(h.minor_version, 0);
  EXPECT_FALSE(h.keep_alive);
  h = parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(h.error, 0); // an error would leave keep_alive at its default, true
  EXPECT_TRUE(h.keep_alive);
  h = parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 000\r\n\r\n");
  EXPECT_EQ(h.error, 0);
  EXPECT_FALSE(h.has_body);
  h = parse_request_head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
  EXPECT_TRUE(h.has_body);
  h = parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(h.has_body);
}

TEST(ExportPrometheusHttpHead, RefusesMalformedHeads) {
  for (const char *bad :
       {"\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n",
        "GET metrics HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1\r\n\r\n",
        "GET / http/1.1\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        // RFC 9112 3.2: HTTP/1.1 needs one Host (1.0 needs none)
        "GET /metrics HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"})
    EXPECT_EQ(parse_request_head(bad).error, 400) << bad;
  EXPECT_EQ(parse_request_head("GET / HTTP/2.0\r\n\r\n").error, 505);
  EXPECT_EQ(parse_request_head("GET / HTTP/0.9\r\n\r\n").error, 505);
}

// A head that cannot fit in max_head bytes is answered from its first max_head bytes only:
// the status was 414 or 431 (or 400 or 414) by whether the byte after them had come in the
// same read.
TEST(ExportPrometheusHttpHead, AHeadTooLongIsAnsweredAlikeHoweverItArrives) {
  const auto status = [](const std::string &bytes) {
    std::string in = bytes;
    std::size_t scanned = 0;
    return frame_request(in, scanned, 32).error;
  };
  const std::string line = "GET /" + std::string(27, 'a'); // 32 bytes, its LF the 33rd
  EXPECT_EQ(status(line), 414);
  EXPECT_EQ(status(line + "\n"), 414);
  const std::string junk(32, 'A'); // no space in the first 32 bytes: not a request line
  EXPECT_EQ(status(junk), 400);
  EXPECT_EQ(status(junk + " "), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20, 'b')), 431);
  std::string in = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
  std::size_t scanned = 0;
  const auto frame = frame_request(in, scanned, 32); // a head that fits, after an empty line
  EXPECT_EQ(frame.error, 0);
  EXPECT_EQ(in.substr(0, frame.end), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

} // namespace
} // namespace clustertop
