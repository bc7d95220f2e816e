// One stream's life on the I/O thread: open an exec channel (non-blocking steps), read it
// through callbacks, report its exit, restart it with backoff, watch that it keeps ticking.
// Callbacks only record; channels are freed outside them (libssh forbids it inside).
#include <fmt/format.h>

#include <algorithm>

#include "clustertop/transport/ssh_io.hpp"

namespace clustertop::ssh {
namespace {
constexpr auto kRestartReset = std::chrono::seconds(30);

std::string seconds_text(SteadyTime::duration d) {
  return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

void mark(std::vector<Stream *> &list, Stream &st, bool &flag) {
  if (flag) return;
  flag = true;
  list.push_back(&st);
}
} // namespace

int IoThread::on_data(ssh_session, ssh_channel, void *data, uint32_t len, int is_stderr,
                      void *user) {
  auto &st = *static_cast<Stream *>(user);
  const std::string_view bytes(static_cast<const char *>(data), len);
  if (is_stderr != 0) {
    st.stderr_tail.add(bytes);
    if (!st.spec.follows_file) return static_cast<int>(len);
    st.follow.stderr_bytes(bytes, st.io->reporter(st), st.splitter, st.pending);
    if (!st.pending.empty()) mark(st.io->dirty_, st, st.dirty);
    return static_cast<int>(len);
  }
  st.io->bytes_this_pass_ += len;
  st.follow.stdout_bytes(bytes, st.splitter, st.pending);
  st.last_data = st.last_bytes = std::chrono::steady_clock::now();
  if (!st.pending.empty()) {
    mark(st.io->dirty_, st, st.dirty);
    st.follow.lines_came(st.io->reporter(st));
  }
  return static_cast<int>(len);
}

void IoThread::on_close(ssh_session, ssh_channel, void *user) {
  auto &st = *static_cast<Stream *>(user);
  st.closed = true;
  mark(st.io->dirty_, st, st.dirty);
}

void IoThread::on_exit_status(ssh_session, ssh_channel, int status, void *user) {
  static_cast<Stream *>(user)->exit_status = status;
}

void IoThread::on_exit_signal(ssh_session, ssh_channel, const char *signal, int, const char *,
                              const char *, void *user) {
  static_cast<Stream *>(user)->exit_signal = signal != nullptr ? signal : "?";
}

void IoThread::start_stream(Stream &st, SteadyTime now) {
  ssh_session s = st.conn->session.get();
  st.channel = ssh_channel_new(s);
  if (st.channel == nullptr) {
    st.phase = Stream::Phase::idle;
    st.due = now + std::chrono::seconds(1);
    return;
  }
  st.callbacks = {};
  st.callbacks.userdata = &st;
  st.callbacks.channel_data_function = &IoThread::on_data;
  st.callbacks.channel_close_function = &IoThread::on_close;
  st.callbacks.channel_exit_status_function = &IoThread::on_exit_status;
  st.callbacks.channel_exit_signal_function = &IoThread::on_exit_signal;
  ssh_callbacks_init(&st.callbacks);
  ssh_set_channel_callbacks(st.channel, &st.callbacks);
  st.splitter = LineSplitter{};
  st.stderr_tail.clear();
  st.follow.starting();
  st.exit_status = -1;
  st.exit_signal.clear();
  st.closed = false;
  st.phase = Stream::Phase::opening;
  st.phase_since = now;
  st.last_data = now;
  mark(busy_, st, st.busy);
  step_stream(st, now);
}

void IoThread::step_busy(SteadyTime now) {
  if (busy_.empty()) return;
  auto list = busy_;
  for (Stream *st : list) step_stream(*st, now);
  busy_.erase(std::remove_if(busy_.begin(), busy_.end(),
                             [](Stream *st) {
                               const bool keep = st->phase == Stream::Phase::opening ||
                                                 st->phase == Stream::Phase::exec;
                               if (!keep) st->busy = false;
                               return !keep;
                             }),
              busy_.end());
}

void IoThread::step_stream(Stream &st, SteadyTime now) {
  if (st.phase == Stream::Phase::opening) {
    const int rc = ssh_channel_open_session(st.channel);
    if (rc == SSH_AGAIN) return;
    if (rc != SSH_OK) {
      // e.g. MaxSessions reached: the connection stays, this stream retries later.
      const auto open =
          std::count_if(st.conn->streams.begin(), st.conn->streams.end(), [](const auto &other) {
            return other->channel != nullptr && ssh_channel_is_open(other->channel) != 0;
          });
      report(*st.node, st.spec.name, NodeState::down,
             fmt::format("cannot open a channel: {} ({} already open on this connection: the "
                         "node's sshd may allow fewer sessions; raise MaxSessions in its "
                         "sshd_config, or set max_sessions = {} under [ssh])",
                         last_error(st.conn->session.get()), open, std::max<long>(1, open)));
      finish_stream(st, now);
      return;
    }
    st.phase = Stream::Phase::exec;
    st.phase_since = now;
  }
  if (st.phase == Stream::Phase::exec) {
    const std::string command = wrap_remote_command(st.follow.command(st.spec.command));
    const int rc = ssh_channel_request_exec(st.channel, command.c_str());
    if (rc == SSH_AGAIN) return;
    if (rc != SSH_OK) {
      report(*st.node, st.spec.name, NodeState::down,
             "cannot run the command: " + last_error(st.conn->session.get()));
      finish_stream(st, now);
      return;
    }
    st.phase = Stream::Phase::running;
    st.phase_since = now;
    st.last_data = now;
    st.follow.started(st.restarts > 0, reporter(st));
  }
}

void IoThread::flush_lines(Stream &st) {
  if (st.pending.empty()) return;
  LineBatch batch{st.node->name, st.spec.name, wall_now(), {}};
  batch.lines.swap(st.pending);
  batch.backfilled = std::min(st.follow.take_backfilled(), batch.lines.size());
  queue_.push(std::move(batch));
}

void IoThread::flush_dirty() {
  // Only streams whose callbacks fired since the last pass: cost follows the news, not the
  // number of streams.
  if (dirty_.empty()) return;
  std::vector<Stream *> list;
  list.swap(dirty_);
  const auto now = std::chrono::steady_clock::now();
  for (Stream *st : list) {
    st->dirty = false;
    flush_lines(*st);
    if (st->closed && st->phase == Stream::Phase::running) finish_stream(*st, now);
  }
}

void IoThread::close_channel(Stream &st) {
  st.follow.ended(st.splitter, st.pending);
  flush_lines(st);
  if (st.channel == nullptr) return;
  // EOF: the node-side wrapper kills the process group. Only for a channel that is open:
  // libssh sends EOF for one whose open the server refused too, and OpenSSH then drops the
  // whole connection ("ieof packet referred to nonexistent channel"), every stream with it.
  if (ssh_channel_is_open(st.channel) != 0) ssh_channel_close(st.channel);
  ssh_channel_free(st.channel);
  st.channel = nullptr;
}

void IoThread::finish_stream(Stream &st, SteadyTime now) {
  close_channel(st);
  if (st.phase == Stream::Phase::running) {
    std::string detail = !st.exit_signal.empty() ? "killed by signal " + st.exit_signal
                         : st.exit_status >= 0
                             ? fmt::format("exited with status {}", st.exit_status)
                             : std::string("channel closed");
    if (const auto why = st.stderr_tail.reason(); !why.empty()) detail += ": " + std::string(why);
    report(*st.node, st.spec.name, NodeState::down, detail);
  }
  if (!st.spec.restart) {
    st.phase = Stream::Phase::done;
    return;
  }
  st.restarts = now - st.phase_since > kRestartReset ? 0 : st.restarts + 1;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  st.due =
      now + backoff_delay(st.restarts - 1, options_.restart_min, options_.restart_max, u(rng_));
  st.phase = Stream::Phase::idle;
}

void IoThread::watchdog(Node &node, Stream &st, SteadyTime now) {
  if (st.phase == Stream::Phase::running) st.follow.running_for(now - st.phase_since, reporter(st));
  if (st.spec.watchdog <= Duration::zero() || st.phase != Stream::Phase::running) return;
  const auto silent = now - st.last_data;
  if (!st.stale && silent > st.spec.watchdog) {
    st.stale = true;
    report(node, st.spec.name, NodeState::stale, "no output for " + seconds_text(silent));
  } else if (st.stale && now - st.last_bytes <= st.spec.watchdog) {
    st.stale = false;
    report(node, st.spec.name, NodeState::up, "ticking again");
  }
  if (silent > 3 * st.spec.watchdog) {
    // A stuck collector, or a hung node: restarting shows which (a hung node cannot open
    // a channel, and the open times out into a reconnect).
    report(node, st.spec.name, NodeState::down,
           "no output for " + seconds_text(silent) + ", restarting the stream");
    // Still stale (and its node with it) until the restarted command gives output: a
    // restart that merely opened a channel showed a frozen node `up` with its old figures.
    close_channel(st);
    st.phase = Stream::Phase::idle;
    st.due = now;
  }
}

} // namespace clustertop::ssh
