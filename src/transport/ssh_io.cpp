// The I/O thread's loop and node lifecycle: take handed-over sessions, poll them all through
// one ssh_event (libssh reads only the sockets that are ready and calls the channel
// callbacks), push lines, and tear a node down and ask for a reconnect when its link dies.
#include "clustertop/transport/ssh_io.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace clustertop::ssh {
namespace {
constexpr auto kHousekeeping = std::chrono::milliseconds(250);
constexpr auto kResetAfter = std::chrono::seconds(30); // up this long: backoff starts over
// After a wakeup, let other sessions' data gather for this long before the next poll: at
// hundreds of nodes one pass then drains many sessions instead of one wakeup per line.
// Skipped while data is flowing fast, so a backfill is not throttled.
constexpr auto kCoalesce = std::chrono::milliseconds(25);
constexpr std::size_t kBusyBytes = 2048;
} // namespace

Duration backoff_delay(int attempt, Duration min, Duration max, double u) {
  const double base = to_seconds(min) * std::pow(2.0, std::clamp(attempt, 0, 20));
  const double capped = std::min(base, to_seconds(max));
  return from_seconds(std::min(capped * (0.75 + 0.5 * u), to_seconds(max)));
}

IoThread::IoThread(EventQueue &queue, const SshOptions &options, std::vector<std::string> names,
                   std::function<void(std::size_t, int)> on_down)
    : queue_(queue), options_(options), on_down_(std::move(on_down)) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto node = std::make_unique<Node>();
    node->index = i;
    node->name = std::move(names[i]);
    nodes_.push_back(std::move(node));
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  event_ = ssh_event_new();
  if (wake_fd_ < 0 || event_ == nullptr) throw std::runtime_error("ssh I/O thread: no eventfd");
  ssh_event_add_fd(event_, wake_fd_, POLLIN, &IoThread::on_wake, this);
}

IoThread::~IoThread() {
  stop();
  ssh_event_remove_fd(event_, wake_fd_);
  ssh_event_free(event_);
  ::close(wake_fd_);
}

void IoThread::start() {
  thread_ = std::thread([this] { run(); });
}

void IoThread::stop() {
  stop_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void IoThread::hand_over(Handoff handoff) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(handoff));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

int IoThread::on_wake(socket_t fd, int, void *) {
  std::uint64_t v = 0;
  [[maybe_unused]] auto n = ::read(fd, &v, sizeof v);
  return 0;
}

void IoThread::report(const Node &node, const std::string &stream, NodeState state,
                      std::string detail, std::optional<std::chrono::minutes> utc_offset) {
  queue_.push(NodeStatus{node.name, stream, state, std::move(detail), wall_now(), utc_offset});
}

void IoThread::run() {
  auto next_housekeeping = std::chrono::steady_clock::now();
  auto last_pass = next_housekeeping;
  while (!stop_) {
    if (bytes_this_pass_ < kBusyBytes && !sockets_readable())
      std::this_thread::sleep_until(last_pass + kCoalesce);
    bytes_this_pass_ = 0;
    const auto now = std::chrono::steady_clock::now();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(next_housekeeping - now, SteadyTime::duration::zero()));
    const int rc = ssh_event_dopoll(event_, static_cast<int>(wait.count()) + 1);
    take_inbox();
    const auto after = std::chrono::steady_clock::now();
    last_pass = after;
    // Channel steps first: an exec reply, the output and the close can arrive in one poll,
    // and the close is only acted on once the stream counts as running.
    step_busy(after);
    flush_dirty();
    // A dead socket fires no channel callback: look at every session on a timer, and at
    // once when the poll itself reported an error.
    if (after >= next_housekeeping || rc == SSH_ERROR) {
      housekeeping(after);
      next_housekeeping = after + kHousekeeping;
    }
  }
  for (auto &node : nodes_) close_node(*node);
}

// Whether a session's socket has bytes waiting already. A pass reads at most 4 KiB of a
// socket (libssh) and a channel sees data only once a whole SSH packet (up to 32 KiB) is in,
// so during a burst most passes hand the callbacks nothing: judged by their bytes alone, the
// coalescing sleep ran between them and capped a connection near 200 KB/s, a burst of log
// lines delaying its crash alert by a minute.
// One poll of every socket (no wait) finds the readable ones; bytes waiting, not
// readability, decide, since a socket at its end is readable for ever and would keep the
// loop from sleeping until housekeeping closed it.
bool IoThread::sockets_readable() {
  poll_fds_.clear();
  for (const auto &node : nodes_)
    for (const auto &conn : node->conns)
      if (const socket_t fd = ssh_get_fd(conn->session.get()); fd != SSH_INVALID_SOCKET)
        poll_fds_.push_back(pollfd{fd, POLLIN, 0});
  if (poll_fds_.empty() || ::poll(poll_fds_.data(), poll_fds_.size(), 0) <= 0) return false;
  for (const auto &p : poll_fds_) {
    int waiting = 0;
    if ((p.revents & POLLIN) != 0 && ::ioctl(p.fd, FIONREAD, &waiting) == 0 && waiting > 0)
      return true;
  }
  return false;
}

void IoThread::take_inbox() {
  std::vector<Handoff> inbox;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox.swap(inbox_);
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto &h : inbox) {
    Node &node = *nodes_.at(h.node);
    close_node(node); // never two generations of one node
    node.attempt = h.attempt;
    node.up_since = now;
    node.stale = false;
    for (std::size_t i = 0; i < h.sessions.size(); ++i) {
      auto conn = std::make_unique<Conn>();
      conn->session = std::move(h.sessions[i]);
      conn->last_keepalive = now;
      ssh_set_blocking(conn->session.get(), 0);
      ssh_event_add_session(event_, conn->session.get());
      for (auto &spec : h.streams.at(i)) {
        auto st = std::make_unique<Stream>();
        st->spec = std::move(spec);
        if (!st->spec.resume_path.empty())
          st->follow.attach(
              &node.positions.try_emplace(st->spec.name, st->spec.resume_path).first->second);
        st->io = this;
        st->node = &node;
        st->conn = conn.get();
        st->due = now;
        conn->streams.push_back(std::move(st));
      }
      node.conns.push_back(std::move(conn));
    }
    report(node, "", NodeState::up, "connected: " + h.summary, h.utc_offset);
    for (auto &conn : node.conns)
      for (auto &st : conn->streams) start_stream(*st, now);
  }
}

void IoThread::housekeeping(SteadyTime now) {
  for (auto &node : nodes_)
    if (!node->conns.empty()) check_node(*node, now);
}

void IoThread::check_node(Node &node, SteadyTime now) {
  for (auto &conn : node.conns) {
    ssh_session s = conn->session.get();
    if (session_closed(s)) {
      node_down(node, "connection lost: " + last_error(s), now);
      return;
    }
    if (now - conn->last_keepalive >= options_.keepalive_interval) {
      // Keeps unacknowledged data on the wire so TCP_USER_TIMEOUT can fire on a partition.
      if (ssh_send_ignore(s, "") != SSH_OK) {
        node_down(node, "connection lost: " + last_error(s), now);
        return;
      }
      conn->last_keepalive = now;
    }
  }
  bool any_stale = false;
  std::string stale_names; // which, for the words (a stream "stopped ticking" named none)
  for (auto &conn : node.conns)
    for (auto &st : conn->streams) {
      if (st->phase == Stream::Phase::idle && now >= st->due) start_stream(*st, now);
      if (st->phase == Stream::Phase::opening || st->phase == Stream::Phase::exec) {
        if (now - st->phase_since > options_.connect_timeout) {
          node_down(node, "node stopped answering: opening stream " + st->spec.name + " timed out",
                    now);
          return;
        }
      }
      watchdog(node, *st, now);
      any_stale = any_stale || st->stale;
      if (st->stale) stale_names += (stale_names.empty() ? "" : ", ") + st->spec.name;
    }
  if (any_stale != node.stale) {
    node.stale = any_stale;
    report(node, "", any_stale ? NodeState::stale : NodeState::up,
           any_stale ? "silent streams: " + stale_names : "streams ticking again");
  }
}

void IoThread::node_down(Node &node, const std::string &reason, SteadyTime now) {
  for (auto &conn : node.conns)
    for (auto &st : conn->streams) {
      st->follow.ended(st->splitter, st->pending);
      flush_lines(*st);
    }
  close_node(node);
  const int attempt = now - node.up_since > kResetAfter ? 0 : node.attempt + 1;
  report(node, "", NodeState::down, reason);
  on_down_(node.index, attempt);
}

void IoThread::close_node(Node &node) {
  if (node.conns.empty()) return;
  // Streams of this node leave the work lists before they are destroyed.
  auto drop = [](std::vector<Stream *> &list, const Node *n) {
    list.erase(std::remove_if(list.begin(), list.end(), [n](Stream *s) { return s->node == n; }),
               list.end());
  };
  drop(dirty_, &node);
  drop(busy_, &node);
  for (auto &conn : node.conns) {
    ssh_session s = conn->session.get();
    const bool alive = ssh_is_connected(s) != 0;
    for (auto &st : conn->streams) {
      if (st->channel == nullptr) continue;
      // Close sends EOF: the node-side wrapper then kills the command's process group.
      if (alive && ssh_channel_is_open(st->channel) != 0) ssh_channel_close(st->channel);
      ssh_channel_free(st->channel);
      st->channel = nullptr;
    }
    if (alive) ssh_blocking_flush(s, 200);
    ssh_event_remove_session(event_, s);
    conn->session.reset();
  }
  node.conns.clear();
  node.stale = false;
}

} // namespace clustertop::ssh
