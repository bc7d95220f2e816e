// HttpServer: a small HTTP/1.x server for a few read-only GET endpoints (Prometheus
// `/metrics`). One thread, poll() over non-blocking sockets, an eventfd to stop it. Every
// connection costs a bounded amount: its request head is read into at most
// `HttpLimits::max_head` bytes, request bodies are refused, the whole request must arrive
// within `request_timeout` and the whole response must leave within `response_timeout`,
// and response bodies are shared (never copied per connection). An idle keep-alive
// connection is only an entry in the poll set, so slow or hostile clients cannot hold the
// thread, and stop() returns as soon as the thread sees the eventfd.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "clustertop/core/result.hpp"
#include "clustertop/core/unique_fd.hpp"
#include "clustertop/sink/prometheus.hpp"

namespace clustertop {

struct HttpLimits {
  std::size_t max_head = 8192; // request line and headers, blank line included
  // From the connection's accept (or the end of the previous response on a kept-alive
  // connection) to the request's blank line: a whole-request deadline, not a per-read one.
  std::chrono::milliseconds request_timeout{5000};
  // From the first byte of a response to its last.
  std::chrono::milliseconds response_timeout{10000};
  // After an answer that closes the connection: how long unread request bytes are drained
  // so the client sees the answer instead of a reset.
  std::chrono::milliseconds linger{1000};
  // Past it, the oldest connection is closed. start() lowers it to http_connection_cap().
  std::size_t max_connections = 256;
  int max_requests_per_connection = 100;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::shared_ptr<const std::string> body; // null: empty
};

// A request head as the server reads it (pure, for tests).
struct HttpRequestHead {
  int error = 0; // 0: well formed; else the status to answer (400, 505) before closing
  std::string method;
  std::string path; // the target up to `?`
  int minor_version = 1;
  bool keep_alive = true;
  bool has_body = false; // a non-zero Content-Length or any Transfer-Encoding
};

// `head` is the request line and headers up to and including the blank line.
HttpRequestHead parse_request_head(std::string_view head);

// The next request in `in`, a connection's unanswered bytes, as the server frames it (pure,
// for tests): empty lines before its request line are dropped from `in`; `end` is then the
// length of its head (blank line included), or `error` the status to answer (414, 431, 400)
// for a head that cannot fit in `max_head` bytes; both are 0 while the head is incomplete.
// `scanned` is where the search for the head's end resumes: 0 for new input, kept between
// calls while bytes are appended, 0 again once a head is taken off.
struct HttpFrame {
  std::size_t end = 0;
  int error = 0;
};
HttpFrame frame_request(std::string &in, std::size_t &scanned, std::size_t max_head);

// How many connections the server keeps at most, given the process's soft RLIMIT_NOFILE
// and the descriptors open when it starts: half of those still free, at most `most`, at
// least one. The other half is left to the rest of the program (followed logs' and
// samplers' pipes, ssh sockets, hooks, CSV files, the recording), so idle clients cannot
// take the descriptors an alert needs (with macOS's default of 256 they took them all).
std::size_t http_connection_cap(std::uint64_t soft_limit, std::size_t in_use, std::size_t most);

class HttpServer {
public:
  // Called on the server thread for GET and HEAD of its path; must not block.
  using Handler = std::function<HttpReply()>;
  using Routes = std::map<std::string, Handler, std::less<>>;

  // Binds and listens (errors, with the system's reason, are returned here) and starts the
  // thread. Other paths answer 404, other methods on a route 405.
  // What start() checks before it serves (check-config): the host looked up, and the address
  // bound and released (in use, or not an address of this machine, fails here too).
  static Status check_address(const ListenAddress &address);
  static Result<std::unique_ptr<HttpServer>> start(const ListenAddress &address, Routes routes,
                                                   HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  // Wakes the thread, closes every connection and the listening socket, joins; idempotent.
  void stop();

  [[nodiscard]] const std::string &host() const { return host_; } // numeric, as bound
  [[nodiscard]] int port() const { return port_; }                // the bound port

private:
  HttpServer(UniqueFd listen_fd, UniqueFd wake_fd, std::string host, int port, Routes routes,
             HttpLimits limits);
  void run();

  UniqueFd listen_fd_;
  UniqueFd wake_fd_; // eventfd: wakes the thread to stop
  std::string host_;
  int port_;
  Routes routes_;
  HttpLimits limits_;
  std::thread thread_;
};

} // namespace clustertop
