// PrometheusSink: serves /metrics over HTTP (cpp-httplib). The main thread renders the text
// each tick and hands it over under a mutex; the server thread only copies that text out.
// It never touches the store. Binds loopback unless the operator names another address.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "clustertop/core/result.hpp"
#include "clustertop/sink/prometheus.hpp"
#include "clustertop/sink/sink.hpp"

namespace httplib {
class Server;
}

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
  // Stops the server and joins its thread; idempotent (the destructor calls it).
  void stop();

  [[nodiscard]] const std::string &host() const { return host_; }
  [[nodiscard]] int port() const { return port_; } // the bound port (useful with port 0)

private:
  PrometheusSink(std::unique_ptr<httplib::Server> server, std::string host, int port,
                 PrometheusOptions options);
  [[nodiscard]] std::shared_ptr<const std::string> current() const;

  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_;
  PrometheusOptions options_;
  mutable std::mutex mutex_;                // guards text_ only
  std::shared_ptr<const std::string> text_; // null until the first tick
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

} // namespace clustertop
