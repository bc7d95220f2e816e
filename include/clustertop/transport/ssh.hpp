// SSH transport: reaches nodes with libssh, runs one exec channel per StreamSpec and turns
// their output into LineBatch / NodeStatus events. Owns its sessions, its connect workers and
// its I/O thread; never parses lines and never leaves a process running on a node.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "clustertop/config/options.hpp"
#include "clustertop/core/event_queue.hpp"
#include "clustertop/core/result.hpp"
#include "clustertop/transport/transport.hpp"

namespace clustertop {

enum class HostKeyPolicy { strict, accept_new, off }; // OpenSSH's StrictHostKeyChecking words

// "strict"/"yes", "accept-new", "off"/"no" -> policy; anything else is an Error.
Result<HostKeyPolicy> parse_host_key_policy(const std::string &word);

struct SshOptions {
  std::string known_hosts; // empty: ~/.ssh/known_hosts
  HostKeyPolicy host_key_checking = HostKeyPolicy::strict;
  std::string ssh_config; // empty: ~/.ssh/config (+ /etc/ssh/ssh_config); "none": no file
  // Whether --ssh-config names a file of its own (what `ssh -F` is given).
  [[nodiscard]] bool own_ssh_config() const { return !ssh_config.empty() && ssh_config != "none"; }
  Duration connect_timeout = std::chrono::seconds(10);
  // Liveness: an SSH ignore message every keepalive_interval keeps unacknowledged data on
  // the wire so TCP_USER_TIMEOUT can notice a silent partition.
  Duration keepalive_interval = std::chrono::seconds(2);
  Duration tcp_user_timeout = std::chrono::seconds(6);
  Duration reconnect_min = std::chrono::seconds(1); // backoff doubles up to reconnect_max
  Duration reconnect_max = std::chrono::seconds(30);
  Duration restart_min = std::chrono::seconds(1); // exited streams, same doubling
  Duration restart_max = std::chrono::seconds(30);
  int connect_workers = 8; // handshakes in flight; stays under sshd's MaxStartups (10)
  Duration connect_stagger = std::chrono::milliseconds(5);
  int max_streams_per_connection = 8; // sshd's MaxSessions is 10
};

// The command line's SSH flags (--known-hosts, --host-key-checking, --ssh-config,
// --connect-timeout) as SshOptions; an unknown policy word is an Error.
Result<SshOptions> ssh_options_from(const Options &options);

// One node named on the command line: "mac1", "user@host", "user@host:2222", "[::1]:22",
// "user@[fe80::1]:2222". Hostile input (options, shell metacharacters, spaces) is an Error.
Result<NodeSpec> parse_node_argument(const std::string &arg);

// Checks a NodeSpec from any source (config file, command line) before it reaches libssh.
// `field` (optional) is set to the [[node]] key the problem is in ("name", "host", "user",
// "port", "identity_file").
Status validate_node(const NodeSpec &node, std::string_view *field = nullptr);
// The name alone (every node has one, local ones too): shown on screens and in files.
Status validate_node_name(const std::string &name);

// Starts nothing until start(). Events go to `queue`; node names must be unique.
std::unique_ptr<Transport> make_ssh_transport(std::vector<NodeSpec> nodes,
                                              const SshOptions &options, EventQueue &queue);

} // namespace clustertop
