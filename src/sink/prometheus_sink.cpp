#include "clustertop/sink/prometheus_sink.hpp"

namespace clustertop {
namespace {
constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";
}

Result<std::unique_ptr<PrometheusSink>> PrometheusSink::start(const std::string &listen,
                                                              PrometheusOptions options) {
  auto address = parse_listen_address(listen);
  if (!address) return address.error();
  std::unique_ptr<PrometheusSink> sink(new PrometheusSink(options));
  PrometheusSink *self = sink.get();
  HttpServer::Routes routes;
  routes["/metrics"] = [self] {
    auto text = self->current();
    static const auto starting =
        std::make_shared<const std::string>("clustertop is starting; no data yet\n");
    if (!text) return HttpReply{503, "text/plain; charset=utf-8", starting};
    return HttpReply{200, kContentType, std::move(text)};
  };
  static const auto index =
      std::make_shared<const std::string>("clustertop: metrics at /metrics\n");
  routes["/"] = [] { return HttpReply{200, "text/plain; charset=utf-8", index}; };
  auto server = HttpServer::start(*address, std::move(routes), HttpLimits{});
  if (!server) return server.error();
  sink->server_ = std::move(*server);
  return sink;
}

PrometheusSink::PrometheusSink(PrometheusOptions options) : options_(options) {}

PrometheusSink::~PrometheusSink() { stop(); }

void PrometheusSink::stop() {
  if (server_) server_->stop();
}

void PrometheusSink::on_tick(const TickContext &ctx) {
  // Rendered here, on the main thread (the only reader of the store); the swap is O(1), and
  // a scrape shares the text instead of copying it.
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
