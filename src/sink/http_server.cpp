#include "clustertop/sink/http_server.hpp"

#include "clustertop/core/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

using Clock = std::chrono::steady_clock;

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= '0' && u <= '9') return true;
  if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Spaces and tabs only (not core trim's '\r': a stray CR in a header value is not OWS).
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char *reason_phrase(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 431: return "Request Header Fields Too Large";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  default: return "Error";
  }
}

// Where the head ends (just past its blank line), or 0 while it is incomplete. A bare LF
// ends a line too. `from` is where the previous search stopped.
std::size_t head_end(const std::string &in, std::size_t &from) {
  for (std::size_t i = in.find('\n', from); i != std::string::npos; i = in.find('\n', i + 1)) {
    if (i + 1 >= in.size()) {
      from = i;
      return 0;
    }
    if (in[i + 1] == '\n') return i + 2;
    if (in[i + 1] == '\r') {
      if (i + 2 >= in.size()) {
        from = i;
        return 0;
      }
      if (in[i + 2] == '\n') return i + 3;
    }
  }
  from = in.empty() ? 0 : in.size() - 1;
  return 0;
}

struct Conn {
  enum class State { reading, writing, lingering };
  UniqueFd fd;
  State state = State::reading;
  std::string in;          // unanswered request bytes: at most max_head + 1
  std::size_t scanned = 0; // where the search for the head's end resumes
  std::string out_head;    // status line and headers of the response being written
  std::shared_ptr<const std::string> out_body; // shared with whoever made it
  std::size_t sent = 0;                        // bytes of out_head + out_body written
  bool close_after = false;
  int served = 0;
  Clock::time_point since;    // when the current state began (eviction order)
  Clock::time_point deadline; // when the current state's time runs out

  [[nodiscard]] std::size_t out_size() const {
    return out_head.size() + (out_body ? out_body->size() : 0);
  }
};

std::string http_date() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf.data(), n);
}

class Loop {
public:
  Loop(int listen_fd, int wake_fd, const HttpServer::Routes &routes, const HttpLimits &limits)
      : listen_fd_(listen_fd), wake_fd_(wake_fd), routes_(routes), limits_(limits),
        cap_(std::max<std::size_t>(limits.max_connections, 1)) {}

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      const auto now = Clock::now();
      expire(now);
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      const bool listening = now >= accept_paused_until_;
      fds.push_back({listening ? listen_fd_ : -1, POLLIN, 0});
      for (const auto &c : conns_)
        fds.push_back({c.fd.get(),
                       static_cast<short>(c.state == Conn::State::writing ? POLLOUT : POLLIN), 0});
      auto wait = std::chrono::milliseconds(1000);
      if (!listening)
        wait = std::min(wait,
                        std::chrono::ceil<std::chrono::milliseconds>(accept_paused_until_ - now));
      for (const auto &c : conns_)
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(c.deadline - now));
      const int n =
          ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(wait.count(), 0)));
      if (n < 0 && errno != EINTR) return;
      if (n <= 0) continue;
      if (fds[0].revents != 0) return; // stop()
      // Connections first (their indexes match fds[2..]); closed ones are erased after.
      for (std::size_t i = 0; i < conns_.size(); ++i)
        if (fds[i + 2].revents != 0) service(conns_[i], fds[i + 2].revents);
      std::erase_if(conns_, [](const Conn &c) { return !c.fd.valid(); });
      if (fds[1].revents != 0) accept_new();
    }
  }

private:
  static void close_conn(Conn &c) { c.fd.reset(); }

  void expire(Clock::time_point now) {
    for (auto &c : conns_)
      if (now >= c.deadline) close_conn(c);
    std::erase_if(conns_, [](const Conn &c) { return !c.fd.valid(); });
  }

  // The connection to give up for a new one: one already answered, else the oldest reader,
  // else the oldest writer.
  void evict_one() {
    if (conns_.empty()) return;
    const auto rank = [](const Conn &c) {
      return c.state == Conn::State::lingering ? 0 : c.state == Conn::State::reading ? 1 : 2;
    };
    auto victim = std::min_element(conns_.begin(), conns_.end(), [&](const Conn &a, const Conn &b) {
      return rank(a) != rank(b) ? rank(a) < rank(b) : a.since < b.since;
    });
    conns_.erase(victim);
  }

  void accept_new() {
    for (int i = 0; i < 64; ++i) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors all the same: the rest of the program uses more than the
          // share left to it. Give one of ours back, keep to the fewer connections from now
          // on, and take no new one for a while (the freed descriptor is not ours to retake
          // at once, and a full table must not spin this thread).
          evict_one();
          cap_ = std::max<std::size_t>(conns_.size(), 1);
          accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
        }
        return; // EAGAIN, or a connection that died in the queue
      }
      if (conns_.size() >= cap_) evict_one();
      Conn c;
      c.fd.reset(fd);
      start_reading(c, Clock::now());
      conns_.push_back(std::move(c));
    }
  }

  void start_reading(Conn &c, Clock::time_point now) {
    c.state = Conn::State::reading;
    c.since = now;
    c.deadline = now + limits_.request_timeout;
    c.out_head.clear();
    c.out_body.reset();
    c.sent = 0;
  }

  void service(Conn &c, short revents) {
    switch (c.state) {
    case Conn::State::reading:
      if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_request(c);
      break;
    case Conn::State::writing:
      if ((revents & (POLLERR | POLLHUP)) != 0 && (revents & POLLOUT) == 0)
        close_conn(c);
      else
        write_response(c);
      break;
    case Conn::State::lingering: drain(c); break;
    }
  }

  void read_request(Conn &c) {
    const std::size_t cap = limits_.max_head + 1;
    std::array<char, 4096> buf{};
    bool ended = false;
    while (c.in.size() < cap) {
      const auto want = std::min(buf.size(), cap - c.in.size());
      const ssize_t n = ::recv(c.fd.get(), buf.data(), want, 0);
      if (n > 0) {
        c.in.append(buf.data(), static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      if (n < 0) {
        close_conn(c); // reset: nobody is left to answer
        return;
      }
      ended = true; // EOF: a client that half-closed after its request still gets the answer
      break;
    }
    handle_input(c);
    if (ended && c.fd.valid() && c.state == Conn::State::reading) close_conn(c);
  }

  // Answers the request in c.in if its head is complete (or can never be).
  void handle_input(Conn &c) {
    const auto frame = frame_request(c.in, c.scanned, limits_.max_head);
    if (frame.error != 0) {
      respond_error(c, frame.error);
      return;
    }
    if (frame.end == 0) return; // wait for more
    const std::size_t end = frame.end;
    const auto head = parse_request_head(std::string_view(c.in).substr(0, end));
    c.in.erase(0, end);
    c.scanned = 0;
    if (head.error != 0) {
      respond_error(c, head.error);
      return;
    }
    HttpReply reply;
    std::string allow;
    const auto route = routes_.find(head.path);
    const bool get_or_head = head.method == "GET" || head.method == "HEAD";
    if (route == routes_.end()) {
      reply = {404, "text/plain; charset=utf-8", nullptr};
    } else if (!get_or_head) {
      reply = {405, "text/plain; charset=utf-8", nullptr};
      allow = "GET, HEAD";
    } else if (head.has_body) {
      reply = {413, "text/plain; charset=utf-8", nullptr};
    } else {
      reply = route->second();
    }
    const bool close =
        !head.keep_alive || head.has_body || c.served + 1 >= limits_.max_requests_per_connection;
    respond(c, reply, head.method == "HEAD", close, allow);
  }

  void respond_error(Conn &c, int status) {
    c.in.clear();
    c.scanned = 0;
    respond(c, HttpReply{status, "text/plain; charset=utf-8", nullptr}, false, true, {});
  }

  void respond(Conn &c, const HttpReply &reply, bool head_only, bool close,
               const std::string &allow) {
    std::shared_ptr<const std::string> body = reply.body;
    if (!body && reply.status != 200)
      body = std::make_shared<const std::string>(std::to_string(reply.status) + " " +
                                                 reason_phrase(reply.status) + "\n");
    const std::size_t length = body ? body->size() : 0;
    std::string h;
    h.reserve(256);
    h += "HTTP/1.1 " + std::to_string(reply.status) + " " + reason_phrase(reply.status) + "\r\n";
    h += "Date: " + http_date() + "\r\n";
    h += "Content-Type: " + reply.content_type + "\r\n";
    h += "Content-Length: " + std::to_string(length) + "\r\n";
    if (!allow.empty()) h += "Allow: " + allow + "\r\n";
    h += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    h += "\r\n";
    const auto now = Clock::now();
    c.state = Conn::State::writing;
    c.since = now;
    c.deadline = now + limits_.response_timeout;
    c.out_head = std::move(h);
    c.out_body = head_only ? nullptr : std::move(body);
    c.sent = 0;
    c.close_after = close;
    ++c.served;
    write_response(c);
  }

  void write_response(Conn &c) {
    while (c.sent < c.out_size()) {
      std::array<iovec, 2> iov{};
      int count = 0;
      if (c.sent < c.out_head.size())
        iov[count++] = {c.out_head.data() + c.sent, c.out_head.size() - c.sent};
      if (c.out_body) {
        const std::size_t body_sent = c.sent > c.out_head.size() ? c.sent - c.out_head.size() : 0;
        if (body_sent < c.out_body->size())
          iov[count++] = {const_cast<char *>(c.out_body->data()) + body_sent,
                          c.out_body->size() - body_sent};
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = static_cast<std::size_t>(count);
      const ssize_t n = ::sendmsg(c.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      close_conn(c);
      return;
    }
    const auto now = Clock::now();
    if (c.close_after) {
      // Half-close, then read what the client still sends (briefly) so that closing with
      // unread bytes does not reset the connection before the client reads the answer.
      ::shutdown(c.fd.get(), SHUT_WR);
      c.out_head.clear();
      c.out_body.reset();
      c.in.clear();
      c.state = Conn::State::lingering;
      c.since = now;
      c.deadline = now + limits_.linger;
      drain(c);
      return;
    }
    start_reading(c, now);
    if (!c.in.empty()) handle_input(c); // a pipelined request
  }

  static void drain(Conn &c) {
    std::array<char, 4096> buf{};
    for (int i = 0; i < 16; ++i) { // at most 64 KiB a wake-up; the deadline ends it anyway
      const ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      break;
    }
    close_conn(c);
  }

  int listen_fd_;
  int wake_fd_;
  const HttpServer::Routes &routes_;
  const HttpLimits &limits_;
  std::vector<Conn> conns_;
  std::size_t cap_; // connections kept at most: the limit, lowered when descriptors ran out
  Clock::time_point accept_paused_until_{};
};

// Descriptors open in this process now (its own directory stream not counted); 0 when the
// system does not list them.
std::size_t open_descriptors() {
#ifdef __linux__
  const char *dir = "/proc/self/fd";
#else
  const char *dir = "/dev/fd";
#endif
  DIR *d = ::opendir(dir);
  if (d == nullptr) return 0;
  std::size_t n = 0;
  while (const dirent *e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n > 0 ? n - 1 : 0;
}

std::string describe(const ListenAddress &a) {
  return a.host.find(':') != std::string::npos ? "[" + a.host + "]:" + std::to_string(a.port)
                                               : a.host + ":" + std::to_string(a.port);
}

} // namespace

std::size_t http_connection_cap(std::uint64_t soft_limit, std::size_t in_use, std::size_t most) {
  const std::uint64_t free = soft_limit > in_use ? soft_limit - in_use : 0;
  return static_cast<std::size_t>(
      std::clamp<std::uint64_t>(free / 2, 1, std::max<std::uint64_t>(most, 1)));
}

HttpFrame frame_request(std::string &in, std::size_t &scanned, std::size_t max_head) {
  // Empty lines before a request line are ignored (RFC 9112 2.2).
  std::size_t skip = 0;
  while (skip < in.size() && (in[skip] == '\r' || in[skip] == '\n')) ++skip;
  if (skip > 0) {
    in.erase(0, skip);
    scanned = 0;
  }
  const std::size_t end = head_end(in, scanned);
  if (end != 0 && end <= max_head) return {end, 0};
  if (in.size() < max_head) return {}; // wait for more
  // The head does not fit: a request line that fills it is a long URI, else too many
  // headers. Only its first max_head bytes are looked at: whether more arrived with them
  // depends on how the connection cut the stream.
  const std::string_view fits = std::string_view(in).substr(0, max_head);
  if (fits.find('\n') != std::string_view::npos) return {0, 431};
  const auto sp = fits.find(' ');
  return {0, sp != std::string_view::npos && is_token(fits.substr(0, sp)) ? 414 : 400};
}

HttpRequestHead parse_request_head(std::string_view head) {
  HttpRequestHead r;
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const auto nl = head.find('\n');
    auto line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break; // the blank line
    lines.push_back(line);
  }
  const auto bad = [&r](int status) {
    r.error = status;
    return r;
  };
  if (lines.empty()) return bad(400);
  // METHOD SP TARGET SP HTTP/1.x
  const auto request_line = lines.front();
  const auto sp1 = request_line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return bad(400);
  const auto method = request_line.substr(0, sp1);
  auto target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto version = request_line.substr(sp2 + 1);
  for (const char ch : target)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) return bad(400);
  // RFC 9112 3.2.2: a server must accept the absolute-form (`GET http://host:9464/metrics`,
  // as a proxy sends it); its path is what follows the authority ("/" where none does). Only
  // an `http` URI with a host (RFC 9110 4.2.1 has an empty host rejected): this endpoint
  // speaks no TLS, so an `https://` target is not for it.
  if (const auto colon = target.find("://");
      colon != std::string_view::npos && colon > 0 && is_token(target.substr(0, colon))) {
    if (!iequals_ascii(target.substr(0, colon), "http")) return bad(400);
    const auto after = target.substr(colon + 3);
    const auto path = after.find('/');
    const auto query = after.find('?');
    if (std::min(path, query) == 0 || after.empty()) return bad(400); // no host
    target =
        path == std::string_view::npos || query < path ? std::string_view("/") : after.substr(path);
  }
  if (!is_token(method) || target.empty() || target.front() != '/') return bad(400);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return bad(400);
  if (version[5] != '1') return bad(505);
  r.method = std::string(method);
  r.path = std::string(target.substr(0, target.find('?')));
  r.minor_version = version[7] - '0';
  r.keep_alive = r.minor_version >= 1;
  bool close = false, keep_alive = false;
  int hosts = 0;
  std::optional<std::string_view> content_length;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto line = lines[i];
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return bad(400); // includes obsolete line folding and a space before the colon
    const auto name = line.substr(0, colon);
    const auto value = trim_ows(line.substr(colon + 1));
    for (const char ch : value)
      if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f) return bad(400);
    if (iequals_ascii(name, "Content-Length")) {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos ||
          (content_length && *content_length != value))
        return bad(400);
      content_length = value;
      if (value.find_first_not_of('0') != std::string_view::npos) r.has_body = true;
    } else if (iequals_ascii(name, "Transfer-Encoding")) {
      r.has_body = true;
    } else if (iequals_ascii(name, "Host")) {
      ++hosts;
    } else if (iequals_ascii(name, "Connection")) {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto token = trim_ows(rest.substr(0, comma));
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        if (iequals_ascii(token, "close")) close = true;
        if (iequals_ascii(token, "keep-alive")) keep_alive = true;
      }
    }
  }
  // RFC 9112 3.2: an HTTP/1.1 request without Host, or any with two, is answered 400.
  if (hosts > 1 || (hosts == 0 && r.minor_version >= 1)) return bad(400);
  if (close)
    r.keep_alive = false;
  else if (keep_alive)
    r.keep_alive = true;
  return r;
}

namespace {

using AddrList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

Error listen_error(const ListenAddress &address, const std::string &reason,
                   const std::string &help) {
  return Error{"cannot listen for Prometheus scrapes",
               "binding " + describe(address) + " failed: " + reason, "--listen", help};
}

// The addresses a listener binds: an Error when the host cannot be looked up.
Result<AddrList> look_up(const ListenAddress &address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  const auto port_text = std::to_string(address.port);
  if (const int rc = ::getaddrinfo(address.host.c_str(), port_text.c_str(), &hints, &found);
      rc != 0)
    return listen_error(address, ::gai_strerror(rc),
                        "name an address of this machine, e.g. 127.0.0.1:9464");
  return AddrList(found, &::freeaddrinfo);
}

// A socket bound to the address and listening: what a run's /metrics serves from, and what
// check-config binds and releases.
Result<UniqueFd> bind_listener(const ListenAddress &address) {
  auto list = look_up(address);
  if (!list) return list.error();
  UniqueFd fd;
  int err = 0;
  for (const addrinfo *ai = list->get(); ai != nullptr && !fd.valid(); ai = ai->ai_next) {
    fd.reset(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      err = errno;
      continue;
    }
    // SO_REUSEADDR allows a quick restart; SO_REUSEPORT is deliberately not set, so a second
    // clustertop cannot bind the same port and silently take half the scrapes.
    const int yes = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
      err = errno;
      fd.reset();
    }
  }
  if (fd.valid()) return fd;
  const std::string help = err == EADDRINUSE ? "another program holds the port: pick another"
                           : err == EADDRNOTAVAIL
                               ? "the address is not one of this machine's: name one that is"
                           : err == EACCES ? "ports below 1024 need privileges: pick a higher port"
                                           : "pick another port or an address of this machine";
  return listen_error(address, std::strerror(err), help);
}

} // namespace

Status HttpServer::check_address(const ListenAddress &address) {
  auto fd = bind_listener(address); // released at once
  if (!fd) return fd.error();
  return ok_status();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddress &address, Routes routes,
                                                      HttpLimits limits) {
  const auto fail = [&](const std::string &reason, const std::string &help) {
    return listen_error(address, reason, help);
  };
  auto bound_fd = bind_listener(address);
  if (!bound_fd) return bound_fd.error();
  UniqueFd fd = std::move(*bound_fd);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> serv{};
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&bound), &len) != 0)
    return fail(std::strerror(errno), "");
  // getnameinfo reports through its return value, not errno.
  if (const int rc =
          ::getnameinfo(reinterpret_cast<sockaddr *>(&bound), len, host.data(), host.size(),
                        serv.data(), serv.size(), NI_NUMERICHOST | NI_NUMERICSERV);
      rc != 0)
    return fail(::gai_strerror(rc), "");
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return fail(std::string("eventfd: ") + std::strerror(errno), "");
  // The connections' share of the descriptors, from what is free now (see
  // http_connection_cap).
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0)
    limits.max_connections =
        http_connection_cap(nofile.rlim_cur, open_descriptors(), limits.max_connections);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(fd), std::move(wake), host.data(),
                                                    std::atoi(serv.data()), std::move(routes),
                                                    limits));
}

HttpServer::HttpServer(UniqueFd listen_fd, UniqueFd wake_fd, std::string host, int port,
                       Routes routes, HttpLimits limits)
    : listen_fd_(std::move(listen_fd)), wake_fd_(std::move(wake_fd)), host_(std::move(host)),
      port_(port), routes_(std::move(routes)), limits_(limits) {
  thread_ = std::thread([this] { run(); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::run() { Loop(listen_fd_.get(), wake_fd_.get(), routes_, limits_).run(); }

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
  listen_fd_.reset();
}

} // namespace clustertop
