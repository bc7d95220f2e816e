// ProxyJump through an ssh config against two real sshds on 127.0.0.1: a node alias whose
// config says `ProxyJump jumphost`, itself an alias for the second sshd. The tests prove the
// jump carries the connection (the target's TCP peer is a process of the jump sshd, and the
// jump sshd logs the jump's own key), that host keys stay strict on both hops, that a dead
// or frozen jump host neither hangs a connect nor stop(), and that nothing is left running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "clustertop/core/signals.hpp"
#include "clustertop/transport/ssh_jump.hpp"
#include "ssh_test_util.hpp"

namespace clustertop::test {
namespace {

using namespace std::chrono_literals;

const std::string kNode = "gpu-behind-jump";

// "SHA256:..." of a public key file, as sshd logs it.
std::string fingerprint(const std::string &pub) {
  std::string out;
  sh("ssh-keygen -lf '" + pub + "'", &out);
  const auto a = out.find("SHA256:");
  return a == std::string::npos ? "(no fingerprint)" : out.substr(a, out.find(' ', a) - a);
}

// Every process below `root` (sshd's per-connection and per-user processes).
std::vector<pid_t> descendants(pid_t root) {
  std::vector<pid_t> out = children_of(root);
  for (std::size_t i = 0; i < out.size(); ++i)
    for (pid_t c : children_of(out[i])) out.push_back(c);
  return out;
}

// Two sshds with different host keys and different client keys, an ssh config that reaches
// the target only through the jump, and one known_hosts file holding both host keys.
struct JumpLab {
  Sshd jump{"127.0.0.1", {}, {"LogLevel VERBOSE"}};
  Sshd target{"127.0.0.1", {}, {"LogLevel VERBOSE"}};
  std::string cfg = target.dir() + "/jump_ssh_config";
  std::string kh = target.dir() + "/jump_known_hosts";

  JumpLab() {
    std::ofstream(cfg) << "Host jumphost\n  HostName 127.0.0.1\n  Port " << jump.port()
                       << "\n  User root\n  IdentityFile " << jump.client_key()
                       << "\n  IdentitiesOnly yes\n  UserKnownHostsFile " << kh
                       << "\n  GlobalKnownHostsFile /dev/null\n"
                       << "Host " << kNode << "\n  HostName 127.0.0.1\n  Port " << target.port()
                       << "\n  User root\n  IdentityFile " << target.client_key()
                       << "\n  ProxyJump jumphost\n";
    std::ofstream(kh) << jump.known_hosts_line() << "\n" << target.known_hosts_line() << "\n";
  }

  [[nodiscard]] SshOptions options() const {
    SshOptions o = test_options(kh);
    o.ssh_config = cfg;
    return o;
  }
  static NodeSpec node(std::vector<StreamSpec> streams) {
    NodeSpec n = parse_node_argument(kNode).value();
    n.plan = [streams](const Platform &) { return streams; };
    return n;
  }
  // Local `ssh -F CFG ... -W` processes still running.
  [[nodiscard]] int jump_clients() const { return count_processes(cfg); }
};

// A stream that prints "tick" five times a second, and waiting for three of its lines.
constexpr const char *kTicking = "while :; do echo tick; sleep 0.2; done";
bool three_ticks(EventQueue &queue, std::vector<Event> &seen, const std::string &node,
                 std::chrono::milliseconds timeout) {
  int ticks = 0;
  return wait_for(
      queue, seen,
      [&](const Event &e) {
        ticks += has_line(e, node, "tick") ? 1 : 0;
        return ticks >= 3;
      },
      timeout);
}

bool down_with(const Event &e, const std::string &text) {
  const auto *s = std::get_if<NodeStatus>(&e);
  return s != nullptr && s->node == kNode && s->stream.empty() && s->state == NodeState::down &&
         s->detail.find(text) != std::string::npos;
}

// The real binary, headless: figures arrive through the jump, the jump is what carries the
// target's TCP connection, and SIGTERM leaves nothing on either sshd or on this machine.
TEST(SshJump, BinaryStreamsThroughTheJumpHostAndLeavesNothing) {
  NoAgent no_agent;
  JumpLab lab;
  ASSERT_TRUE(lab.jump.start() && lab.target.start());
  const std::string dir = lab.target.dir();
  const std::string log = dir + "/jump-tag-7731.log"; // its tail -F runs "on the node"
  std::ofstream(log) << "";
  std::ofstream(dir + "/cluster.toml")
      << "[ssh]\nconfig_file = \"" << lab.cfg << "\"\nknown_hosts = \"" << lab.kh
      << "\"\nconnect_timeout = \"5s\"\n[[node]]\nname = \"" << kNode << "\"\nlogs = [\"" << log
      << "\"]\n";
  const std::string out = dir + "/out.jsonl";
  const std::string err = dir + "/err.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen(err.c_str(), "w", stderr);
    execl(CLUSTERTOP_BINARY, "clustertop", "--headless", "--json", "--interval", "500ms", "-c",
          (dir + "/cluster.toml").c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  auto up = [&] {
    std::istringstream lines(read_file(out));
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "figures" && j.value("node", "") == kNode &&
          j.value("state", "") == "up" && j["mem_total_bytes"].is_number())
        return true;
    }
    return false;
  };
  EXPECT_TRUE(eventually(up, 15s)) << read_file(out).substr(0, 3000) << read_file(err);

  // The jump was used: every client end of a TCP connection to the target's port belongs to
  // the jump sshd (its session process opened it for `ssh -W`), none to clustertop.
  const auto clients = tcp_clients_of(lab.target.port());
  EXPECT_FALSE(clients.empty()) << "no connection to the target at all";
  for (pid_t c : clients) {
    EXPECT_NE(c, pid) << "clustertop connected to the target directly";
    EXPECT_TRUE(descends_from(c, lab.jump.pid())) << "pid " << c << " is not the jump sshd's";
  }
  // Each hop authenticated with its own key from the config: the jump's key at the jump.
  const std::string jump_log = read_file(lab.jump.log());
  EXPECT_NE(jump_log.find("Accepted publickey for root"), std::string::npos) << jump_log;
  EXPECT_NE(jump_log.find(fingerprint(lab.jump.client_key() + ".pub")), std::string::npos)
      << jump_log;
  EXPECT_NE(read_file(lab.target.log()).find(fingerprint(lab.target.client_key() + ".pub")),
            std::string::npos);
  EXPECT_GE(count_processes("jump-tag-7731"), 1) << "the log follower runs on the node";

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_file(err);
  EXPECT_TRUE(eventually([] { return count_processes("jump-tag-7731") == 0; }, 5s))
      << "the node's tail -F outlived clustertop";
  EXPECT_TRUE(eventually([&] { return lab.jump_clients() == 0; }, 5s))
      << "the jump's ssh -W outlived clustertop";
  EXPECT_TRUE(eventually([&] { return descendants(lab.jump.pid()).empty(); }, 5s))
      << "a session is still open on the jump host";
  EXPECT_TRUE(eventually([&] { return descendants(lab.target.pid()).empty(); }, 5s))
      << "a session is still open on the node";
}

// Jump sshd refusing connections, then accepting TCP but never answering: the node goes
// down with a message naming it and the jump host, within the connect timeout.
TEST(SshJump, DeadJumpHostFailsClearlyWithinTheConnectTimeout) {
  NoAgent no_agent;
  JumpLab lab;
  ASSERT_TRUE(lab.target.start()); // the jump sshd is not running
  const SshOptions o = lab.options();
  EventQueue queue;
  auto t = make_ssh_transport({JumpLab::node({{"t", "echo hi"}})}, o, queue);
  auto t0 = std::chrono::steady_clock::now();
  t->start();
  std::vector<Event> seen;
  const auto down_jump = [](const Event &e) { return down_with(e, "jump host jumphost"); };
  ASSERT_TRUE(wait_for(queue, seen, down_jump, 6s)) << describe(seen);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, o.connect_timeout) << describe(seen);
  const auto &refused = *std::find_if(seen.begin(), seen.end(), down_jump);
  const std::string detail = std::get<NodeStatus>(refused).detail;
  EXPECT_NE(detail.find("node " + kNode), std::string::npos) << detail;
  // The command to try runs the whole chain (OpenSSH prints what libssh threw away).
  EXPECT_NE(detail.find("ssh -F '" + lab.cfg + "' -o BatchMode=yes '" + kNode + "' true"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("jump host jumphost"), std::string::npos) << detail;
  t->stop();
  EXPECT_TRUE(eventually([&] { return lab.jump_clients() == 0; }, 3s));

  // Listening but frozen: TCP connects, no banner ever comes.
  ASSERT_TRUE(lab.jump.start());
  ::kill(lab.jump.pid(), SIGSTOP);
  EventQueue queue2;
  auto t2 = make_ssh_transport({JumpLab::node({{"t", "echo hi"}})}, o, queue2);
  t0 = std::chrono::steady_clock::now();
  t2->start();
  std::vector<Event> seen2;
  const bool timed_out = wait_for(
      queue2, seen2, [](const Event &e) { return down_with(e, "jump host jumphost"); }, 7s);
  const auto took = std::chrono::steady_clock::now() - t0;
  t2->stop();
  ::kill(lab.jump.pid(), SIGCONT);
  EXPECT_TRUE(timed_out) << describe(seen2);
  EXPECT_LT(took, o.connect_timeout + 1500ms) << describe(seen2);
  EXPECT_TRUE(eventually([&] { return lab.jump_clients() == 0; }, 3s));
}

// Both sshds up, known_hosts holding only `known_line`, one node through the jump: it must
// go down with `text` in its status.
void expect_down_knowing_only(JumpLab &lab, const std::string &known_line,
                              const std::string &text) {
  std::ofstream(lab.kh) << known_line << "\n";
  ASSERT_TRUE(lab.jump.start() && lab.target.start());
  EventQueue queue;
  auto t = make_ssh_transport({JumpLab::node({{"t", "echo hi"}})}, lab.options(), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return down_with(e, text); }, 6s))
      << describe(seen);
  t->stop();
}

// Strict host keys on both hops: an unknown jump host key stops the jump's ssh before it
// authenticates, and an unknown node key stops libssh before it authenticates.
TEST(SshJump, HostKeysStayStrictOnBothHops) {
  NoAgent no_agent;
  {
    JumpLab lab; // the jump's key is missing
    ASSERT_NO_FATAL_FAILURE(
        expect_down_knowing_only(lab, lab.target.known_hosts_line(), "jump host jumphost"));
    // (Sshd::start's port probe shows as one "Connection from" in each log: look at auth.)
    EXPECT_EQ(read_file(lab.jump.log()).find("Accepted publickey"), std::string::npos);
    EXPECT_EQ(read_file(lab.target.log()).find("Accepted publickey"), std::string::npos);
  }
  {
    JumpLab lab; // the node's key is missing
    ASSERT_NO_FATAL_FAILURE(
        expect_down_knowing_only(lab, lab.jump.known_hosts_line(), "unknown host key"));
    EXPECT_NE(read_file(lab.jump.log()).find("Accepted publickey"), std::string::npos);
    EXPECT_EQ(read_file(lab.target.log()).find("Accepted publickey"), std::string::npos);
  }
}

// clustertop blocks SIGINT/SIGTERM/SIGHUP in every thread for its signalfd. libssh stops the
// jump's ssh with SIGTERM and waits for it; if the child inherited the mask, a jump host that
// stopped answering would hold stop() until ssh's own keepalive gives up (6 s and more).
TEST(SshJump, FrozenJumpHostDoesNotHoldUpStop) {
  NoAgent no_agent;
  sigset_t old_mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &old_mask);
  SignalWatcher signals; // as main() does: the mask blocked, forked children unblocked
  JumpLab lab;
  ASSERT_TRUE(lab.jump.start() && lab.target.start());
  EventQueue queue;
  auto t = make_ssh_transport({JumpLab::node({{"t", kTicking}})}, lab.options(), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(three_ticks(queue, seen, kNode, 8s)) << describe(seen);
  const auto frozen = descendants(lab.jump.pid());
  for (pid_t p : frozen) ::kill(p, SIGSTOP);
  auto stopping = std::async(std::launch::async, [&] { t->stop(); });
  const bool prompt = stopping.wait_for(3s) == std::future_status::ready;
  for (pid_t p : frozen) ::kill(p, SIGCONT);
  stopping.wait();
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  EXPECT_TRUE(prompt) << "stop() waited on the jump's ssh";
  EXPECT_TRUE(eventually([&] { return lab.jump_clients() == 0; }, 3s));
}

// `ProxyJump hop1,hop2`: three sshds, each hop with its own host key and client key. OpenSSH
// visits the hops in the order written (hop1 first), and options given to `ssh` on its
// command line reach only its destination, not the hops it jumps through.
struct TwoHopLab {
  static constexpr const char *kNode = "gpu-behind-two-jumps";
  Sshd hop1{"127.0.0.1", {}, {"LogLevel VERBOSE"}};
  Sshd hop2{"127.0.0.1", {}, {"LogLevel VERBOSE"}};
  Sshd target{"127.0.0.1", {}, {"LogLevel VERBOSE"}};
  // A quote, a space and a '%' in the paths of the config, known_hosts and the node's key:
  // libssh expands % escapes in all three, and the config's path is written into the nested
  // commands, each quoted for a shell and escaped for the ssh that expands it.
  std::string cfg_dir = target.dir() + "/it's 100%";
  std::string cfg = cfg_dir + "/two_hop_ssh_config";
  std::string kh = cfg_dir + "/two_hop_known_hosts";
  std::string node_key = cfg_dir + "/node key";

  TwoHopLab() {
    ::mkdir(cfg_dir.c_str(), 0700);
    sh("cp '" + target.client_key() + "' \"" + node_key + "\"");
    std::ofstream out(cfg);
    // OpenSSH expands % escapes in a config's paths as libssh does: the same escaping.
    for (const auto &[name, sshd] : {std::pair<std::string, Sshd *>{"hop1", &hop1},
                                     std::pair<std::string, Sshd *>{"hop2", &hop2}})
      out << "Host " << name << "\n  HostName 127.0.0.1\n  Port " << sshd->port()
          << "\n  User root\n  IdentityFile " << sshd->client_key()
          << "\n  IdentitiesOnly yes\n  UserKnownHostsFile \"" << ssh::percent_escaped(kh)
          << "\"\n  GlobalKnownHostsFile /dev/null\n";
    out << "Host " << kNode << "\n  HostName 127.0.0.1\n  Port " << target.port()
        << "\n  User root\n  IdentitiesOnly yes\n  ProxyJump hop1,hop2\n";
  }
  void know(const std::vector<const Sshd *> &hosts) const {
    std::ofstream out(kh);
    for (const auto *h : hosts) out << h->known_hosts_line() << "\n";
  }
  [[nodiscard]] SshOptions options() const {
    SshOptions o = test_options(kh);
    o.ssh_config = cfg;
    return o;
  }
  [[nodiscard]] NodeSpec node(std::vector<StreamSpec> streams) const {
    NodeSpec n = parse_node_argument(kNode).value();
    n.identity_file = node_key;
    n.plan = [streams](const Platform &) { return streams; };
    return n;
  }
  // The `ssh ... -W` processes of the chain running on this machine.
  [[nodiscard]] std::vector<std::string> jump_clients() const {
    std::vector<std::string> out;
    for (auto &c : command_lines(cfg))
      if (c.find(" -W ") != std::string::npos) out.push_back(c);
    return out;
  }
};

std::string joined(const std::vector<std::string> &lines) {
  std::string out;
  for (const auto &l : lines) out += "\n  " + l;
  return out;
}

TEST(SshJump, TwoHopsAreVisitedInTheWrittenOrderEachWithOurOptions) {
  NoAgent no_agent;
  TwoHopLab lab;
  lab.know({&lab.hop1, &lab.hop2, &lab.target});
  ASSERT_TRUE(lab.hop1.start() && lab.hop2.start() && lab.target.start());
  EventQueue queue;
  auto t = make_ssh_transport({lab.node({{"t", kTicking}})}, lab.options(), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(three_ticks(queue, seen, TwoHopLab::kNode, 10s)) << describe(seen);

  // hop1 is reached from here, hop2 from hop1, the node from hop2.
  const auto from_hop1 = tcp_clients_of(lab.hop2.port());
  const auto from_hop2 = tcp_clients_of(lab.target.port());
  EXPECT_FALSE(from_hop1.empty() || from_hop2.empty()) << "a hop was skipped";
  for (pid_t c : from_hop1)
    EXPECT_TRUE(descends_from(c, lab.hop1.pid())) << "hop2 was not reached through hop1";
  for (pid_t c : from_hop2)
    EXPECT_TRUE(descends_from(c, lab.hop2.pid())) << "the node was not reached through hop2";
  for (pid_t c : tcp_clients_of(lab.hop1.port()))
    EXPECT_FALSE(descends_from(c, lab.hop2.pid()) || descends_from(c, lab.target.pid()));
  for (const auto *h : {&lab.hop1, &lab.hop2, &lab.target})
    EXPECT_NE(read_file(h->log()).find(fingerprint(h->client_key() + ".pub")), std::string::npos)
        << "each hop authenticates with its own key";

  // Every ssh of the chain runs in batch mode with strict host keys, our connect timeout and
  // keepalive: none may prompt on the dashboard's terminal or wait on a dead hop.
  const auto clients = lab.jump_clients();
  EXPECT_EQ(clients.size(), 2U) << joined(clients);
  for (const auto &c : clients)
    for (const char *option :
         {"BatchMode=yes", "StrictHostKeyChecking=yes", "ConnectTimeout=", "ServerAliveInterval="})
      EXPECT_NE(c.find(option), std::string::npos) << option << " missing in: " << c;
  t->stop();
  EXPECT_TRUE(eventually([&] { return lab.jump_clients().empty(); }, 3s))
      << joined(lab.jump_clients());
}

// The first hop's host key unknown: the chain stops at hop1 before authenticating anywhere,
// and the node goes down naming the jump.
TEST(SshJump, AnUnknownFirstHopKeyStopsTheChain) {
  NoAgent no_agent;
  TwoHopLab lab;
  lab.know({&lab.hop2, &lab.target});
  ASSERT_TRUE(lab.hop1.start() && lab.hop2.start() && lab.target.start());
  EventQueue queue;
  auto t = make_ssh_transport({lab.node({{"t", "echo hi"}})}, lab.options(), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(wait_for(
      queue, seen,
      [](const Event &e) {
        const auto *s = std::get_if<NodeStatus>(&e);
        return s != nullptr && s->node == TwoHopLab::kNode && s->stream.empty() &&
               s->state == NodeState::down &&
               s->detail.find("through jump hosts hop1, then hop2") != std::string::npos &&
               s->detail.find("key for each jump host") != std::string::npos;
      },
      8s))
      << describe(seen);
  t->stop();
  for (const auto *h : {&lab.hop1, &lab.hop2, &lab.target})
    EXPECT_EQ(read_file(h->log()).find("Accepted publickey"), std::string::npos) << h->log();
}

// The first hop accepts TCP but never answers: the node goes down within the connect
// timeout (the first hop's ssh has a ConnectTimeout of its own), and stop() leaves no ssh.
TEST(SshJump, AFrozenFirstHopFailsWithinTheConnectTimeout) {
  NoAgent no_agent;
  TwoHopLab lab;
  lab.know({&lab.hop1, &lab.hop2, &lab.target});
  ASSERT_TRUE(lab.hop1.start() && lab.hop2.start() && lab.target.start());
  ::kill(lab.hop1.pid(), SIGSTOP);
  const SshOptions o = lab.options();
  EventQueue queue;
  auto t = make_ssh_transport({lab.node({{"t", "echo hi"}})}, o, queue);
  const auto t0 = std::chrono::steady_clock::now();
  t->start();
  std::vector<Event> seen;
  const bool down = wait_for(
      queue, seen,
      [](const Event &e) {
        const auto *s = std::get_if<NodeStatus>(&e);
        return s != nullptr && s->node == TwoHopLab::kNode && s->stream.empty() &&
               s->state == NodeState::down;
      },
      8s);
  const auto took = std::chrono::steady_clock::now() - t0;
  t->stop();
  ::kill(lab.hop1.pid(), SIGCONT);
  EXPECT_TRUE(down) << describe(seen);
  EXPECT_LT(took, o.connect_timeout + 1500ms) << describe(seen);
  EXPECT_TRUE(eventually([&] { return lab.jump_clients().empty(); }, 3s))
      << joined(lab.jump_clients());
}

} // namespace
} // namespace clustertop::test
