// Internal to the ssh transport: the I/O thread. It owns every session handed to it (libssh
// forbids sharing one between threads), opens one exec channel per stream, reads them through
// channel callbacks driven by one ssh_event poll (only ready sessions are read), restarts
// exited streams, sends keepalives, runs the watchdogs and reports node/stream states.
#pragma once

#include <libssh/callbacks.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>

#include "clustertop/core/line_splitter.hpp"
#include "clustertop/transport/follow_watch.hpp"
#include "clustertop/transport/ssh_session.hpp"
#include "clustertop/transport/stderr_tail.hpp"

namespace clustertop::ssh {

using SteadyTime = std::chrono::steady_clock::time_point;

// Exponential backoff: min·2^attempt capped at max, times a jitter factor in [0.75, 1.25)
// picked by `u` in [0, 1), so many nodes that fail together do not retry together.
Duration backoff_delay(int attempt, Duration min, Duration max, double u);

// A node's connected sessions and the streams planned for each, moving from a connect
// worker to the I/O thread.
struct Handoff {
  std::size_t node = 0;
  std::string summary; // "root@127.0.0.1:2222, 3 streams"
  std::vector<SessionPtr> sessions;
  std::vector<std::vector<StreamSpec>> streams; // one list per session
  int attempt = 0;
  std::optional<std::chrono::minutes> utc_offset; // from the probe (Platform::utc_offset)
};

class IoThread;
struct Conn;
struct Node;

// One exec channel and its line state. Address-stable (callbacks hold a pointer to it).
struct Stream {
  enum class Phase { idle, opening, exec, running, done };
  StreamSpec spec;
  IoThread *io = nullptr;
  Node *node = nullptr;
  Conn *conn = nullptr;
  Phase phase = Phase::idle;
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct callbacks{};
  LineSplitter splitter;
  std::vector<std::string> pending; // complete lines not yet pushed
  StderrTail stderr_tail;           // last stderr text, for the exit report
  StreamFollow follow;              // readability, read position (in Node::positions), reported up
  int exit_status = -1;
  std::string exit_signal;
  bool closed = false; // the server closed the channel
  bool dirty = false;  // in IoThread::dirty_
  bool busy = false;   // in IoThread::busy_
  bool stale = false;
  int restarts = 0; // backoff attempt for the next restart
  SteadyTime due{}; // idle: when to (re)start
  SteadyTime phase_since{};
  SteadyTime last_data{};  // the last output, or the (re)start: silence is measured from it
  SteadyTime last_bytes{}; // the last output: a stale stream is fresh again only by output
};

struct Conn {
  SessionPtr session;
  std::vector<std::unique_ptr<Stream>> streams;
  SteadyTime last_keepalive{};
};

struct Node {
  std::size_t index = 0;
  std::string name;
  std::vector<std::unique_ptr<Conn>> conns; // empty while not connected
  int attempt = 0;
  SteadyTime up_since{};
  bool stale = false;
  // Followed logs' read positions by stream name: they outlive the connection (and its
  // streams), so the reconnect reads what was written during the outage.
  std::map<std::string, FollowPosition> positions;
};

class IoThread {
public:
  // on_down(node, attempt) asks the connect pool to reconnect after a backoff.
  IoThread(EventQueue &queue, const SshOptions &options, std::vector<std::string> names,
           std::function<void(std::size_t, int)> on_down);
  ~IoThread();
  IoThread(const IoThread &) = delete;
  IoThread &operator=(const IoThread &) = delete;

  void start();
  void stop(); // closes every channel and session, so the node-side wrappers clean up
  void hand_over(Handoff handoff); // any thread

private:
  void run();
  void take_inbox();
  bool sockets_readable();
  void flush_dirty();
  void step_busy(SteadyTime now);
  void housekeeping(SteadyTime now);
  void check_node(Node &node, SteadyTime now);
  void step_stream(Stream &st, SteadyTime now);
  void start_stream(Stream &st, SteadyTime now);
  void finish_stream(Stream &st, SteadyTime now);
  void close_channel(Stream &st);
  void watchdog(Node &node, Stream &st, SteadyTime now);
  void node_down(Node &node, const std::string &reason, SteadyTime now);
  void close_node(Node &node);
  void flush_lines(Stream &st);
  // `utc_offset`: the node's, on its `up` (NodeStatus::utc_offset).
  // `st`'s status reports, for its StreamFollow.
  auto reporter(Stream &st) {
    return [this, &st](NodeState state, std::string detail) {
      report(*st.node, st.spec.name, state, std::move(detail));
    };
  }
  void report(const Node &node, const std::string &stream, NodeState state, std::string detail,
              std::optional<std::chrono::minutes> utc_offset = std::nullopt);
  static int on_data(ssh_session, ssh_channel, void *data, uint32_t len, int is_stderr, void *user);
  static void on_close(ssh_session, ssh_channel, void *user);
  static void on_exit_status(ssh_session, ssh_channel, int status, void *user);
  static void on_exit_signal(ssh_session, ssh_channel, const char *signal, int core,
                             const char *errmsg, const char *lang, void *user);
  static int on_wake(socket_t fd, int revents, void *user);

  EventQueue &queue_;
  SshOptions options_;
  std::function<void(std::size_t, int)> on_down_;
  std::vector<std::unique_ptr<Node>> nodes_; // by node index; only the I/O thread touches
  std::vector<Stream *> dirty_;              // got data or closed since the last flush
  std::vector<Stream *> busy_;               // opening a channel or running exec
  std::size_t bytes_this_pass_ = 0;          // stdout bytes the callbacks saw this pass
  std::vector<pollfd> poll_fds_;             // sockets_readable()'s, kept for its memory
  ssh_event event_ = nullptr;
  int wake_fd_ = -1;
  std::mt19937 rng_{std::random_device{}()};
  std::atomic<bool> stop_{false};
  std::mutex inbox_mutex_;
  std::vector<Handoff> inbox_;
  std::thread thread_;
};

} // namespace clustertop::ssh
