#include "clustertop/sink/prometheus_sink.hpp"

#include <chrono>
#include <httplib.h>

namespace clustertop {
namespace {
constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";
}

Result<std::unique_ptr<PrometheusSink>> PrometheusSink::start(const std::string &listen,
                                                              PrometheusOptions options) {
  auto address = parse_listen_address(listen);
  if (!address) return address.error();
  auto server = std::make_unique<httplib::Server>();
  // httplib's default adds SO_REUSEPORT, which lets a second clustertop bind the same port
  // and silently take half the scrapes; SO_REUSEADDR alone still allows quick restarts.
  server->set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  int port = address->port;
  const bool bound = port == 0 ? (port = server->bind_to_any_port(address->host)) > 0
                               : server->bind_to_port(address->host, port);
  if (!bound)
    return Error{"cannot listen for Prometheus scrapes",
                 "binding " + listen + " failed (address in use, not local, or not permitted)",
                 "--listen", "pick another port or an address of this machine"};
  std::unique_ptr<PrometheusSink> sink(
      new PrometheusSink(std::move(server), address->host, port, options));
  return sink;
}

PrometheusSink::PrometheusSink(std::unique_ptr<httplib::Server> server, std::string host, int port,
                               PrometheusOptions options)
    : server_(std::move(server)), host_(std::move(host)), port_(port), options_(options) {
  server_->Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
    const auto text = current();
    if (!text) {
      res.status = 503;
      res.set_content("clustertop is starting; no data yet\n", "text/plain");
      return;
    }
    res.set_content(*text, kContentType);
  });
  server_->Get("/", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("clustertop: metrics at /metrics\n", "text/plain");
  });
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
}

PrometheusSink::~PrometheusSink() { stop(); }

void PrometheusSink::stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() is a no-op until the loop runs: wait for it (or for its early exit).
  while (!server_->is_running() && !listen_returned_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
}

void PrometheusSink::on_tick(const TickContext &ctx) {
  // Rendered here, on the main thread (the only reader of the store); the swap is O(1).
  auto text = std::make_shared<const std::string>(
      render_prometheus(ctx.store, ctx.firing, ctx.now, options_));
  const std::lock_guard lock(mutex_);
  text_ = std::move(text);
}

std::shared_ptr<const std::string> PrometheusSink::current() const {
  const std::lock_guard lock(mutex_);
  return text_;
}

} // namespace clustertop
