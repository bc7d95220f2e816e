// HookRunner: runs `--on-alert CMD` via /bin/sh once per alert transition, with the alert in
// CLUSTERTOP_* environment variables and as one JSON line on stdin. Owns its child
// processes: never waits on them in the main loop, kills a hook's process group after the
// timeout (also what the hook left running in the background after its shell exited),
// reaps every child (no zombies), and says on stderr when a hook failed. The hook's stdout
// goes to stderr.
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
  // Hooks whose process group is not done (a shell still running, or what it left behind).
  [[nodiscard]] std::size_t running() const { return children_.size(); }
  // Hooks that exited with a status other than 0, or died of a signal we did not send.
  [[nodiscard]] std::uint64_t failed() const { return failed_; }
  [[nodiscard]] std::uint64_t started() const { return started_; }
  [[nodiscard]] std::uint64_t killed() const { return killed_; }
  [[nodiscard]] std::uint64_t skipped() const { return skipped_; }

private:
  // Hooks are real processes: their timeout runs on the real monotonic clock, not on the
  // (possibly replayed) alert time.
  using Steady = std::chrono::steady_clock;
  struct Child {
    pid_t pid; // also the process group's id
    Steady::time_point deadline;
    std::string what; // "crash on mac1 firing", for messages
    bool killed = false;
    // The shell has exited but is not reaped yet: while it is a zombie its pid, and so the
    // group's id, cannot be reused, so the group can still be killed at the deadline.
    bool exited = false;
  };
  void start(const AlertTransition &t);
  // Whether the shell has exited (observed, not reaped); says on stderr if it failed.
  bool shell_exited(Child &c);

  std::string command_;
  Duration timeout_;
  std::size_t max_running_;
  std::vector<Child> children_;
  std::uint64_t started_ = 0;
  std::uint64_t killed_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t failed_ = 0;
};

} // namespace clustertop
