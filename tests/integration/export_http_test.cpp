// /metrics over real sockets on 127.0.0.1: what a scraper gets, and what idle, slow,
// oversized and stalled clients cannot take from it (an answer within a second or two,
// bounded memory, a prompt stop()). Every server here is started by the test itself.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "clustertop/sink/prometheus_sink.hpp"
#include "clustertop/store/store.hpp"
#include "http_client.hpp"

namespace clustertop {
namespace {

using namespace std::chrono_literals;
using testing::http_exchange;
using testing::http_get;
using testing::read_answer;
using testing::TestClock;
using testing::TestSocket;

const std::vector<Finding> kNoAlerts;

Store small_store(TimePoint now) {
  Store store;
  for (const char *node : {"mac1", "mac2"}) {
    store.apply(NodeStatus{node, "", NodeState::up, "", now});
    store.add(Sample{node, "gpu.power_w", "0", 42.5, now});
  }
  return store;
}

// Starts a sink on a free loopback port and hands it its first tick; `text` is what
// /metrics then serves.
std::unique_ptr<PrometheusSink> started_sink(std::string *text = nullptr) {
  auto sink = PrometheusSink::start("127.0.0.1:0");
  EXPECT_TRUE(sink.ok()) << sink.error().message();
  if (!sink.ok()) return nullptr;
  const auto now = wall_now();
  const Store store = small_store(now);
  (*sink)->on_tick(TickContext{store, kNoAlerts, now});
  if (text != nullptr) *text = render_prometheus(store, kNoAlerts, now);
  return std::move(*sink);
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// The status of the answer to one request on a fresh connection; 0 when none came.
int status_of(int port, const std::string &request) {
  auto a = http_exchange(port, request);
  return a ? a->status : 0;
}

TEST(ExportPrometheusHttp, AnswersGetHeadHttp10AndKeepAliveAsBefore) {
  auto empty = PrometheusSink::start("127.0.0.1:0");
  ASSERT_TRUE(empty.ok());
  auto before = http_get((*empty)->port(), "/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 503) << "no data before the first tick";

  std::string text;
  auto sink = started_sink(&text);
  ASSERT_TRUE(sink);
  const int port = sink->port();
  EXPECT_EQ(sink->host(), "127.0.0.1");
  auto get = http_get(port, "/metrics");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, text);
  EXPECT_NE(get->headers["content-type"].find("version=0.0.4"), std::string::npos);
  EXPECT_TRUE(get->closed) << "Connection: close was asked for";

  auto head = http_exchange(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], std::to_string(text.size()));
  EXPECT_TRUE(head->body.empty());

  auto http10 = http_exchange(port, "GET /metrics HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(http10);
  EXPECT_EQ(http10->status, 200);
  EXPECT_EQ(http10->body, text);
  EXPECT_TRUE(http10->closed) << "HTTP/1.0 without keep-alive closes";

  auto index = http_get(port, "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);

  // Two pipelined requests on one kept-alive connection, then a third after the answers.
  TestSocket s(port);
  ASSERT_TRUE(s.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics?x=1 HTTP/1.1\r\n"
                         "Host: x\r\n\r\n"));
  std::string buffer;
  for (int i = 0; i < 2; ++i) {
    auto a = read_answer(s, buffer, false, TestClock::now() + 5s);
    ASSERT_TRUE(a) << i;
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(a->body, text);
    EXPECT_EQ(a->headers["connection"], "keep-alive");
  }
  ASSERT_TRUE(s.send_all("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto third = read_answer(s, buffer, true, TestClock::now() + 5s);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
}

TEST(ExportPrometheusHttp, RefusesMalformedOversizedAndBodiedRequests) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  EXPECT_EQ(status_of(port, "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            414);
  EXPECT_EQ(status_of(port, "\x16\x03\x01\x02\x01 hello\r\n\r\n"), 400);
  EXPECT_EQ(status_of(port, "GET /metrics\r\n\r\n"), 400);
  EXPECT_EQ(status_of(port, "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"), 400);
  EXPECT_EQ(status_of(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status_of(port, "GET /metrics HTTP/2.0\r\n\r\n"), 505);
  // A GET with a body is refused and the connection closed (the body is never read).
  auto bodied = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
                                    "0123456789");
  ASSERT_TRUE(bodied);
  EXPECT_EQ(bodied->status, 413);
  EXPECT_TRUE(bodied->closed);
  EXPECT_EQ(status_of(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            413);
}

TEST(ExportPrometheusHttp, PostIs405AndOtherPathsAre404) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  auto post = http_exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                                  "hello");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers["allow"], "GET, HEAD");
  EXPECT_EQ(status_of(port, "PUT /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405);
  auto missing = http_get(port, "/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// RFC 9112 3.2.2: the absolute-form, as a proxy sends it, is accepted (it was a 400).
TEST(ExportPrometheusHttp, TheAbsoluteFormIsAccepted) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  const auto get = [&](const std::string &target) {
    return status_of(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  const std::string authority = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(get(authority + "/metrics"), 200);
  EXPECT_EQ(get(authority + "/metrics?x=1"), 200);
  EXPECT_EQ(get("HTTP://h/metrics"), 200);
  EXPECT_EQ(get(authority + "/nothing-here"), 404);
  EXPECT_EQ(get(authority), 200) << "no path: /";
  EXPECT_EQ(get(authority + "?metrics"), 200) << "a query, no path: /";
  EXPECT_EQ(get("://h/metrics"), 400) << "no scheme";
  EXPECT_EQ(get("ht(tp://h/metrics"), 400) << "not a scheme";
  EXPECT_EQ(get("metrics"), 400);
  // RFC 9110 4.2.1: an http URI with an empty host is invalid; and this endpoint has no TLS.
  EXPECT_EQ(get("http:///metrics"), 400) << "no host";
  EXPECT_EQ(get("http://"), 400) << "no host";
  EXPECT_EQ(get("http://?x"), 400) << "no host";
  EXPECT_EQ(get("https://h/metrics"), 400) << "not for a plain-HTTP endpoint";
  EXPECT_EQ(get("ftp://h/metrics"), 400);
}

TEST(ExportPrometheusHttp, RangeIsIgnored) {
  std::string text;
  auto sink = started_sink(&text);
  ASSERT_TRUE(sink);
  std::string ranges = "bytes=";
  for (int i = 0; i < 1000; ++i) ranges += "0-,";
  ranges += "0-";
  auto a = http_exchange(sink->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nRange: " + ranges +
                                           "\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << "never 206: a range request gets the text once";
  EXPECT_EQ(a->body, text);
}

TEST(ExportPrometheusHttp, SlowHeaderClientsDoNotHoldOffAScrape) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  // Clients that send one header line a second for 8 s and never finish their request.
  constexpr int kSlow = 16;
  std::vector<std::optional<TestClock::duration>> closed_after(kSlow);
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlow; ++i)
    slow.emplace_back([&, i] {
      TestSocket s(port);
      if (!s.connected() || !s.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n")) return;
      const auto t0 = TestClock::now();
      while (TestClock::now() - t0 < 8s) {
        if (s.closed_by_peer(TestClock::now() + 1s)) {
          closed_after[i] = TestClock::now() - t0;
          return;
        }
        (void)s.send_all("X-Slow-" + std::to_string(i) + ": 1\r\n", 1s);
      }
    });
  std::this_thread::sleep_for(500ms);
  const auto asked = TestClock::now();
  auto scrape = http_get(port, "/metrics", 3s);
  const auto took = TestClock::now() - asked;
  for (auto &t : slow) t.join();
  ASSERT_TRUE(scrape) << "no answer within 3 s while " << kSlow << " slow clients were connected";
  EXPECT_EQ(scrape->status, 200);
  EXPECT_LT(took, 2s);
  for (int i = 0; i < kSlow; ++i) {
    ASSERT_TRUE(closed_after[i].has_value())
        << "slow client " << i << " was still connected after 8 s: the request deadline is "
        << "for the whole request, not for each read";
    EXPECT_LT(*closed_after[i], 7s) << i;
  }
}

TEST(ExportPrometheusHttp, ManyIdleKeepAliveClientsDoNotHoldOffAScrape) {
  std::string text;
  auto sink = started_sink(&text);
  ASSERT_TRUE(sink);
  const int port = sink->port();
  // 100 clients each send one request, read its answer and keep the connection open.
  constexpr int kIdle = 100;
  std::vector<TestSocket> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.emplace_back(port);
    ASSERT_TRUE(idle.back().connected());
    ASSERT_TRUE(idle.back().send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  int answered = 0;
  const auto deadline = TestClock::now() + 3s;
  for (auto &s : idle) {
    std::string buffer;
    auto a = read_answer(s, buffer, false, deadline);
    answered += a && a->status == 200 && !a->closed ? 1 : 0;
  }
  EXPECT_EQ(answered, kIdle);
  const auto asked = TestClock::now();
  auto scrape = http_get(port, "/metrics", 3s);
  const auto took = TestClock::now() - asked;
  ASSERT_TRUE(scrape) << "no answer within 3 s while " << kIdle << " idle connections were open";
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->body, text);
  EXPECT_LT(took, 2s);
  // And an idle connection is still served.
  ASSERT_TRUE(idle.front().send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string buffer;
  auto again = read_answer(idle.front(), buffer, false, TestClock::now() + 3s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST(ExportPrometheusHttp, AnOversizedHeadIsRefusedAndClosedWithoutGrowth) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  std::string chunk; // 4 KiB of small header lines
  while (chunk.size() < 4096) chunk += "X-Pad-" + std::to_string(chunk.size()) + ": aaaaaaaaaa\r\n";
  const long rss_before = rss_kib();
  // 8 clients offer 4 MiB of headers each and stop when an answer comes.
  constexpr int kClients = 8;
  constexpr std::size_t kOffered = 4u << 20;
  struct Outcome {
    int status = 0;
    bool closed = false;
  };
  std::vector<Outcome> outcomes(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      TestSocket s(port);
      if (!s.connected() || !s.send_all("GET /metrics HTTP/1.1\r\n")) return;
      for (std::size_t sent = 0; sent < kOffered; sent += chunk.size()) {
        if (!s.send_all(chunk, 5s)) break;
        if (s.wait_for(POLLIN, TestClock::now())) break; // answered
      }
      std::string buffer;
      auto a = read_answer(s, buffer, false, TestClock::now() + 10s);
      outcomes[i].status = a ? a->status : 0;
      outcomes[i].closed = a && (a->closed || s.closed_by_peer(TestClock::now() + 3s));
    });
  for (auto &t : clients) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(outcomes[i].status, 431) << i;
    EXPECT_TRUE(outcomes[i].closed) << i;
  }
  const long grown = rss_kib() - rss_before;
  EXPECT_LT(grown, 16 * 1024) << "RSS grew by " << grown << " KiB for 32 MiB of headers offered";
  auto scrape = http_get(port, "/metrics", 3s);
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
}

TEST(ExportPrometheusHttp, StopReturnsPromptlyWithStalledClients) {
  auto sink = started_sink();
  ASSERT_TRUE(sink);
  const int port = sink->port();
  TestSocket stalled(port); // half a request, then nothing
  ASSERT_TRUE(stalled.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  TestSocket kept(port); // an answered request on a kept-alive connection
  ASSERT_TRUE(kept.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string buffer;
  ASSERT_TRUE(read_answer(kept, buffer, false, TestClock::now() + 3s));
  std::atomic<bool> done{false};
  std::thread trickler([&] { // a header line every 200 ms, for at most 10 s
    TestSocket s(port);
    if (!s.send_all("GET /metrics HTTP/1.1\r\n")) return;
    const auto t0 = TestClock::now();
    while (!done && TestClock::now() - t0 < 10s) {
      std::this_thread::sleep_for(200ms);
      if (!s.send_all("X-Slow: 1\r\n", 1s)) return;
    }
  });
  std::this_thread::sleep_for(500ms);
  const auto t0 = TestClock::now();
  sink->stop();
  const auto took = TestClock::now() - t0;
  done = true;
  trickler.join();
  EXPECT_LT(took, 1s) << "stop() took "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_TRUE(stalled.closed_by_peer(TestClock::now() + 1s));
  EXPECT_TRUE(kept.closed_by_peer(TestClock::now() + 1s));
  EXPECT_FALSE(TestSocket(port).connected()) << "the port is closed after stop()";
}

} // namespace
} // namespace clustertop
