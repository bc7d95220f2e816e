// Test fixture: a real OpenSSH sshd on 127.0.0.1 (or inside a network namespace) with its own
// host key, client key, authorized_keys and config in a private 0700 temp dir. Owns the
// sshd process and the files; the helpers count or wait for things, they never assert.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "clustertop/core/event_queue.hpp"

namespace clustertop::test {

// Runs `cmd` with /bin/sh; returns its exit status (stdout captured into `out` if given).
int sh(const std::string &cmd, std::string *out = nullptr);

// A port on 127.0.0.1 that nothing listens on right now.
int free_port();

class Sshd {
public:
  // netns: run inside `ip netns exec NETNS`, listening on `address`. extra_config lines go
  // before the defaults: sshd keeps the first value it reads for a keyword.
  explicit Sshd(std::string address = "127.0.0.1", std::string netns = {},
                std::vector<std::string> extra_config = {});
  ~Sshd();
  Sshd(const Sshd &) = delete;
  Sshd &operator=(const Sshd &) = delete;

  bool start();    // (re)starts on the same port and host key; true once it accepts
  void kill_all(); // SIGKILL the listener and every session process it started
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; } // the listener; -1 when not running
  [[nodiscard]] std::string log() const { return dir_ + "/sshd.log"; }
  [[nodiscard]] const std::string &dir() const { return dir_; }
  [[nodiscard]] std::string client_key() const { return dir_ + "/client_key"; }
  // A known_hosts line for this server ("[127.0.0.1]:PORT ssh-ed25519 AAAA...").
  [[nodiscard]] std::string known_hosts_line() const;
  // The same host name with a different key (as after a reinstall).
  [[nodiscard]] std::string other_key_line() const;
  [[nodiscard]] std::string node_arg() const; // "root@127.0.0.1:PORT"

private:
  std::string address_;
  std::string netns_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Processes on this machine whose command line contains `needle` (remote commands run here).
int count_processes(const std::string &needle);
// Their command lines, arguments joined by spaces.
std::vector<std::string> command_lines(const std::string &needle);

// Direct children of `parent` (an sshd listener's children are its sessions).
std::vector<pid_t> children_of(pid_t parent);
// Whether `ancestor` is `pid` or one of its ancestors.
bool descends_from(pid_t pid, pid_t ancestor);
// Processes holding the client end of an established TCP connection to 127.0.0.1:port.
std::vector<pid_t> tcp_clients_of(int port);

// Drains `queue` until `pred` holds for some event or `timeout` passes; keeps every event
// seen in `seen`. Returns whether pred held.
using EventPred = std::function<bool(const Event &)>;
bool wait_for(EventQueue &queue, std::vector<Event> &seen, const EventPred &pred,
              std::chrono::milliseconds timeout);

// Polls `f` every 50 ms until it holds or `timeout` passes; whether it held.
template <typename F> bool eventually(F f, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

// The contents of `path` without trailing newlines; empty when it cannot be read.
std::string read_file(const std::string &path);

bool is_status(const Event &e, const std::string &node, const std::string &stream, NodeState state);
bool has_line(const Event &e, const std::string &node, const std::string &line);
std::string describe(const std::vector<Event> &seen); // for failure messages

} // namespace clustertop::test
