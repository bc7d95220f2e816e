// HookRunner: runs `--on-alert CMD` via /bin/sh once per alert transition, with the alert in
// CLUSTERTOP_* environment variables and as one JSON line on stdin. Owns its child
// processes: never waits on them in the main loop, kills a hook's process group after the
// timeout (also what the hook left running in the background after its shell exited),
// reaps every child (no zombies), and says on stderr when a hook failed. The hook's stdout and
// stderr come to clustertop's stderr a line at a time through a pipe, made safe for a
// terminal (`echo "$CLUSTERTOP_MESSAGE"` in dash turns a log's literal `\033]52;...` into a
// real escape sequence, which reached the terminal). A hook that cannot be started for want of a
// resource that comes back (no descriptor for its stdin pipe, no process slot, no memory) is said
// on stderr and tried again at each tick for `retry_for`, then given up (said too).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "clustertop/core/unique_fd.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

class HookRunner : public Sink {
public:
  HookRunner(std::string command, Duration timeout, std::size_t max_running = 16,
             Duration retry_for = std::chrono::seconds(10));
  ~HookRunner() override;
  HookRunner(const HookRunner &) = delete;
  HookRunner &operator=(const HookRunner &) = delete;

  void on_transition(const AlertTransition &t, const TickContext &ctx) override;
  void on_tick(const TickContext & /*ctx*/) override { on_idle(); }
  // Hooks that ended are reaped and their output shown; those that could not start try again.
  void on_idle() override {
    reap();
    retry();
  }
  // Tries hooks that could not start once more, gives running hooks until their timeout,
  // then kills and reaps them. A signal waiting on the descriptor given to stop_waiting_on
  // (the user's second Ctrl-C) cuts that short: the hooks' groups are killed at once.
  void flush() override;
  // `fd` (SignalWatcher::fd(); -1: none) readable ends flush()'s wait; it is not read.
  void stop_waiting_on(int fd) { interrupt_fd_ = fd; }

  // Transitions that wait for a shell to end, at most this many per shell that may run.
  static constexpr std::size_t kWaitingPerShell = 4;

  // Reaps finished hooks and kills overdue ones; never blocks.
  void reap();
  // Hooks whose process group is not done (a shell still running, or what it left behind).
  [[nodiscard]] std::size_t running() const { return children_.size(); }
  // Hooks that exited with a status other than 0, or died of a signal we did not send.
  [[nodiscard]] std::uint64_t failed() const { return failed_; }
  [[nodiscard]] std::uint64_t started() const { return started_; }
  [[nodiscard]] std::uint64_t killed() const { return killed_; }
  [[nodiscard]] std::uint64_t skipped() const { return skipped_; }
  // Hooks that could not be started (said on stderr), given up after retry_for.
  [[nodiscard]] std::uint64_t not_started() const { return not_started_; }

private:
  // Hooks are real processes: their timeout runs on the real monotonic clock, not on the
  // (possibly replayed) alert time.
  using Steady = std::chrono::steady_clock;
  struct Child {
    pid_t pid; // also the process group's id
    Steady::time_point deadline;
    std::string what;  // "crash on mac1 firing", for messages
    std::string alert; // rule, node and subject: the alert whose hooks run in turn
    bool killed = false;
    // The shell has exited but is not reaped yet: while it is a zombie its pid, and so the
    // group's id, cannot be reused, so the group can still be killed at the deadline.
    bool exited = false;
  };
  // A transition whose hook could not be started yet: no shell free, or a start that failed.
  struct Waiting {
    AlertTransition t;
    std::string alert; // as Child::alert
    Steady::time_point since;
    std::optional<Steady::time_point> failing_since; // its first failed start: retry_for
    bool in_turn = false; // waits only for its alert's earlier hook: not "started late"
  };
  // 0 when started, else the errno that stopped it (nothing said).
  int start(const AlertTransition &t);
  // Starts what waits, while fewer than max_running shells run; gives up what waited too long.
  void retry();
  [[nodiscard]] std::size_t shells() const;
  // Whether a shell of this alert's still runs, or a transition of it waits before `before`
  // (waiting_.end(): any); its next hook starts after those.
  [[nodiscard]] bool alert_busy(const std::string &alert,
                                std::vector<Waiting>::const_iterator before) const;
  // Drops this alert's oldest waiting transitions, said on stderr and counted as skipped:
  // before a new one waits, the two that wait already (a pair: the alert's state is as it
  // was), so that an alert whose slow hook runs while it flaps has at most two waiting; at
  // exit, all but the newest.
  void drop_superseded(const std::string &alert, bool at_exit);
  // Whether the shell has exited (observed, not reaped); says on stderr if it failed.
  bool shell_exited(Child &c);

  std::string command_;
  Duration timeout_;
  std::size_t max_running_;
  Duration retry_for_;
  // What the hooks wrote since the last call, line by line to stderr through terminal_safe;
  // `all`: the unfinished last line too.
  void forward_output(bool all);

  std::vector<Child> children_;
  std::vector<Waiting> waiting_;
  UniqueFd output_read_, output_write_; // the hooks' stdout and stderr (none: ours, as is)
  std::string output_carry_;            // an unfinished line
  std::uint64_t started_ = 0;
  std::uint64_t killed_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t not_started_ = 0;
  int interrupt_fd_ = -1;
  // Sleeps up to `d`; true when the interrupt descriptor became readable.
  [[nodiscard]] bool interrupted_within(std::chrono::milliseconds d) const;
  // Kills every hook's group and drops what waits, said on stderr (a second interrupt).
  void give_up_waiting();
};

} // namespace clustertop
