#include "clustertop/sink/hook_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "clustertop/core/report.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/sink/alert_printer.hpp"

extern char **environ; // NOLINT: POSIX

namespace clustertop {
namespace {

std::vector<std::string> hook_env(const AlertTransition &t) {
  std::vector<std::string> env;
  for (char **e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "CLUSTERTOP_", 11) != 0) env.emplace_back(*e);
  const Finding &f = t.finding;
  auto num = [](double v) { return is_known(v) ? fmt::format("{}", v) : std::string(); };
  // Text that came from a node (a quoted log line, a stream's name) is shown by hooks
  // (`notify-send`, `echo` to a terminal): control characters go as visible \xHH escapes,
  // as in the headless text (an OSC 52 in a log line wrote the user's clipboard). The stdin
  // JSON carries them JSON-escaped.
  env.push_back("CLUSTERTOP_RULE=" + f.rule);
  env.push_back("CLUSTERTOP_NODE=" + terminal_safe(f.node));
  env.push_back("CLUSTERTOP_SUBJECT=" + terminal_safe(f.subject));
  env.push_back(std::string("CLUSTERTOP_SEVERITY=") + to_string(f.severity));
  env.push_back(std::string("CLUSTERTOP_STATE=") + to_string(t.state));
  env.push_back("CLUSTERTOP_VALUE=" + num(f.value));
  env.push_back("CLUSTERTOP_THRESHOLD=" + num(f.threshold));
  env.push_back("CLUSTERTOP_MESSAGE=" + terminal_safe(f.message));
  env.push_back("CLUSTERTOP_FIRST_SEEN=" + iso8601_utc(t.first_seen));
  env.push_back("CLUSTERTOP_TIME=" + iso8601_utc(t.at));
  return env;
}

// Writes without ever raising SIGPIPE (the hook may exit before reading stdin): block it
// on this thread, write, drop a pending one, restore the mask.
void write_quietly(int fd, const std::string &data) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const ssize_t n = ::write(fd, data.data(), data.size());
  if (n < 0 && errno == EPIPE) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// Whether any process but `leader` is in process group `pgid` (what a hook left running in
// the background). /proc is read only while such a hook's shell has exited before its
// deadline.
bool others_in_group(pid_t pgid, pid_t leader) {
  DIR *proc = ::opendir("/proc");
  if (proc == nullptr) return false;
  bool found = false;
  while (const dirent *e = ::readdir(proc)) {
    char *end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == leader) continue;
    if (::getpgid(static_cast<pid_t>(pid)) == pgid) {
      found = true;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

std::string describe(const AlertTransition &t) {
  std::string who = t.finding.node.empty() ? "the cluster" : t.finding.node;
  if (!t.finding.subject.empty()) who += "[" + t.finding.subject + "]";
  return fmt::format("{} on {} {}", t.finding.rule, who, to_string(t.state));
}

// The alert a transition is of: its hooks run one after the other.
std::string alert_of(const AlertTransition &t) {
  return t.finding.rule + '\x1f' + t.finding.node + '\x1f' + t.finding.subject;
}

// Failures to start a hook that pass: descriptors (a process at its RLIMIT_NOFILE, the
// system's table full), a process slot (RLIMIT_NPROC), memory.
bool passes(int err) { return err == EMFILE || err == ENFILE || err == EAGAIN || err == ENOMEM; }

} // namespace

HookRunner::HookRunner(std::string command, Duration timeout, std::size_t max_running,
                       Duration retry_for)
    : command_(std::move(command)), timeout_(timeout), max_running_(max_running),
      retry_for_(retry_for) {
  // The hooks write into a blocking pipe (a write that would wait is theirs to wait for);
  // clustertop reads it without waiting. Without one, they write to stderr as it is.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == 0) {
    output_read_.reset(fds[0]);
    output_write_.reset(fds[1]);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
}

void HookRunner::forward_output(bool all) {
  if (!output_read_.valid()) return;
  const auto say = [](std::string_view line) { report(stderr, "{}\n", terminal_safe(line)); };
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(output_read_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output_carry_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = output_carry_.find('\n', start)) != std::string::npos;
         start = nl + 1)
      say(std::string_view(output_carry_).substr(start, nl - start));
    output_carry_.erase(0, start);
    // A hook that writes without a line end is shown in pieces, not held for ever.
    if (output_carry_.size() >= sizeof buf) say(output_carry_), output_carry_.clear();
  }
  if (all && !output_carry_.empty()) say(output_carry_), output_carry_.clear();
}

HookRunner::~HookRunner() {
  for (auto &c : children_) {
    ::kill(-c.pid, SIGKILL);
    ::waitpid(c.pid, nullptr, 0);
  }
}

std::size_t HookRunner::shells() const {
  return static_cast<std::size_t>(
      std::count_if(children_.begin(), children_.end(), [](const Child &c) { return !c.exited; }));
}

bool HookRunner::alert_busy(const std::string &alert,
                            std::vector<Waiting>::const_iterator before) const {
  return std::any_of(children_.begin(), children_.end(),
                     [&](const Child &c) { return !c.exited && c.alert == alert; }) ||
         std::any_of(waiting_.cbegin(), before, [&](const Waiting &w) { return w.alert == alert; });
}

void HookRunner::on_transition(const AlertTransition &t, const TickContext & /*ctx*/) {
  reap();
  retry(); // those that waited go first
  // A pending alert is one that may never fire: its rule's `for` is there to let a blip
  // pass (a log rotated at a restart, one noisy memory window). Its hook paged for them
  // all; an alert that never fired drops without a transition, so no hook is left open.
  if (t.state == AlertState::pending) return;
  const auto running = shells();
  std::string alert = alert_of(t);
  // After its alert's hook still running: a RESOLVED and the FIRING of a crash that came
  // back ran at once, and the pager a hook feeds could hear them in the wrong order.
  // Those still waiting after retry() wait for a shell, a start that failed, or their own
  // alert's hook: only the first two hold a new one back.
  const bool queue = running >= max_running_ ||
                     std::any_of(waiting_.begin(), waiting_.end(),
                                 [](const Waiting &w) { return w.failing_since.has_value(); });
  const bool behind_alert = alert_busy(alert, waiting_.cend());
  if (queue || behind_alert) {
    // In order, after those that wait: a hook ends within its timeout, and then the next
    // starts. A burst of slow hooks dropped every later one, a cluster's critical OOM among
    // them. A flood of alerts must not become a flood of processes, nor a queue without end:
    // past kWaitingPerShell per shell, the newest milder one waiting gives a critical one its
    // place; otherwise the new one is not run.
    if (waiting_.size() >= kWaitingPerShell * max_running_) {
      auto milder = waiting_.end();
      if (t.finding.severity == Severity::critical)
        for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
          if (it->t.finding.severity < Severity::critical) milder = it;
      const AlertTransition &dropped = milder == waiting_.end() ? t : milder->t;
      ++skipped_;
      report(stderr,
             "clustertop: --on-alert: {} hooks running and {} waiting to start; not run for {}\n",
             running, waiting_.size(), terminal_safe(describe(dropped)));
      if (milder == waiting_.end()) return;
      waiting_.erase(milder);
    }
    drop_superseded(alert, /*at_exit=*/false);
    waiting_.push_back(
        Waiting{t, std::move(alert), Steady::now(), std::nullopt, behind_alert && !queue});
    return;
  }
  const int err = start(t);
  if (err == 0) return;
  if (passes(err)) {
    waiting_.push_back(Waiting{t, std::move(alert), Steady::now(), Steady::now(), false});
    report(stderr,
           "clustertop: --on-alert hook for {} not started: {}; trying again at each tick for "
           "{:.0f} s\n",
           terminal_safe(describe(t)), std::strerror(err), to_seconds(retry_for_));
    return;
  }
  ++not_started_;
  report(stderr, "clustertop: --on-alert hook for {} not run: cannot start /bin/sh: {}\n",
         terminal_safe(describe(t)), std::strerror(err));
}

void HookRunner::drop_superseded(const std::string &alert, bool at_exit) {
  std::vector<std::vector<Waiting>::iterator> mine;
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
    if (it->alert == alert) mine.push_back(it);
  // At most two wait (this drops them as a third comes): both go, or all but the newest.
  const std::size_t drop = at_exit            ? std::max<std::size_t>(mine.size(), 1) - 1
                           : mine.size() >= 2 ? 2
                                              : 0;
  if (drop == 0) return;
  std::string what;
  for (std::size_t i = 0; i < drop; ++i)
    what += fmt::format("{}{} at {}", what.empty() ? "" : ", ", to_string(mine[i]->t.state),
                        iso8601_utc(mine[i]->t.at));
  report(stderr,
         "clustertop: --on-alert: not run for {} ({}): the alert changed again while its hook "
         "ran; the hook of its newest state waits\n",
         terminal_safe(describe(mine[0]->t)), what);
  skipped_ += drop;
  for (std::size_t i = drop; i > 0; --i) waiting_.erase(mine[i - 1]);
}

void HookRunner::retry() {
  const auto now = Steady::now();
  for (auto it = waiting_.begin(); it != waiting_.end() && shells() < max_running_;) {
    if (alert_busy(it->alert, it)) { // after its alert's earlier hook; others go on
      ++it;
      continue;
    }
    Waiting &w = *it;
    const int err = start(w.t);
    const std::string what = terminal_safe(describe(w.t));
    if (err == 0) {
      if (!w.in_turn)
        report(stderr, "clustertop: --on-alert hook for {} started late ({:.1f} s)\n", what,
               std::chrono::duration<double>(now - w.since).count());
    } else if (!passes(err) || now - w.failing_since.value_or(now) >= retry_for_) {
      ++not_started_;
      report(stderr, "clustertop: --on-alert hook for {} not run: {} (tried for {:.0f} s)\n", what,
             std::strerror(err), std::chrono::duration<double>(now - w.since).count());
    } else {
      if (!w.failing_since) w.failing_since = now;
      return; // still none: the next tick tries again
    }
    it = waiting_.erase(it);
  }
}

int HookRunner::start(const AlertTransition &t) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  const auto env = hook_env(t);
  std::vector<char *> envp;
  for (const auto &e : env) envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command_;
  char *argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
  if (output_write_.valid()) {
    posix_spawn_file_actions_adddup2(&fa, output_write_.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, output_write_.get(), STDERR_FILENO);
  } else {
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
  }
  // Nothing else of ours: the ssh sessions' sockets (a hook writing to one broke the node's
  // connection, one left running kept it open) and a replay's open log files.
  posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGXFSZ}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0); // its own group, so a timeout kills its children too
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return rc;
  }
  ++started_;
  children_.push_back(
      Child{pid, Steady::now() + timeout_, terminal_safe(describe(t)), alert_of(t)});
  write_quietly(fds[1], json_line(alert_json(t)) + "\n");
  ::close(fds[1]);
  return 0;
}

bool HookRunner::shell_exited(Child &c) {
  if (c.exited) return true;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
    return c.exited = errno == ECHILD; // not ours any more: nothing to wait for
  if (info.si_pid != c.pid) return false;
  c.exited = true;
  if (info.si_code == CLD_EXITED && info.si_status != 0) {
    ++failed_;
    report(stderr, "clustertop: --on-alert hook for {} exited with status {}\n", c.what,
           info.si_status);
  } else if (info.si_code != CLD_EXITED && !c.killed) {
    ++failed_;
    report(stderr, "clustertop: --on-alert hook for {} died of signal {} ({})\n", c.what,
           info.si_status, strsignal(info.si_status));
  }
  return true;
}

void HookRunner::reap() {
  forward_output(false);
  const auto now = Steady::now();
  for (auto it = children_.begin(); it != children_.end();) {
    const bool overdue = now >= it->deadline;
    if (shell_exited(*it)) {
      // What the hook left in the background may run until the deadline, not past it.
      // (A group we killed is only dying: reap its shell.)
      const bool others = !it->killed && others_in_group(it->pid, it->pid);
      if (others && !overdue) {
        ++it;
        continue;
      }
      if (others) {
        ::kill(-it->pid, SIGKILL);
        ++killed_;
        report(stderr,
               "clustertop: --on-alert hook for {} left processes running past its "
               "timeout; killed them\n",
               it->what);
      }
      ::waitpid(it->pid, nullptr, WNOHANG); // the zombie: its group id may be reused now
      it = children_.erase(it);
      continue;
    }
    if (!it->killed && overdue) {
      ::kill(-it->pid, SIGKILL);
      it->killed = true;
      ++killed_;
      report(stderr, "clustertop: --on-alert hook for {} (pid {}) ran past its timeout; killed\n",
             it->what, it->pid);
    }
    ++it;
  }
}

bool HookRunner::interrupted_within(std::chrono::milliseconds d) const {
  if (interrupt_fd_ < 0) {
    std::this_thread::sleep_for(d);
    return false;
  }
  pollfd pfd{interrupt_fd_, POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(d.count())) > 0 && (pfd.revents & POLLIN) != 0;
}

void HookRunner::give_up_waiting() {
  for (auto &c : children_) {
    ::kill(-c.pid, SIGKILL);
    ::waitpid(c.pid, nullptr, 0); // killed: it ends at once
  }
  const std::size_t killed = children_.size(), dropped = waiting_.size();
  killed_ += killed;
  skipped_ += dropped;
  children_.clear();
  waiting_.clear();
  report(stderr, "clustertop: interrupted again: killed {} --on-alert hook{}{}\n", killed,
         killed == 1 ? "" : "s", dropped == 0 ? "" : fmt::format("; {} not run", dropped));
}

void HookRunner::flush() {
  reap();
  retry();
  // One last try at exit for what waits, however many shells run, each after its alert's
  // earlier hook: of an alert's, its newest state alone (each waited for its turn, and the
  // exit for all of them in turn, a timeout each).
  std::vector<std::string> alerts;
  for (const auto &w : waiting_)
    if (std::find(alerts.begin(), alerts.end(), w.alert) == alerts.end()) alerts.push_back(w.alert);
  for (const auto &alert : alerts) drop_superseded(alert, /*at_exit=*/true);
  // The hooks that will run, after those dropped just above.
  if (const std::size_t n = children_.size() + waiting_.size(); n > 0)
    report(stderr, "clustertop: waiting for {} --on-alert hook{} (each at most {:.0f} s{})\n", n,
           n == 1 ? "" : "s", to_seconds(timeout_),
           interrupt_fd_ < 0 ? "" : "; interrupt again to stop them");
  while (!waiting_.empty()) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (alert_busy(it->alert, it)) {
        ++it;
        continue;
      }
      if (const int err = start(it->t); err != 0) {
        ++not_started_;
        report(stderr, "clustertop: --on-alert hook for {} not run: {} (at exit)\n",
               terminal_safe(describe(it->t)), std::strerror(err));
      }
      it = waiting_.erase(it);
    }
    if (waiting_.empty()) break;
    if (interrupted_within(std::chrono::milliseconds(10))) give_up_waiting();
    reap();
  }
  while (!children_.empty()) {
    reap();
    if (!children_.empty() && interrupted_within(std::chrono::milliseconds(10))) give_up_waiting();
  }
  forward_output(true);
}

} // namespace clustertop
