// HttpServer's limits with short settings, over real sockets on 127.0.0.1: the response
// deadline cuts off a client that does not read, the connection cap closes the oldest
// connection rather than refusing a scrape, and a stalled client never holds up another.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "clustertop/sink/http_server.hpp"
#include "http_client.hpp"

namespace clustertop {
namespace {

using namespace std::chrono_literals;
using testing::http_get;
using testing::read_answer;
using testing::TestClock;
using testing::TestSocket;

std::unique_ptr<HttpServer> start_server(std::shared_ptr<const std::string> body,
                                         HttpLimits limits) {
  HttpServer::Routes routes;
  routes["/metrics"] = [body] { return HttpReply{200, "text/plain", body}; };
  auto server = HttpServer::start(ListenAddress{"127.0.0.1", 0}, std::move(routes), limits);
  EXPECT_TRUE(server.ok()) << server.error().message();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(ExportPrometheusHttpLimits, AClientThatDoesNotReadIsCutOffAtTheResponseDeadline) {
  const auto body = std::make_shared<const std::string>(16u << 20, 'x');
  HttpLimits limits;
  limits.response_timeout = 1000ms;
  auto server = start_server(body, limits);
  ASSERT_TRUE(server);
  // Pipelined requests, never read: only the first answer is in flight at a time.
  TestSocket stuck(server->port());
  std::string requests;
  for (int i = 0; i < 50; ++i) requests += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(stuck.send_all(requests));
  std::this_thread::sleep_for(200ms);
  // Meanwhile another client is answered at once (the thread does not wait on the first).
  const auto asked = TestClock::now();
  auto scrape = http_get(server->port(), "/metrics", 5s);
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->body.size(), body->size());
  EXPECT_LT(TestClock::now() - asked, 3s);
  std::this_thread::sleep_for(1500ms); // past the first connection's response deadline
  std::size_t received = 0;
  EXPECT_TRUE(stuck.read_until_closed(received, TestClock::now() + 5s))
      << "still open after its response deadline";
  EXPECT_LT(received, body->size()) << "the connection was closed mid-answer";
}

TEST(ExportPrometheusHttpLimits, PastTheConnectionCapTheOldestIsClosedAndScrapesGoOn) {
  HttpLimits limits;
  limits.max_connections = 8;
  auto server = start_server(std::make_shared<const std::string>("m 1\n"), limits);
  ASSERT_TRUE(server);
  std::vector<TestSocket> held;
  for (int i = 0; i < 20; ++i) {
    held.emplace_back(server->port());
    ASSERT_TRUE(held.back().send_all("GET /metrics HTTP/1.1\r\n")); // never finished
    std::this_thread::sleep_for(20ms);                              // an order of age
  }
  auto scrape = http_get(server->port(), "/metrics", 3s);
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->body, "m 1\n");
  int closed = 0;
  for (std::size_t i = 0; i < held.size(); ++i)
    closed += held[i].closed_by_peer(TestClock::now() + 100ms) ? 1 : 0;
  EXPECT_GE(closed, 12);
  EXPECT_TRUE(held.front().closed_by_peer(TestClock::now() + 100ms)) << "the oldest went first";
}

TEST(ExportPrometheusHttpLimits, AnIdleKeepAliveConnectionIsClosedAfterTheRequestTimeout) {
  HttpLimits limits;
  limits.request_timeout = 500ms;
  auto server = start_server(std::make_shared<const std::string>("m 1\n"), limits);
  ASSERT_TRUE(server);
  TestSocket s(server->port());
  ASSERT_TRUE(s.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string buffer;
  auto a = read_answer(s, buffer, false, TestClock::now() + 3s);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->closed);
  const auto t0 = TestClock::now();
  EXPECT_TRUE(s.closed_by_peer(TestClock::now() + 5s));
  EXPECT_GE(TestClock::now() - t0, 300ms);
}

TEST(ExportPrometheusHttpLimits, BindErrorsCarryTheSystemsReason) {
  auto first = start_server(nullptr, {});
  ASSERT_TRUE(first);
  auto second = HttpServer::start(ListenAddress{"127.0.0.1", first->port()}, {}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("Address already in use"), std::string::npos)
      << second.error().message();
  auto elsewhere = HttpServer::start(ListenAddress{"192.0.2.1", 0}, {}, {});
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().message().find("Cannot assign requested address"), std::string::npos)
      << elsewhere.error().message();
}

} // namespace
} // namespace clustertop
