// A raw HTTP/1.1 client for tests: plain blocking sockets on 127.0.0.1 with deadlines, so a
// test can send exactly the bytes it means (slow, partial, oversized, pipelined) and read
// exactly what comes back.
#pragma once

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace clustertop::testing {

using TestClock = std::chrono::steady_clock;

// An owned socket connected to 127.0.0.1:port (fd -1 when the connect failed).
class TestSocket {
public:
  explicit TestSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~TestSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  TestSocket(const TestSocket &) = delete;
  TestSocket &operator=(const TestSocket &) = delete;
  TestSocket(TestSocket &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  // Sends everything, waiting at most `timeout` for room; false on error or time out.
  bool send_all(std::string_view data,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = TestClock::now() + timeout;
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      if (!wait_for(POLLOUT, deadline)) return false;
    }
    return true;
  }

  // True when the socket becomes ready for `events` before `deadline`.
  bool wait_for(short events, TestClock::time_point deadline) const {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - TestClock::now());
      pollfd p{fd_, events, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0)));
      if (n > 0) return true;
      if (n == 0 || errno != EINTR) return false;
    }
  }

  // Appends whatever arrives before `deadline` to `into`; returns false at EOF or on error
  // (the peer closed), true when the time ran out or `enough` says stop.
  template <typename Enough>
  bool read_until(std::string &into, TestClock::time_point deadline, Enough enough) {
    char buf[65536];
    while (!enough(into)) {
      if (!wait_for(POLLIN, deadline)) return true;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return false;
    }
    return true;
  }

  // True when the peer closes (EOF or reset) before `deadline`; counts the bytes before it.
  bool read_until_closed(std::size_t &received, TestClock::time_point deadline) const {
    char buf[65536];
    for (;;) {
      if (!wait_for(POLLIN, deadline)) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) received += static_cast<std::size_t>(n);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
    }
  }

  // True when the peer closes (EOF or reset) before `deadline`; data before it is dropped.
  bool closed_by_peer(TestClock::time_point deadline) const {
    char buf[65536];
    for (;;) {
      if (!wait_for(POLLIN, deadline)) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
    }
  }

private:
  int fd_ = -1;
};

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers; // names lower-cased
  std::string body;
  bool closed = false; // the server closed the connection after the answer
};

inline std::string lower_case(std::string s) {
  for (auto &c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Reads one answer (head, then Content-Length bytes unless `head_only`); nullopt when none
// came whole before the deadline. `buffer` keeps bytes past the answer for the next one.
inline std::optional<HttpAnswer> read_answer(TestSocket &s, std::string &buffer, bool head_only,
                                             TestClock::time_point deadline) {
  const bool open = s.read_until(buffer, deadline, [](const std::string &b) {
    return b.find("\r\n\r\n") != std::string::npos;
  });
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  HttpAnswer a;
  const std::string head = buffer.substr(0, end + 2);
  std::size_t pos = head.find("\r\n");
  const std::string status_line = head.substr(0, pos);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
  a.status = std::stoi(status_line.substr(9, 3));
  for (pos += 2; pos < head.size();) {
    const auto next = head.find("\r\n", pos);
    const auto line = head.substr(pos, next - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      a.headers[lower_case(line.substr(0, colon))] = value;
    }
    pos = next + 2;
  }
  buffer.erase(0, end + 4);
  bool still_open = open;
  if (!head_only && a.headers.count("content-length") == 0) { // the body ends at the close
    still_open = s.read_until(buffer, deadline, [](const std::string &) { return false; });
    if (still_open) return std::nullopt;
    a.body = std::move(buffer);
    buffer.clear();
    a.closed = true;
    return a;
  }
  std::size_t length = 0;
  if (!head_only) length = std::stoul(a.headers["content-length"]);
  if (buffer.size() < length)
    still_open = s.read_until(buffer, deadline,
                              [length](const std::string &b) { return b.size() >= length; });
  if (buffer.size() < length) return std::nullopt;
  a.body = buffer.substr(0, length);
  buffer.erase(0, length);
  a.closed = !still_open;
  return a;
}

// One request on a fresh connection; the raw request is sent as given.
inline std::optional<HttpAnswer>
http_exchange(int port, const std::string &request,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  TestSocket s(port);
  if (!s.connected()) return std::nullopt;
  const auto deadline = TestClock::now() + timeout;
  if (!s.send_all(request, timeout)) return std::nullopt;
  std::string buffer;
  auto a = read_answer(s, buffer, request.rfind("HEAD ", 0) == 0, deadline);
  if (a && !a->closed)
    a->closed = s.closed_by_peer(TestClock::now() + std::chrono::milliseconds(500));
  return a;
}

inline std::optional<HttpAnswer>
http_get(int port, const std::string &target,
         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  return http_exchange(
      port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout);
}

// Percent-encodes a query value.
inline std::string url_encode(std::string_view s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace clustertop::testing
