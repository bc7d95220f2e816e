#include "clustertop/sink/hook_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

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
  env.push_back("CLUSTERTOP_RULE=" + f.rule);
  env.push_back("CLUSTERTOP_NODE=" + f.node);
  env.push_back("CLUSTERTOP_SUBJECT=" + f.subject);
  env.push_back(std::string("CLUSTERTOP_SEVERITY=") + to_string(f.severity));
  env.push_back(std::string("CLUSTERTOP_STATE=") + to_string(t.state));
  env.push_back("CLUSTERTOP_VALUE=" + num(f.value));
  env.push_back("CLUSTERTOP_THRESHOLD=" + num(f.threshold));
  env.push_back("CLUSTERTOP_MESSAGE=" + f.message);
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

} // namespace

HookRunner::HookRunner(std::string command, Duration timeout, std::size_t max_running)
    : command_(std::move(command)), timeout_(timeout), max_running_(max_running) {}

HookRunner::~HookRunner() {
  for (auto &c : children_) {
    ::kill(-c.pid, SIGKILL);
    ::waitpid(c.pid, nullptr, 0);
  }
}

void HookRunner::on_transition(const AlertTransition &t, const TickContext & /*ctx*/) {
  reap();
  if (children_.size() >= max_running_) {
    ++skipped_; // a flood of alerts must not become a flood of processes
    fmt::print(stderr, "clustertop: --on-alert: {} hooks still running, skipped one for {}\n",
               children_.size(), t.finding.rule);
    return;
  }
  start(t);
}

void HookRunner::start(const AlertTransition &t) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
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
  posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
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
    fmt::print(stderr, "clustertop: --on-alert: cannot start /bin/sh: {}\n", std::strerror(rc));
    return;
  }
  ++started_;
  children_.push_back(Child{pid, Steady::now() + timeout_});
  write_quietly(
      fds[1], alert_json(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  ::close(fds[1]);
}

void HookRunner::reap() {
  const auto now = Steady::now();
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    const pid_t r = ::waitpid(it->pid, &status, WNOHANG);
    if (r == it->pid || (r < 0 && errno == ECHILD)) {
      it = children_.erase(it);
      continue;
    }
    if (!it->killed && now >= it->deadline) {
      ::kill(-it->pid, SIGKILL);
      it->killed = true;
      ++killed_;
      fmt::print(stderr, "clustertop: --on-alert hook (pid {}) ran past its timeout; killed\n",
                 it->pid);
    }
    ++it;
  }
}

void HookRunner::flush() {
  while (!children_.empty()) {
    reap();
    if (!children_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace clustertop
