// Shared set-up for the ssh integration tests: nodes and options pointing at test sshds.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "clustertop/transport/ssh.hpp"
#include "sshd_fixture.hpp"

namespace clustertop::test {

inline SshOptions test_options(const std::string &known_hosts) {
  SshOptions o;
  o.known_hosts = known_hosts;
  o.ssh_config = "none";
  o.connect_timeout = std::chrono::seconds(4);
  o.reconnect_min = std::chrono::milliseconds(200);
  o.reconnect_max = std::chrono::seconds(1);
  o.restart_min = std::chrono::milliseconds(200);
  o.restart_max = std::chrono::seconds(1);
  return o;
}

// known_hosts file in the server's dir holding `lines`.
inline std::string write_known_hosts(const Sshd &sshd, const std::vector<std::string> &lines,
                                     const std::string &name = "known_hosts") {
  const std::string path = sshd.dir() + "/" + name;
  std::ofstream out(path);
  for (const auto &l : lines) out << l << "\n";
  return path;
}

inline NodeSpec node_for(const Sshd &sshd, std::vector<StreamSpec> streams,
                         const std::string &name = {}) {
  auto parsed = parse_node_argument(sshd.node_arg());
  NodeSpec node = parsed.value();
  if (!name.empty()) node.name = name;
  node.identity_file = sshd.client_key();
  node.plan = [streams](const Platform &) { return streams; };
  return node;
}

// Keeps a developer's own agent out of the tests unless a test starts one.
struct NoAgent {
  NoAgent() { ::unsetenv("SSH_AUTH_SOCK"); }
};

} // namespace clustertop::test
