// Host key policies against a real sshd (ok / changed / unknown × strict / accept-new / off),
// agent and key-file authentication, ~/.ssh/config aliases, and hostile names and paths.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "clustertop/core/shell_quote.hpp"
#include "ssh_test_util.hpp"

namespace clustertop::test {
namespace {

using namespace std::chrono_literals;

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Runs one node until it is up (and its marker command ran) or down; returns the last
// node-level status.
NodeStatus run_node(NodeSpec node, const SshOptions &options, std::vector<Event> &seen) {
  EventQueue queue;
  auto transport = make_ssh_transport({node}, options, queue);
  transport->start();
  NodeStatus last;
  wait_for(
      queue, seen,
      [&](const Event &e) {
        const auto *s = std::get_if<NodeStatus>(&e);
        if (s == nullptr || !s->stream.empty() || s->node != node.name) return false;
        last = *s;
        return s->state == NodeState::up || s->state == NodeState::down;
      },
      8s);
  if (last.state == NodeState::up)
    wait_for(
        queue, seen, [&](const Event &e) { return has_line(e, node.name, "ran"); }, 5s);
  transport->stop();
  return last;
}

// An ssh-agent of the test's own on `sock`, holding `keys`, as SSH_AUTH_SOCK while it lives.
struct TestAgent {
  pid_t pid = -1;
  bool ready = false; // started, and every key added
  TestAgent(const std::string &sock, const std::vector<std::string> &keys) {
    pid = ::fork();
    if (pid == 0) {
      ::freopen("/dev/null", "w", stdout);
      ::execl("/usr/bin/ssh-agent", "ssh-agent", "-D", "-a", sock.c_str(),
              static_cast<char *>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !exists(sock); ++i) std::this_thread::sleep_for(20ms);
    ready = exists(sock);
    for (const auto &key : keys)
      ready = ready && sh("SSH_AUTH_SOCK=" + shell_quote(sock) + " ssh-add -q " + shell_quote(key) +
                          " 2>&1") == 0;
    ::setenv("SSH_AUTH_SOCK", sock.c_str(), 1);
  }
  TestAgent(const TestAgent &) = delete;
  TestAgent &operator=(const TestAgent &) = delete;
  ~TestAgent() {
    ::unsetenv("SSH_AUTH_SOCK");
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};

class SshServer : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    server_ = new Sshd();
    ASSERT_TRUE(server_->start());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  NodeSpec marker_node(const std::string &marker) {
    return node_for(*server_, {{"m", "touch " + shell_quote(marker) + "; echo ran"}});
  }
  // An ssh config (dir/NAME) whose `Host ALIAS` reaches the server as root with the client
  // key, with `extra` ("  Keyword value\n" lines) in that block.
  static std::string alias_config(const std::string &name, const std::string &alias,
                                  const std::string &extra) {
    const std::string cfg = server_->dir() + "/" + name;
    std::ofstream(cfg) << "Host " << alias << "\n  HostName 127.0.0.1\n  Port " << server_->port()
                       << "\n  User root\n  IdentityFile " << server_->client_key() << "\n"
                       << extra;
    return cfg;
  }
  // The node ALIAS whose one stream touches `marker`: the file exists only if a command ran.
  static NodeSpec alias_node(const std::string &alias, const std::string &marker) {
    NodeSpec node = parse_node_argument(alias).value();
    node.plan = [marker](const Platform &) {
      return std::vector<StreamSpec>{{"m", "touch " + shell_quote(marker) + "; echo ran"}};
    };
    return node;
  }
  static Sshd *server_;
  NoAgent no_agent_;
};
Sshd *SshServer::server_ = nullptr;

struct KeyCase {
  const char *known;  // ok | changed | unknown | revoked | revokedonly
  const char *policy; // strict | accept-new | off
  bool connects;
  const char *says; // in the down detail
};

class SshHostKey : public SshServer, public ::testing::WithParamInterface<KeyCase> {};

TEST_P(SshHostKey, PolicyDecides) {
  const KeyCase c = GetParam();
  std::vector<std::string> lines;
  if (std::string(c.known) == "ok") lines.push_back(server_->known_hosts_line());
  if (std::string(c.known) == "changed") lines.push_back(server_->other_key_line());
  // The server's key marked @revoked (for any host): beside a plain line for it, or alone.
  const std::string line = server_->known_hosts_line();
  const std::string revoked = "@revoked * " + line.substr(line.find(' ') + 1);
  if (std::string(c.known) == "revoked") lines = {revoked, line};
  if (std::string(c.known) == "revokedonly") lines = {revoked};
  const std::string kh =
      write_known_hosts(*server_, lines, std::string("kh-") + c.known + c.policy);
  SshOptions o = test_options(kh);
  o.host_key_checking = parse_host_key_policy(c.policy).value();
  const std::string marker = server_->dir() + "/ran-" + c.known + c.policy;
  std::vector<Event> seen;
  const NodeStatus st = run_node(marker_node(marker), o, seen);
  if (c.connects) {
    EXPECT_EQ(st.state, NodeState::up) << describe(seen);
    EXPECT_TRUE(exists(marker));
  } else {
    EXPECT_EQ(st.state, NodeState::down) << describe(seen);
    EXPECT_NE(st.detail.find(c.says), std::string::npos) << st.detail;
    EXPECT_NE(st.detail.find("SHA256:"), std::string::npos) << st.detail;
    EXPECT_FALSE(exists(marker)) << "a command ran on a node whose key was refused";
  }
  const std::string after = read_file(kh);
  const bool recorded = after.find(server_->known_hosts_line()) != std::string::npos;
  if (std::string(c.known) == "unknown")
    EXPECT_EQ(recorded, std::string(c.policy) == "accept-new") << after;
  // The hint's ssh reaches the node as clustertop does and records the key in its file.
  if (std::string(c.known) == "unknown" && std::string(c.policy) == "strict")
    EXPECT_NE(st.detail.find("`ssh -F none -o " + shell_quote("UserKnownHostsFile=" + kh) + " -p " +
                             std::to_string(server_->port()) + " 'root@127.0.0.1'`"),
              std::string::npos)
        << st.detail;
  if (std::string(c.known) == "revokedonly") EXPECT_FALSE(recorded) << after;
}

// accept-new with a known_hosts whose last line has no newline (written with printf, or an
// editor that leaves none): libssh appended the new key onto that line, and from then on both
// hosts were unknown. The file's last line is ended first; both entries stay whole.
TEST_F(SshServer, AcceptNewEndsAnUnfinishedLastLineBeforeRecording) {
  const std::string other = "[10.9.8.7]:2222 " + server_->other_key_line().substr(
                                                     server_->other_key_line().find(' ') + 1);
  const std::string kh = server_->dir() + "/kh-no-newline";
  {
    std::ofstream out(kh, std::ios::binary);
    out << other; // no final newline
  }
  SshOptions o = test_options(kh);
  o.host_key_checking = HostKeyPolicy::accept_new;
  std::vector<Event> seen;
  const NodeStatus st = run_node(marker_node(server_->dir() + "/ran-nonl"), o, seen);
  EXPECT_EQ(st.state, NodeState::up) << describe(seen);
  std::istringstream after(read_file(kh));
  std::vector<std::string> lines;
  for (std::string l; std::getline(after, l);)
    if (!l.empty()) lines.push_back(l);
  ASSERT_EQ(lines.size(), 2u) << read_file(kh);
  EXPECT_EQ(lines[0], other);
  EXPECT_EQ(lines[1].rfind("[127.0.0.1]:" + std::to_string(server_->port()) + " ", 0), 0u)
      << lines[1];
}

INSTANTIATE_TEST_SUITE_P(Matrix, SshHostKey,
                         ::testing::Values(KeyCase{"ok", "strict", true, ""},
                                           KeyCase{"ok", "accept-new", true, ""},
                                           KeyCase{"ok", "off", true, ""},
                                           KeyCase{"changed", "strict", false, "ssh-keygen -R"},
                                           KeyCase{"changed", "accept-new", false, "ssh-keygen -R"},
                                           KeyCase{"changed", "off", true, ""},
                                           KeyCase{"unknown", "strict", false, "unknown host key"},
                                           KeyCase{"unknown", "accept-new", true, ""},
                                           KeyCase{"unknown", "off", true, ""},
                                           // OpenSSH refuses a revoked key under every policy.
                                           KeyCase{"revoked", "strict", false, "@revoked"},
                                           KeyCase{"revoked", "accept-new", false, "@revoked"},
                                           KeyCase{"revoked", "off", false, "@revoked"},
                                           KeyCase{"revokedonly", "accept-new", false, "@revoked"}),
                         [](const auto &info) {
                           std::string n = std::string(info.param.known) + "_" + info.param.policy;
                           for (auto &ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// `StrictHostKeyChecking no` in the ssh config made libssh call every key known, a changed
// or unknown one too: --host-key-checking (strict by default) alone decides.
TEST_F(SshServer, TheSshConfigCannotTurnHostKeyCheckingOff) {
  const std::string cfg =
      alias_config("nocheck_ssh_config", "ctnocheck", "  StrictHostKeyChecking no\n");
  for (const std::string known : {"changed", "unknown"}) {
    const std::vector<std::string> lines = known == "changed"
                                               ? std::vector<std::string>{server_->other_key_line()}
                                               : std::vector<std::string>{};
    SshOptions o = test_options(write_known_hosts(*server_, lines, "kh-nocheck-" + known));
    o.ssh_config = cfg;
    const std::string marker = server_->dir() + "/ran-nocheck-" + known;
    std::vector<Event> seen;
    const NodeStatus st = run_node(alias_node("ctnocheck", marker), o, seen);
    EXPECT_EQ(st.state, NodeState::down) << known << "\n" << describe(seen);
    EXPECT_NE(st.detail.find(known == "changed" ? "host key changed" : "unknown host key"),
              std::string::npos)
        << st.detail;
    EXPECT_FALSE(exists(marker)) << "a command ran on a node whose key was refused";
  }
}

// A changed key in the known-hosts file the ssh config names (UserKnownHostsFile): the message
// named ~/.ssh/known_hosts, and its `ssh-keygen -R` (no -f) would have edited that file.
TEST_F(SshServer, AChangedKeyNamesTheFileTheSshConfigChecks) {
  const std::string kh = write_known_hosts(*server_, {server_->other_key_line()}, "kh-ukhf");
  SshOptions o = test_options("");
  o.ssh_config = alias_config("ukhf_ssh_config", "ctukhf", "  UserKnownHostsFile " + kh + "\n");
  const std::string marker = server_->dir() + "/ran-ukhf";
  std::vector<Event> seen;
  const NodeStatus st = run_node(alias_node("ctukhf", marker), o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("does not match " + kh), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find(" -f " + shell_quote(kh)), std::string::npos) << st.detail;
  EXPECT_EQ(st.detail.find("~/.ssh/known_hosts"), std::string::npos) << st.detail;
  EXPECT_FALSE(exists(marker)) << "a command ran on a node whose key was refused";
}

// A key marked @revoked in a known-hosts file the ssh config names (UserKnownHostsFile,
// GlobalKnownHostsFile) is refused like one in --known-hosts: only ~/.ssh/known_hosts or
// --known-hosts were searched, while libssh accepted the plain line beside the mark.
TEST_F(SshServer, AKeyRevokedInAFileTheSshConfigNamesIsRefused) {
  const std::string line = server_->known_hosts_line();
  const std::string revoked = "@revoked * " + line.substr(line.find(' ') + 1);
  // The last: quoted, with a token libssh expands (%h: the host name, 127.0.0.1).
  for (const std::string keyword :
       {"UserKnownHostsFile", "GlobalKnownHostsFile", "UserKnownHostsFile=\"%h"}) {
    const bool token = keyword.back() == 'h';
    const std::string kh = write_known_hosts(*server_, {revoked, line},
                                             token ? "kh named 127.0.0.1" : "kh-named-" + keyword);
    const std::string plain = write_known_hosts(*server_, {line}, "kh-plain-" + keyword);
    const std::string named =
        token ? "UserKnownHostsFile=\"" + server_->dir() + "/kh named %h\"" : keyword + " " + kh;
    // Named as the user file, it is the one checked; as the global one, --known-hosts is.
    SshOptions o = test_options(keyword.starts_with("UserKnownHostsFile") ? "" : plain);
    o.ssh_config = alias_config("named_ssh_config_" + std::to_string(named.size()), "ctnamed",
                                "  " + named + "\n");
    const std::string marker = server_->dir() + "/ran-named-" + keyword;
    std::vector<Event> seen;
    const NodeStatus st = run_node(alias_node("ctnamed", marker), o, seen);
    EXPECT_EQ(st.state, NodeState::down) << keyword << "\n" << describe(seen);
    EXPECT_NE(st.detail.find("@revoked in " + kh), std::string::npos) << st.detail;
    EXPECT_FALSE(exists(marker)) << "a command ran on a node whose key was refused";
  }
}

// `UserKnownHostsFile A B`: OpenSSH reads both, libssh only A. A key kept in B was "not in A"
// (and `ssh NODE`, the advice, knew it and recorded nothing); another key for the node in B
// is a changed key, named in B; a key @revoked in B is refused though A holds it plainly.
// Under accept-new, a key in B is known: it is not recorded again in A (it was).
TEST_F(SshServer, EveryFileOfAUserKnownHostsFileLineIsRead) {
  const std::string line = server_->known_hosts_line();
  struct Case {
    std::string name;
    HostKeyPolicy policy;
    std::vector<std::string> first, second;
    bool connects;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"second", HostKeyPolicy::strict, {}, {line}, true, ""},
      {"second-accept-new", HostKeyPolicy::accept_new, {}, {line}, true, ""},
      {"changed", HostKeyPolicy::strict, {}, {server_->other_key_line()}, false, "does not match "},
      {"revoked",
       HostKeyPolicy::strict,
       {line},
       {"@revoked * " + line.substr(line.find(' ') + 1)},
       false,
       "is marked @revoked in "},
  };
  for (const auto &c : cases) {
    const std::string a = write_known_hosts(*server_, c.first, "kh-a-" + c.name);
    const std::string b = write_known_hosts(*server_, c.second, "kh-b-" + c.name);
    SshOptions o = test_options("");
    o.host_key_checking = c.policy;
    o.ssh_config =
        alias_config("two_kh_" + c.name, "cttwokh", "  UserKnownHostsFile " + a + " " + b + "\n");
    const std::string marker = server_->dir() + "/ran-two-kh-" + c.name;
    std::vector<Event> seen;
    const NodeStatus st = run_node(alias_node("cttwokh", marker), o, seen);
    EXPECT_EQ(st.state, c.connects ? NodeState::up : NodeState::down)
        << c.name << ": " << st.detail << "\n"
        << describe(seen);
    EXPECT_EQ(exists(marker), c.connects) << c.name;
    if (!c.connects) EXPECT_NE(st.detail.find(c.says + b), std::string::npos) << st.detail;
    std::ifstream in(a);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
              c.first.empty() ? "" : line + "\n")
        << c.name << ": nothing recorded";
  }
}

// OpenSSH's reading of known_hosts lines, where libssh 0.10 differs: a line whose negated
// pattern matches the host excludes it (libssh took it for a match: the key counted as
// known); a key of another type in a second file is no changed key (libssh asks for the
// types the first file lists, and "host key changed" advised deleting the right line).
TEST_F(SshServer, KnownHostsLinesAreReadAsOpenSshReadsThem) {
  const std::string line = server_->known_hosts_line();
  const std::string key = line.substr(line.find(' ') + 1);
  const std::string port = std::to_string(server_->port());
  SshOptions o = test_options(write_known_hosts(
      *server_, {"[127.0.0.*]:" + port + ",![127.0.0.1]:" + port + " " + key}, "kh-negated"));
  std::vector<Event> seen;
  NodeStatus st = run_node(marker_node(server_->dir() + "/ran-negated"), o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("excludes this host"), std::string::npos) << st.detail;
  EXPECT_FALSE(exists(server_->dir() + "/ran-negated"));

  const std::string rsa = server_->dir() + "/other_type_key";
  ASSERT_EQ(sh("ssh-keygen -q -t rsa -b 2048 -N '' -f " + shell_quote(rsa)), 0);
  std::ifstream in(rsa + ".pub");
  std::string type, data;
  in >> type >> data;
  const std::string a = write_known_hosts(*server_, {}, "kh-a-other-type");
  const std::string b = write_known_hosts(
      *server_, {"[127.0.0.1]:" + port + " " + type + " " + data}, "kh-b-other-type");
  o = test_options("");
  o.ssh_config =
      alias_config("other_type", "ctothertype", "  UserKnownHostsFile " + a + " " + b + "\n");
  seen.clear();
  st = run_node(alias_node("ctothertype", server_->dir() + "/ran-other-type"), o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("host key of another type known"), std::string::npos) << st.detail;
  EXPECT_EQ(st.detail.find("ssh-keygen -R"), std::string::npos) << st.detail;
}

// A host name nothing resolves: no sshd was reached, so the advice is about the name, not
// about sshd's port (`.invalid` never resolves, RFC 2606).
TEST(SshConnect, AHostNameThatDoesNotResolveSaysSo) {
  NoAgent no_agent;
  NodeSpec node = parse_node_argument("nosuchhost.invalid").value();
  node.plan = [](const Platform &) { return std::vector<StreamSpec>{{"m", "echo ran"}}; };
  std::vector<Event> seen;
  SshOptions o = test_options("/dev/null");
  const NodeStatus st = run_node(node, o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("Failed to resolve hostname nosuchhost.invalid"), std::string::npos)
      << st.detail;
  EXPECT_NE(st.detail.find("check the node's host name"), std::string::npos) << st.detail;
  EXPECT_EQ(st.detail.find("sshd listens"), std::string::npos) << st.detail;
}

TEST_F(SshServer, NoUsableKeyFailsWithMethodsAndAdvice) {
  NodeSpec node = marker_node(server_->dir() + "/ran-nokey");
  node.identity_file.clear();
  std::vector<Event> seen;
  const NodeStatus st = run_node(
      node, test_options(write_known_hosts(*server_, {server_->known_hosts_line()})), seen);
  ASSERT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("authentication failed"), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find("ssh-agent"), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find("server accepts: publickey"), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find("ssh-add"), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find("as root on 127.0.0.1:" + std::to_string(server_->port()) + ", tried"),
            std::string::npos)
      << st.detail;
  // The tests read no ssh config (--ssh-config none): the advice does not point at one.
  EXPECT_NE(st.detail.find("(--ssh-config none: no IdentityFile read)"), std::string::npos)
      << st.detail;
  EXPECT_NE(st.detail.find("give the node an identity_file"), std::string::npos) << st.detail;
  EXPECT_EQ(st.detail.find("~/.ssh/config"), std::string::npos) << st.detail;
}

TEST_F(SshServer, AgentAuthentication) {
  TestAgent agent(server_->dir() + "/agent.sock", {server_->client_key()});
  ASSERT_TRUE(agent.ready);
  NodeSpec node = marker_node(server_->dir() + "/ran-agent");
  node.identity_file.clear(); // only the agent holds the key
  std::vector<Event> seen;
  const NodeStatus st = run_node(
      node, test_options(write_known_hosts(*server_, {server_->known_hosts_line()})), seen);
  EXPECT_EQ(st.state, NodeState::up) << describe(seen);
  EXPECT_TRUE(exists(server_->dir() + "/ran-agent"));
}

// sshd ends the connection after MaxAuthTries keys failed (the agent's keys are offered
// first). The node waited for the whole connect timeout, then blamed a missing key.
TEST(SshAuth, AServerThatHangsUpDuringAuthenticationIsDownAtOnceAndSaysSo) {
  Sshd server("127.0.0.1", {}, {"MaxAuthTries 1"});
  ASSERT_TRUE(server.start());
  std::vector<std::string> junk;
  for (const char *name : {"junk1", "junk2"}) {
    junk.push_back(server.dir() + "/" + name);
    ASSERT_EQ(sh("ssh-keygen -q -t ed25519 -N '' -f " + shell_quote(junk.back())), 0);
  }
  TestAgent agent(server.dir() + "/junk-agent.sock", junk);
  ASSERT_TRUE(agent.ready);
  NodeSpec node = node_for(server, {{"m", "echo ran"}});
  SshOptions o = test_options(write_known_hosts(server, {server.known_hosts_line()}));
  // run_node waits 8 s for up or down: a node left connecting until the 30 s timeout fails.
  o.connect_timeout = std::chrono::seconds(30);
  std::vector<Event> seen;
  const NodeStatus st = run_node(node, o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("closed the connection"), std::string::npos) << st.detail;
  EXPECT_NE(st.detail.find("MaxAuthTries"), std::string::npos) << st.detail;
}

TEST_F(SshServer, PassphraseKeyIsNeverPrompted) {
  const std::string key = server_->dir() + "/locked_key";
  ASSERT_EQ(sh("ssh-keygen -q -t ed25519 -N secret-pass -f " + shell_quote(key) + " && cat " +
               shell_quote(key + ".pub") + " >> " +
               shell_quote(server_->dir() + "/authorized_keys")),
            0);
  NodeSpec node = marker_node(server_->dir() + "/ran-locked");
  node.identity_file = key;
  std::vector<Event> seen;
  const NodeStatus st = run_node(
      node, test_options(write_known_hosts(*server_, {server_->known_hosts_line()})), seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("only through the agent"), std::string::npos) << st.detail;
}

// A passphrase-protected key in OpenSSL's PEM format (an old ~/.ssh/id_rsa): without a
// passphrase callback OpenSSL asked for it on the terminal, and the connect waited there for
// good, and the stop with it (SIGINT too). Run where the process has a terminal of its own.
TEST_F(SshServer, APemKeyWithAPassphraseIsNeverPromptedOnTheTerminal) {
  const std::string key = server_->dir() + "/locked_pem";
  ASSERT_EQ(sh("ssh-keygen -q -m PEM -t rsa -b 2048 -N secret-pass -f " + shell_quote(key) +
               " && cat " + shell_quote(key + ".pub") + " >> " +
               shell_quote(server_->dir() + "/authorized_keys")),
            0);
  const SshOptions options =
      test_options(write_known_hosts(*server_, {server_->known_hosts_line()}));
  int terminal = -1;
  const pid_t pid = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) { // the child: its controlling terminal is the pty
    ::unsetenv("SSH_AUTH_SOCK");
    NodeSpec node = marker_node(server_->dir() + "/ran-pem");
    node.identity_file = key;
    std::vector<Event> seen;
    const NodeStatus st = run_node(node, options, seen);
    ::_exit(st.state == NodeState::down &&
                    st.detail.find("only through the agent") != std::string::npos
                ? 0
                : 1);
  }
  std::string shown; // what the child wrote to its terminal: a prompt would be here
  int status = 0;
  bool exited = false;
  for (const auto until = std::chrono::steady_clock::now() + 30s;
       !exited && std::chrono::steady_clock::now() < until;) {
    pollfd p{terminal, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[512];
      const ssize_t n = ::read(terminal, buf, sizeof buf);
      if (n > 0) shown.append(buf, static_cast<std::size_t>(n));
    }
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::close(terminal);
  ASSERT_TRUE(exited) << "still connecting after 30 s; its terminal showed: " << shown;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << shown;
  EXPECT_EQ(shown.find("pass phrase"), std::string::npos) << shown;
}

TEST_F(SshServer, SshConfigAliasAndExplicitPortWins) {
  const std::string cfg = server_->dir() + "/ssh_config";
  std::ofstream(cfg) << "Host ctalias\n  HostName 127.0.0.1\n  Port " << server_->port()
                     << "\n  User root\n  IdentityFile " << server_->client_key() << "\n"
                     << "Host ctwrongport\n  HostName 127.0.0.1\n  Port 1\n  User root\n"
                     << "  IdentityFile " << server_->client_key() << "\n";
  SshOptions o = test_options(write_known_hosts(*server_, {server_->known_hosts_line()}));
  o.ssh_config = cfg;
  for (const std::string arg :
       {std::string("ctalias"), "ctwrongport:" + std::to_string(server_->port())}) {
    NodeSpec node = parse_node_argument(arg).value();
    const std::string marker = server_->dir() + "/ran-" + arg.substr(0, 7);
    node.plan = [marker](const Platform &) {
      return std::vector<StreamSpec>{{"m", "touch " + shell_quote(marker) + "; echo ran"}};
    };
    std::vector<Event> seen;
    const NodeStatus st = run_node(node, o, seen);
    EXPECT_EQ(st.state, NodeState::up) << arg << "\n" << describe(seen);
    EXPECT_TRUE(exists(marker)) << arg;
  }
}

// OpenSSH's own layouts: a `Host` block after one that set HostName (the specific block
// first, the general `Host ct-*` after it; a block naming several hosts, then each one's
// own). libssh 0.10 matched the later blocks against the HostName, so Port, User and
// IdentityFile were lost: port 22, refused. OpenSSH's reading (`ssh -G`) is taken.
TEST_F(SshServer, HostBlocksAfterAHostNameApplyAsInOpenSsh) {
  const std::string port = std::to_string(server_->port());
  const std::string key = server_->client_key();
  const std::string general_last = server_->dir() + "/general_last_ssh_config";
  std::ofstream(general_last) << "Host ct-first\n  HostName 127.0.0.1\n"
                              << "Host ct-*\n  Port " << port << "\n  User root\n"
                              << "  IdentityFile " << key << "\n";
  const std::string shared_first = server_->dir() + "/shared_first_ssh_config";
  std::ofstream(shared_first) << "Host ctone cttwo\n  HostName 127.0.0.1\n  User root\n"
                              << "Host ctone\n  Port " << port << "\n  IdentityFile " << key << "\n"
                              << "Host cttwo\n  Port 1\n";
  SshOptions o = test_options(write_known_hosts(*server_, {server_->known_hosts_line()}));
  for (const auto &[cfg, alias] : {std::pair{general_last, std::string("ct-first")},
                                   std::pair{shared_first, std::string("ctone")}}) {
    o.ssh_config = cfg;
    const std::string marker = server_->dir() + "/ran-" + alias;
    std::vector<Event> seen;
    const NodeStatus st = run_node(alias_node(alias, marker), o, seen);
    EXPECT_EQ(st.state, NodeState::up) << alias << "\n" << describe(seen);
    EXPECT_NE(st.detail.find("(root@127.0.0.1:" + port + ")"), std::string::npos) << st.detail;
    EXPECT_TRUE(exists(marker)) << alias;
  }
  // A config OpenSSH refuses (`ssh NODE` fails the same): said, with its line, where libssh's
  // reading alone dialled port 22 and said to check that sshd listens.
  const std::string refused = server_->dir() + "/refused_ssh_config";
  std::ofstream(refused) << "Host ct-first\n  HostName 127.0.0.1\n  Bogusoption yes\n"
                         << "Host ct-*\n  Port " << port << "\n  User root\n";
  o.ssh_config = refused;
  std::vector<Event> seen;
  const NodeStatus st = run_node(alias_node("ct-first", server_->dir() + "/ran-refused"), o, seen);
  EXPECT_EQ(st.state, NodeState::down) << describe(seen);
  EXPECT_NE(st.detail.find("cannot use the ssh config: OpenSSH refuses it: " + refused +
                           ": line 3: Bad configuration option: bogusoption"),
            std::string::npos)
      << st.detail;
  EXPECT_NE(st.detail.find("--ssh-config none"), std::string::npos) << st.detail;
}

// A jump host for every host but this one (`Host * !ct-direct`): libssh applies the block
// to ct-direct too, and the node was dialled through a jump host its config excludes, where
// `ssh ct-direct` connects directly.
TEST_F(SshServer, AJumpHostTheConfigExcludesIsNotUsed) {
  const std::string cfg = server_->dir() + "/negated_ssh_config";
  std::ofstream(cfg) << "Host ct-direct\n  HostName 127.0.0.1\n  Port " << server_->port()
                     << "\n  User root\n  IdentityFile " << server_->client_key() << "\n"
                     << "Host * !ct-direct\n  ProxyJump nobody@jump.invalid\n";
  SshOptions o = test_options(write_known_hosts(*server_, {server_->known_hosts_line()}));
  o.ssh_config = cfg;
  const std::string marker = server_->dir() + "/ran-direct";
  std::vector<Event> seen;
  const NodeStatus st = run_node(alias_node("ct-direct", marker), o, seen);
  EXPECT_EQ(st.state, NodeState::up) << describe(seen);
  EXPECT_TRUE(exists(marker));
}

TEST_F(SshServer, HostileLogPathIsFollowedNotExecuted) {
  // Markers without '/', so the hostile name stays one file name; if the shell ever ran
  // them they would appear in the remote account's home (cwd of the command).
  const std::string tag = "ct-pwned-" + std::to_string(::getpid());
  const std::string home = std::getenv("HOME") != nullptr ? std::getenv("HOME") : "/root";
  const std::string m1 = home + "/" + tag + "a", m2 = home + "/" + tag + "b";
  const std::string path =
      server_->dir() + "/x'$(touch " + tag + "a)`touch " + tag + "b`;\"y\n.log";
  std::ofstream(path) << "hello\n";
  NodeSpec node = node_for(*server_, {{"log:" + path, "tail -n +1 -F " + shell_quote(path)}});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(*server_, {server_->known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, node.name, "hello"); }, 8s))
      << describe(seen);
  t->stop();
  EXPECT_FALSE(exists(m1));
  EXPECT_FALSE(exists(m2));
  std::remove(m1.c_str());
  std::remove(m2.c_str());
}

TEST_F(SshServer, HostileNodeSpecFromConfigNeverConnects) {
  const std::string m = server_->dir() + "/pwned-user";
  NodeSpec node = marker_node(server_->dir() + "/ran-hostile");
  node.user = "$(touch " + m + ")";
  NodeSpec node2 = node;
  node2.name = "second";
  node2.user = "root";
  node2.host = "-oProxyCommand=touch " + m;
  std::vector<Event> seen;
  SshOptions o = test_options(write_known_hosts(*server_, {server_->known_hosts_line()}));
  EXPECT_EQ(run_node(node, o, seen).state, NodeState::down) << describe(seen);
  EXPECT_EQ(run_node(node2, o, seen).state, NodeState::down) << describe(seen);
  EXPECT_FALSE(exists(m));
  EXPECT_FALSE(exists(server_->dir() + "/ran-hostile"));
}

} // namespace
} // namespace clustertop::test
