// PrometheusSink: serves /metrics over HTTP (HttpServer: one poll() thread, bounded per
// connection). The main thread renders the text each tick and hands it over under a mutex;
// the server thread only shares that text out. It never touches the store. Binds loopback
// unless the operator names another address.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "clustertop/core/result.hpp"
#include "clustertop/sink/http_server.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

class PrometheusSink : public Sink {
public:
  // Parses ADDR:PORT, binds (errors such as "address in use" are returned here, before the
  // dashboard starts) and starts the server thread.
  static Result<std::unique_ptr<PrometheusSink>> start(const std::string &listen,
                                                       PrometheusOptions options = {});
  ~PrometheusSink() override;
  PrometheusSink(const PrometheusSink &) = delete;
  PrometheusSink &operator=(const PrometheusSink &) = delete;

  void on_tick(const TickContext &ctx) override;
  // Stops the server and joins its thread, whatever clients are doing; idempotent (the
  // destructor calls it).
  void stop();

  [[nodiscard]] const std::string &host() const { return server_->host(); } // numeric
  [[nodiscard]] int port() const { return server_->port(); } // the bound port (with port 0)

private:
  explicit PrometheusSink(PrometheusOptions options);
  [[nodiscard]] std::shared_ptr<const std::string> current() const;

  PrometheusOptions options_;
  mutable std::mutex mutex_;                // guards text_ only
  std::shared_ptr<const std::string> text_; // null until the first tick
  std::unique_ptr<HttpServer> server_;      // last: stopped before the text goes
};

} // namespace clustertop
