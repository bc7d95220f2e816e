#include "clustertop/transport/local_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <random>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "clustertop/core/line_splitter.hpp"
#include "clustertop/transport/child_process.hpp"
#include "clustertop/transport/follow_position.hpp"
#include "clustertop/transport/follow_watch.hpp"
#include "clustertop/transport/stderr_tail.hpp"

namespace clustertop {

Duration restart_delay(Duration min, Duration max, int failures, double jitter01) {
  double secs = to_seconds(min);
  for (int i = 0; i < failures && secs < to_seconds(max); ++i) secs *= 2;
  secs = std::min(secs, to_seconds(max));
  return from_seconds(secs * (0.8 + 0.4 * jitter01));
}

namespace {

constexpr auto kStableRun = std::chrono::seconds(60); // a run this long resets the backoff
struct Stream {
  StreamSpec spec;
  ChildProcess child;
  LineSplitter splitter{64 * 1024};
  StderrTail stderr_tail;                 // its last line says why the process failed
  std::optional<FollowPosition> position; // spec.resume_path: where the file is read up to
  StreamFollow follow;                    // readability, read position, reported up
  bool running = false;
  int failures = 0;
  TimePoint started{};
  TimePoint next_start{};
  TimePoint last_line{};
  bool stale = false;
};

class LocalTransport final : public Transport {
public:
  LocalTransport(NodeSpec node, EventQueue &queue, LocalOptions options)
      : node_(std::move(node)), queue_(queue), options_(options) {}
  ~LocalTransport() override { LocalTransport::stop(); }
  LocalTransport(const LocalTransport &) = delete;
  LocalTransport &operator=(const LocalTransport &) = delete;

  void start() override {
    if (thread_.joinable()) return;
    if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
      throw std::runtime_error("pipe2 failed for the local transport");
    thread_ = std::thread([this] { run(); });
  }

  void stop() override {
    if (!thread_.joinable()) return;
    const char b = 'x';
    [[maybe_unused]] auto n = ::write(stop_pipe_[1], &b, 1);
    thread_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

private:
  // `utc_offset`: this machine's, on the node's `up` (NodeStatus::utc_offset).
  void status(const std::string &stream, NodeState state, std::string detail,
              std::optional<std::chrono::minutes> utc_offset = std::nullopt) {
    queue_.push(NodeStatus{node_.name, stream, state, std::move(detail), wall_now(), utc_offset});
  }
  // `s`'s status reports, for its StreamFollow.
  auto reporter(Stream &s) {
    return [this, &s](NodeState state, std::string detail) {
      status(s.spec.name, state, std::move(detail));
    };
  }
  bool stopping() const {
    pollfd p{stop_pipe_[0], POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  Platform probe();
  void launch(Stream &s, TimePoint now);
  void read_fd(Stream &s, int fd, bool is_stderr, TimePoint now);
  void check_exit(Stream &s, TimePoint now);
  void check_watchdog(Stream &s, TimePoint now);
  int poll_timeout_ms(TimePoint now) const;
  void run();

  NodeSpec node_;
  EventQueue &queue_;
  LocalOptions options_;
  std::vector<Stream> streams_; // owned by the I/O thread
  std::thread thread_;
  int stop_pipe_[2] = {-1, -1};
  std::mt19937 rng_{std::random_device{}()};
};

Platform LocalTransport::probe() {
  if (node_.probe_command.empty() || !node_.parse_probe) return {};
  return node_.parse_probe(
      output_of(node_.probe_command,
                std::chrono::duration_cast<std::chrono::milliseconds>(options_.probe_timeout),
                [this] { return stopping(); }));
}

void LocalTransport::launch(Stream &s, TimePoint now) {
  s.follow.starting();
  auto child = ChildProcess::spawn(s.follow.command(s.spec.command));
  if (!child) {
    status(s.spec.name, NodeState::down, child.error().one_line());
    s.next_start = now + restart_delay(options_.restart_min, options_.restart_max, ++s.failures,
                                       std::uniform_real_distribution<>(0, 1)(rng_));
    return;
  }
  s.child = std::move(*child);
  s.running = true;
  s.started = now;
  s.last_line = now;
  s.stale = false;
  s.splitter = LineSplitter(options_.max_line);
  s.stderr_tail.clear();
  s.follow.started(s.failures > 0, reporter(s));
}

void LocalTransport::read_fd(Stream &s, int fd, bool is_stderr, TimePoint now) {
  char buf[65536];
  std::vector<std::string> lines;
  const auto n = ::read(fd, buf, sizeof buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    if (is_stderr)
      s.child.close_stderr();
    else {
      s.follow.ended(s.splitter, lines);
      s.child.close_stdout();
    }
  } else if (n > 0) {
    const std::string_view bytes(buf, static_cast<std::size_t>(n));
    if (!is_stderr) {
      s.follow.stdout_bytes(bytes, s.splitter, lines);
    } else {
      s.stderr_tail.add(bytes);
      if (s.spec.follows_file) s.follow.stderr_bytes(bytes, reporter(s), s.splitter, lines);
    }
  }
  if (lines.empty()) return;
  s.last_line = now;
  s.follow.lines_came(reporter(s));
  if (s.stale) {
    s.stale = false;
    status(s.spec.name, NodeState::up, "output resumed");
  }
  LineBatch batch{node_.name, s.spec.name, now, std::move(lines)};
  batch.backfilled = std::min(s.follow.take_backfilled(), batch.lines.size());
  // A full queue (the pipeline behind a burst: 6 M lines appended at once) is waited out,
  // not dropped: meanwhile `tail` waits on its pipe, and the file keeps the lines.
  while (!queue_.try_push(batch)) {
    if (stopping()) return;
    pollfd p{stop_pipe_[0], POLLIN, 0};
    ::poll(&p, 1, 5);
  }
}

void LocalTransport::check_exit(Stream &s, TimePoint now) {
  if (!s.running || s.child.stdout_fd() >= 0) return;
  int wstatus = 0;
  if (!s.child.try_reap(wstatus)) return;
  // Its last words, as far as they are already written: a bounded non-blocking read, since a
  // process that escaped the group could hold stderr open for ever.
  for (int i = 0; i < 16 && s.child.stderr_fd() >= 0; ++i) {
    pollfd p{s.child.stderr_fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    read_fd(s, s.child.stderr_fd(), true, now);
  }
  s.child.close_stderr();
  s.running = false;
  std::string why = describe_wait_status(wstatus);
  if (const auto last = s.stderr_tail.reason(); !last.empty()) why += ": " + std::string(last);
  if (now - s.started >= kStableRun) s.failures = 0;
  if (!s.spec.restart) {
    status(s.spec.name, NodeState::down, why);
    return;
  }
  const auto delay = restart_delay(options_.restart_min, options_.restart_max, s.failures++,
                                   std::uniform_real_distribution<>(0, 1)(rng_));
  s.next_start = now + delay;
  status(s.spec.name, NodeState::down,
         fmt::format("{}; restarting in {:.1f}s", why, to_seconds(delay)));
}

void LocalTransport::check_watchdog(Stream &s, TimePoint now) {
  if (s.running) s.follow.running_for(now - s.started, reporter(s));
  if (!s.running || s.stale || s.spec.watchdog <= Duration::zero()) return;
  if (now - s.last_line < s.spec.watchdog) return;
  s.stale = true;
  status(s.spec.name, NodeState::stale,
         fmt::format("no output for {:.0f}s", to_seconds(now - s.last_line)));
}

int LocalTransport::poll_timeout_ms(TimePoint now) const {
  Duration wait = std::chrono::seconds(1);
  for (const auto &s : streams_)
    if (!s.running && s.spec.restart) wait = std::min(wait, s.next_start - now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
}

void LocalTransport::run() {
  status("", NodeState::connecting, "probing this machine");
  const Platform platform = probe();
  if (stopping()) return;
  for (auto &spec : node_.plan ? node_.plan(platform) : std::vector<StreamSpec>{}) {
    Stream s;
    s.spec = std::move(spec);
    if (!s.spec.resume_path.empty()) s.position.emplace(s.spec.resume_path);
    streams_.push_back(std::move(s));
  }
  // streams_ holds still from here on: each follow may point at its stream's position.
  for (auto &s : streams_)
    if (s.position) s.follow.attach(&*s.position);
  std::string detail = fmt::format("{} stream(s)", streams_.size());
  if (const std::string note = node_.plan_note ? node_.plan_note(platform) : ""; !note.empty())
    detail += "; " + note;
  status("", NodeState::up, detail, platform.utc_offset);
  for (auto &s : streams_) launch(s, wall_now());

  std::vector<pollfd> fds;
  std::vector<std::pair<Stream *, bool>> owners; // stream, is_stderr
  while (true) {
    fds.assign(1, pollfd{stop_pipe_[0], POLLIN, 0});
    owners.assign(1, {nullptr, false});
    for (auto &s : streams_) {
      // Stderr first: tail says it follows a new file before it writes that file's lines.
      if (s.child.stderr_fd() >= 0) {
        fds.push_back(pollfd{s.child.stderr_fd(), POLLIN, 0});
        owners.emplace_back(&s, true);
      }
      if (s.child.stdout_fd() >= 0) {
        fds.push_back(pollfd{s.child.stdout_fd(), POLLIN, 0});
        owners.emplace_back(&s, false);
      }
    }
    const int r = ::poll(fds.data(), fds.size(), poll_timeout_ms(wall_now()));
    const auto now = wall_now();
    if (r < 0 && errno != EINTR) break;
    if ((fds[0].revents & POLLIN) != 0) break;
    for (std::size_t i = 1; i < fds.size(); ++i)
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
        read_fd(*owners[i].first, fds[i].fd, owners[i].second, now);
    for (auto &s : streams_) {
      check_exit(s, now);
      check_watchdog(s, now);
      if (!s.running && s.spec.restart && s.next_start <= now) launch(s, now);
    }
  }
  for (auto &s : streams_) s.child.terminate();
  status("", NodeState::down, "stopped");
}

} // namespace

std::unique_ptr<Transport> make_local_transport(NodeSpec node, EventQueue &queue,
                                                LocalOptions options) {
  return std::make_unique<LocalTransport>(std::move(node), queue, options);
}

} // namespace clustertop
