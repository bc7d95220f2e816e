// HookRunner: runs `--on-alert CMD` via /bin/sh once per alert transition, with the alert in
// CLUSTERTOP_* environment variables and as one JSON line on stdin. Owns its child
// processes: never waits on them in the main loop, kills a hook's process group after the
// timeout, reaps every child (no zombies). The hook's stdout goes to stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "clustertop/sink/sink.hpp"

namespace clustertop {

class HookRunner : public Sink {
public:
  HookRunner(std::string command, Duration timeout, std::size_t max_running = 16);
  ~HookRunner() override;
  HookRunner(const HookRunner &) = delete;
  HookRunner &operator=(const HookRunner &) = delete;

  void on_transition(const AlertTransition &t, const TickContext &ctx) override;
  void on_tick(const TickContext & /*ctx*/) override { reap(); }
  // Gives running hooks until their timeout, then kills and reaps them.
  void flush() override;

  // Reaps finished hooks and kills overdue ones; never blocks.
  void reap();
  [[nodiscard]] std::size_t running() const { return children_.size(); }
  [[nodiscard]] std::uint64_t started() const { return started_; }
  [[nodiscard]] std::uint64_t killed() const { return killed_; }
  [[nodiscard]] std::uint64_t skipped() const { return skipped_; }

private:
  // Hooks are real processes: their timeout runs on the real monotonic clock, not on the
  // (possibly replayed) alert time.
  using Steady = std::chrono::steady_clock;
  struct Child {
    pid_t pid;
    Steady::time_point deadline;
    bool killed = false;
  };
  void start(const AlertTransition &t);

  std::string command_;
  Duration timeout_;
  std::size_t max_running_;
  std::vector<Child> children_;
  std::uint64_t started_ = 0;
  std::uint64_t killed_ = 0;
  std::uint64_t skipped_ = 0;
};

} // namespace clustertop
