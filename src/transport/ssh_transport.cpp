// SshTransport: the connect worker pool (staggered, at most connect_workers handshakes in
// flight, so one sshd's MaxStartups is never hit) feeding the I/O thread. Workers own a
// session only until they hand it over; reconnects come back here with backoff.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "clustertop/core/text.hpp"
#include "clustertop/transport/ssh_io.hpp"
#include "clustertop/transport/ssh_jump.hpp"

namespace clustertop {
namespace ssh {
namespace {

struct Job {
  SteadyTime due;
  std::size_t node = 0;
  int attempt = 0;
};

class SshTransport final : public Transport {
public:
  SshTransport(std::vector<NodeSpec> nodes, const SshOptions &options, EventQueue &queue)
      : nodes_(std::move(nodes)), options_(options), queue_(queue),
        io_(queue, options, names(nodes_), [this](std::size_t n, int a) { schedule(n, a); }) {}
  ~SshTransport() override { stop(); }

  void start() override {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
    // A closed socket must be an error return, never a process-killing signal.
    ::signal(SIGPIPE, SIG_IGN);
    io_.start();
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < nodes_.size(); ++i) jobs_.push_back(Job{now, i, 0});
    const auto workers = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::max(1, options_.connect_workers)), 1, nodes_.size() + 1);
    for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      stop_ = true;
      stop_flag_ = true; // in-flight connects give up at their next wait
    }
    cv_.notify_all();
    for (auto &w : workers_) w.join();
    workers_.clear();
    io_.stop();
  }

private:
  static std::vector<std::string> names(const std::vector<NodeSpec> &nodes) {
    std::vector<std::string> out;
    for (const auto &n : nodes) out.push_back(n.name);
    return out;
  }

  void schedule(std::size_t node, int attempt) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::lock_guard lock(mutex_);
    if (stop_) return;
    const auto delay =
        backoff_delay(attempt - 1, options_.reconnect_min, options_.reconnect_max, u(rng_));
    jobs_.push_back(Job{std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<SteadyTime::duration>(delay),
                        node, attempt});
    cv_.notify_one();
  }

  bool next_job(Job &job) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (stop_) return false;
      auto it = std::min_element(jobs_.begin(), jobs_.end(),
                                 [](const Job &a, const Job &b) { return a.due < b.due; });
      const auto now = std::chrono::steady_clock::now();
      if (it != jobs_.end() && it->due <= now) {
        job = *it;
        jobs_.erase(it);
        // Stagger: successive handshakes start connect_stagger apart.
        const auto slot = std::max(now, next_start_);
        next_start_ = slot + options_.connect_stagger;
        lock.unlock();
        std::this_thread::sleep_until(slot);
        return !stopping();
      }
      if (it == jobs_.end())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, it->due);
    }
  }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
  }

  void work() {
    Job job;
    while (next_job(job)) {
      const NodeSpec &node = nodes_[job.node];
      queue_.push(NodeStatus{
          node.name, "", NodeState::connecting,
          job.attempt == 0 ? "connecting" : fmt::format("reconnecting (attempt {})", job.attempt),
          wall_now()});
      auto handoff = establish(node, job.attempt);
      if (handoff) {
        handoff->node = job.node;
        io_.hand_over(std::move(*handoff));
        continue;
      }
      if (stopping()) return;
      queue_.push(
          NodeStatus{node.name, "", NodeState::down, handoff.error().one_line(), wall_now()});
      schedule(job.node, job.attempt + 1);
    }
  }

  Result<SessionPtr> open_session(const NodeSpec &node, const Deadline &deadline) {
    auto s = new_session(node, options_);
    if (!s) return s.error();
    if (auto st = connect_session(s->get(), node, options_, deadline); !st) return st.error();
    if (auto st = verify_host_key(s->get(), node, options_); !st) return st.error();
    if (auto st = authenticate(s->get(), node, options_, deadline); !st) return st.error();
    set_tcp_user_timeout(
        s->get(), std::chrono::duration_cast<std::chrono::milliseconds>(options_.tcp_user_timeout));
    return s;
  }

  static Error probe_ran_nothing(const NodeSpec &node, const std::string &out) {
    const std::string first = out.substr(0, out.find('\n'));
    return Error{"cannot run commands on the node",
                 first.empty() ? "the platform probe printed nothing"
                               : "the platform probe printed \"" + terminal_safe(first, 120) +
                                     "\" and no platform",
                 "node " + node.name,
                 "clustertop runs every command through the login shell of the user it logs in "
                 "as, which must be a POSIX shell (sh, bash, zsh): one that exits at once "
                 "(/usr/bin/false, nologin) runs nothing. Check with: ssh NODE 'uname -sm'"};
  }

  Result<Handoff> establish(const NodeSpec &node, int attempt) {
    const Deadline deadline{
        std::chrono::steady_clock::now() +
            std::chrono::duration_cast<SteadyTime::duration>(options_.connect_timeout),
        &stop_flag_};
    auto first = open_session(node, deadline);
    if (!first) return first.error();
    Platform platform;
    if (!node.probe_command.empty()) {
      auto out = run_probe(first->get(), node, node.probe_command, deadline);
      if (!out) return out.error();
      if (node.parse_probe) platform = node.parse_probe(*out);
      // Every shell that runs the probe prints `uname …` first. A login shell that runs nothing
      // (/usr/bin/false, nologin: "This account is currently not available.") printed no such
      // line, and the node stood `up` with no data and no word of why.
      if (node.parse_probe && platform.os.empty()) return probe_ran_nothing(node, *out);
    }
    std::vector<StreamSpec> streams = node.plan ? node.plan(platform) : std::vector<StreamSpec>{};
    Handoff h;
    h.attempt = attempt;
    h.utc_offset = platform.utc_offset;
    const auto per = static_cast<std::size_t>(std::max(1, options_.max_streams_per_connection));
    h.sessions.push_back(std::move(*first));
    h.streams.emplace_back();
    for (auto &spec : streams) {
      if (h.streams.back().size() == per) {
        // More streams than MaxSessions allows on one connection: open another.
        auto more = open_session(node, deadline);
        if (!more) return more.error();
        h.sessions.push_back(std::move(*more));
        h.streams.emplace_back();
      }
      h.streams.back().push_back(std::move(spec));
    }
    // As the first session resolved it: a session of its own read the ssh config (and ran
    // `ssh -G`) once more per connect.
    const Resolved r = resolved_of(h.sessions.front().get());
    h.summary = fmt::format("{} ({}@{}:{}), {} stream{}", node.name, r.user, r.host, r.port,
                            streams.size(), streams.size() == 1 ? "" : "s");
    if (const std::string note = node.plan_note ? node.plan_note(platform) : ""; !note.empty())
      h.summary += "; " + note;
    return h;
  }

  std::vector<NodeSpec> nodes_;
  SshOptions options_;
  EventQueue &queue_;
  IoThread io_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Job> jobs_;
  std::vector<std::thread> workers_;
  SteadyTime next_start_{};
  std::mt19937 rng_{std::random_device{}()};
  bool started_ = false;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
};

} // namespace
} // namespace ssh

std::unique_ptr<Transport> make_ssh_transport(std::vector<NodeSpec> nodes,
                                              const SshOptions &options, EventQueue &queue) {
  return std::make_unique<ssh::SshTransport>(std::move(nodes), options, queue);
}

} // namespace clustertop
