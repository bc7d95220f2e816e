// Streams over a real sshd: several nodes, exited commands restarted, nothing left behind.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/ssh_session.hpp"
#include "ssh_test_util.hpp"
#include <dirent.h>
#include <fstream>
#include <signal.h>
#include <sys/stat.h>

namespace clustertop::test {
namespace {

using namespace std::chrono_literals;

TEST(SshStream, ThreeNodesStreamLines) {
  NoAgent no_agent;
  std::vector<std::unique_ptr<Sshd>> servers;
  std::vector<NodeSpec> nodes;
  std::vector<std::string> kh;
  for (int i = 0; i < 3; ++i) {
    servers.push_back(std::make_unique<Sshd>());
    ASSERT_TRUE(servers.back()->start());
    kh.push_back(servers.back()->known_hosts_line());
    nodes.push_back(node_for(*servers.back(),
                             {{"t", "echo a; sleep 0.3; echo b"}, {"u", "echo u-$((1+1))"}},
                             "n" + std::to_string(i)));
  }
  EventQueue queue;
  auto transport =
      make_ssh_transport(nodes, test_options(write_known_hosts(*servers[0], kh)), queue);
  transport->start();
  std::vector<Event> seen;
  for (int i = 0; i < 3; ++i) {
    const std::string n = "n" + std::to_string(i);
    EXPECT_TRUE(wait_for(
        queue, seen, [&](const Event &e) { return has_line(e, n, "b"); }, 8s))
        << describe(seen);
    EXPECT_TRUE(wait_for(
        queue, seen, [&](const Event &e) { return has_line(e, n, "u-2"); }, 2s))
        << describe(seen);
    EXPECT_TRUE(wait_for(
        queue, seen, [&](const Event &e) { return is_status(e, n, "", NodeState::up); }, 1s));
  }
  transport->stop();
}

TEST(SshStream, UnreachableNodeDoesNotDisturbTheOthers) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  NodeSpec good = node_for(sshd, {{"t", "while :; do echo tick; sleep 0.2; done"}}, "good");
  NodeSpec bad = good;
  bad.name = "bad";
  bad.port = free_port(); // nothing listens there
  EventQueue queue;
  auto t = make_ssh_transport(
      {bad, good}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  auto refused = [&](const Event &e) {
    const auto *st = std::get_if<NodeStatus>(&e);
    return st != nullptr && st->node == "bad" && st->state == NodeState::down &&
           st->detail.find("Connection refused") != std::string::npos;
  };
  EXPECT_TRUE(wait_for(queue, seen, refused, 8s)) << describe(seen);
  // Its hint is an ssh command that reaches the node as clustertop does: `ssh -v bad` named
  // the node's label, which ssh cannot resolve, and left out -F, the port and the user.
  const std::string hint = "ssh -v -F none -o " +
                           shell_quote("UserKnownHostsFile=" + sshd.dir() + "/known_hosts") +
                           " -p " + std::to_string(bad.port) + " 'root@127.0.0.1'";
  bool hinted = false;
  bool dialled = false; // which user, address and port were refused
  const std::string as =
      "Connection refused (as root on 127.0.0.1:" + std::to_string(bad.port) + ")";
  for (const auto &e : seen)
    if (const auto *st = std::get_if<NodeStatus>(&e); st != nullptr && st->node == "bad") {
      hinted = hinted || st->detail.find(hint) != std::string::npos;
      dialled = dialled || st->detail.find(as) != std::string::npos;
    }
  EXPECT_TRUE(hinted) << hint << "\n" << describe(seen);
  EXPECT_TRUE(dialled) << as << "\n" << describe(seen);
  int ticks = 0;
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) {
        ticks += has_line(e, "good", "tick") ? 1 : 0;
        return ticks >= 5;
      },
      8s))
      << describe(seen);
  int attempts = 0;
  for (const auto &e : seen) attempts += is_status(e, "bad", "", NodeState::connecting) ? 1 : 0;
  EXPECT_GE(attempts, 2) << "the unreachable node is retried";
  t->stop();
}

TEST(SshStream, BinaryJunkAndHugeLinesAreSurvived) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  StreamSpec junk{"junk", "head -c 300000 /dev/urandom; printf '\\0nul\\n'; "
                          "head -c 200000 /dev/zero | tr '\\0' x; echo; echo after"};
  junk.restart = false;
  const NodeSpec node = node_for(sshd, {junk});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, node.name, "after"); }, 8s))
      << describe(seen);
  std::size_t longest = 0;
  for (const auto &e : seen)
    if (const auto *b = std::get_if<LineBatch>(&e))
      for (const auto &l : b->lines) longest = std::max(longest, l.size());
  EXPECT_EQ(longest, 64U * 1024U) << "the 200 KB line is cut at the splitter's limit";
  t->stop();
}

TEST(SshStream, ExitedCommandIsReportedAndRestarted) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  EventQueue queue;
  auto transport =
      make_ssh_transport({node_for(sshd, {{"t", "echo run; echo oops >&2; exit 3"}})},
                         test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  transport->start();
  std::vector<Event> seen;
  const std::string n = sshd.node_arg();
  auto exited = [&](const Event &e) {
    const auto *s = std::get_if<NodeStatus>(&e);
    return s != nullptr && s->stream == "t" && s->state == NodeState::down &&
           s->detail == "exited with status 3: oops";
  };
  ASSERT_TRUE(wait_for(queue, seen, exited, 8s)) << describe(seen);
  int runs = 0;
  auto second_run = [&](const Event &e) {
    runs += has_line(e, n, "run") ? 1 : 0;
    return runs >= 2;
  };
  for (const auto &e : seen) second_run(e);
  EXPECT_TRUE(runs >= 2 || wait_for(queue, seen, second_run, 5s)) << describe(seen);
  transport->stop();
}

// The control for the test below: without the wrapper, a quiet command outlives its
// closed channel (so the "nothing left" assertions can fail).
TEST(SshStream, WithoutTheWrapperAQuietCommandSurvivesChannelClose) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  std::mt19937 rng{std::random_device{}()};
  const std::string tag = "3604." + std::to_string(rng() % 100000 + 100000);
  NodeSpec node = node_for(sshd, {});
  const SshOptions o = test_options(write_known_hosts(sshd, {sshd.known_hosts_line()}));
  auto s = ssh::new_session(node, o);
  ASSERT_TRUE(s.ok());
  const ssh::Deadline deadline{std::chrono::steady_clock::now() + 5s, nullptr};
  ASSERT_TRUE(ssh::connect_session(s->get(), node, o, deadline).ok());
  ASSERT_TRUE(ssh::verify_host_key(s->get(), node, o).ok());
  ASSERT_TRUE(ssh::authenticate(s->get(), node, o, deadline).ok());
  ssh_set_blocking(s->get(), 1);
  ssh_channel ch = ssh_channel_new(s->get());
  ASSERT_EQ(ssh_channel_open_session(ch), SSH_OK);
  ASSERT_EQ(ssh_channel_request_exec(ch, ("sleep " + tag).c_str()), SSH_OK);
  std::this_thread::sleep_for(300ms);
  ssh_channel_close(ch);
  ssh_channel_free(ch);
  s->reset(); // disconnect too
  std::this_thread::sleep_for(1s);
  EXPECT_GE(count_processes(tag), 1)
      << "a raw exec did not survive; the wrapper test proves little";
  // Clean up what this test started, by process id.
  if (DIR *d = ::opendir("/proc")) {
    while (dirent *e = ::readdir(d)) {
      std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline");
      std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (cmd.find(tag) != std::string::npos) ::kill(std::atoi(e->d_name), SIGKILL);
    }
    ::closedir(d);
  }
}

TEST(SshStream, NothingOutlivesTheChannelOrTheConnection) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  std::mt19937 rng{std::random_device{}()};
  // Quiet commands that survive a plain channel close: a sleep and a pipeline.
  const std::string tag1 = "3601." + std::to_string(rng() % 100000 + 100000);
  const std::string tag2 = "3602." + std::to_string(rng() % 100000 + 100000);
  EventQueue queue;
  auto transport = make_ssh_transport(
      {node_for(sshd, {{"a", "echo started; sleep " + tag1}, {"b", "sleep " + tag2 + " | cat"}})},
      test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  transport->start();
  std::vector<Event> seen;
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, sshd.node_arg(), "started"); }, 8s))
      << describe(seen);
  std::this_thread::sleep_for(300ms);
  EXPECT_GE(count_processes(tag1), 1);
  EXPECT_GE(count_processes(tag2), 1);
  transport->stop();
  int left = -1;
  for (int i = 0; i < 50 && left != 0; ++i) {
    std::this_thread::sleep_for(100ms);
    left = count_processes(tag1) + count_processes(tag2);
  }
  EXPECT_EQ(left, 0) << "remote processes left after stop()";
}

TEST(SshStream, ProbeFeedsThePlannerAndManyStreamsSpreadOverConnections) {
  NoAgent no_agent;
  // MaxSessions 10 on the server: twelve streams on one connection would lose two.
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  NodeSpec node = node_for(sshd, {});
  node.probe_command = "uname -s";
  node.parse_probe = [](const std::string &out) {
    Platform p;
    p.os = out.substr(0, out.find('\n'));
    return p;
  };
  node.plan = [](const Platform &p) {
    std::vector<StreamSpec> streams;
    for (int i = 0; i < 12; ++i)
      streams.push_back({"s" + std::to_string(i), "echo " + p.os + "-" + std::to_string(i)});
    for (auto &s : streams) s.restart = false;
    return streams;
  };
  // What the plan lacks, from the same probe, goes into the node's `up`.
  node.plan_note = [](const Platform &p) { return "no sampler for " + p.os; };
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  for (int i = 0; i < 12; ++i) {
    const std::string want = "Linux-" + std::to_string(i);
    EXPECT_TRUE(wait_for(
        queue, seen, [&](const Event &e) { return has_line(e, node.name, want); }, 8s))
        << want << "\n"
        << describe(seen);
  }
  t->stop();
  bool said = false;
  for (const auto &e : seen)
    if (const auto *st = std::get_if<NodeStatus>(&e); st && st->stream.empty())
      said = said || (st->state == NodeState::up &&
                      st->detail.ends_with(", 12 streams; no sampler for Linux"));
  EXPECT_TRUE(said) << describe(seen);
}

// An sshd with a lower MaxSessions (2, as hardened servers set it) and three streams on one
// connection: the third channel is refused. libssh then sent EOF for the refused channel,
// OpenSSH dropped the whole connection ("ieof packet referred to nonexistent channel") and the
// node was down for good. The two streams that opened keep running; the third says why and
// what to set.
TEST(SshStream, AChannelTheServerRefusesLeavesTheOthersRunning) {
  NoAgent no_agent;
  Sshd sshd("127.0.0.1", {}, {"MaxSessions 2"});
  ASSERT_TRUE(sshd.start());
  NodeSpec node = node_for(sshd, {{"a", "while :; do echo a; sleep 0.2; done"},
                                  {"b", "while :; do echo b; sleep 0.2; done"},
                                  {"c", "while :; do echo c; sleep 0.2; done"}});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  const auto refused = [&](const Event &e) {
    const auto *s = std::get_if<NodeStatus>(&e);
    return s != nullptr && s->node == node.name && s->state == NodeState::down &&
           s->detail.find("MaxSessions") != std::string::npos &&
           s->detail.find("max_sessions = 2") != std::string::npos;
  };
  EXPECT_TRUE(wait_for(queue, seen, refused, 8s)) << describe(seen);
  // Still connected three seconds on: lines of two streams keep coming, no reconnect.
  std::this_thread::sleep_for(3s);
  seen.clear();
  int a = 0, b = 0, c = 0;
  wait_for(
      queue, seen,
      [&](const Event &e) {
        a += has_line(e, node.name, "a") ? 1 : 0;
        b += has_line(e, node.name, "b") ? 1 : 0;
        c += has_line(e, node.name, "c") ? 1 : 0;
        return false;
      },
      2s);
  EXPECT_GT(a + b + c, 4) << describe(seen);
  for (const auto &e : seen) {
    const auto *s = std::get_if<NodeStatus>(&e);
    EXPECT_FALSE(s != nullptr && s->stream.empty() && s->state == NodeState::down)
        << describe(seen);
  }
  std::string log;
  sh("cat " + sshd.log(), &log);
  EXPECT_EQ(log.find("nonexistent channel"), std::string::npos) << log;
  t->stop();
}

// A login shell that runs nothing (/usr/bin/false, nologin; here sshd's ForceCommand does the
// same to every session): the node stood `up` with no data, its streams "exited with status
// 1" and nologin's refusal read as its last log line. It is down, saying why.
TEST(SshStream, ALoginShellThatRunsNothingIsANodeDownWithTheReason) {
  NoAgent no_agent;
  for (const char *shell : {"/usr/bin/false", "/usr/sbin/nologin"}) {
    Sshd sshd("127.0.0.1", {}, {std::string("ForceCommand ") + shell});
    ASSERT_TRUE(sshd.start());
    NodeSpec node = node_for(sshd, {{"t", "echo never"}});
    node.probe_command = probe_command(nullptr);
    node.parse_probe = [](const std::string &out) { return parse_probe(out); };
    EventQueue queue;
    auto t = make_ssh_transport(
        {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
    t->start();
    std::vector<Event> seen;
    EXPECT_TRUE(wait_for(
        queue, seen,
        [&](const Event &e) {
          const auto *s = std::get_if<NodeStatus>(&e);
          return s != nullptr && s->node == node.name && s->stream.empty() &&
                 s->state == NodeState::down &&
                 s->detail.find("cannot run commands on the node") != std::string::npos;
        },
        8s))
        << shell << "\n"
        << describe(seen);
    for (const auto &e : seen) {
      const auto *s = std::get_if<NodeStatus>(&e);
      EXPECT_FALSE(s != nullptr && s->stream.empty() && s->state == NodeState::up)
          << shell << "\n"
          << describe(seen);
    }
    t->stop();
  }
}

// The node's zone comes from the real probe run by the node's shell (sshd sets TZ for its
// sessions: five hours behind UTC) and reaches the pipeline on the node's `up` status.
TEST(SshStream, TheNodesUtcOffsetComesWithItsUpStatus) {
  NoAgent no_agent;
  Sshd sshd{"127.0.0.1", {}, {"SetEnv TZ=XST+5"}};
  ASSERT_TRUE(sshd.start());
  NodeSpec node = node_for(sshd, {});
  node.probe_command = probe_command();
  node.parse_probe = [](const std::string &out) { return parse_probe(out); };
  node.plan = [](const Platform &) { return std::vector<StreamSpec>{{"t", "echo hi"}}; };
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  const bool up = wait_for(
      queue, seen, [&](const Event &e) { return is_status(e, node.name, "", NodeState::up); }, 8s);
  t->stop();
  ASSERT_TRUE(up) << describe(seen);
  for (const auto &e : seen)
    if (is_status(e, node.name, "", NodeState::up))
      EXPECT_EQ(std::get<NodeStatus>(e).utc_offset, std::chrono::minutes{-300});
}

TEST(SshStream, WatchdogMarksASilentStreamStaleAndRestartsIt) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  StreamSpec quiet{"quiet", "echo hello; exec sleep 60"};
  quiet.watchdog = std::chrono::milliseconds(400);
  const NodeSpec node = node_for(sshd, {quiet});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) { return is_status(e, node.name, "quiet", NodeState::stale); }, 8s))
      << describe(seen);
  // The node's state names the silent stream ("a stream stopped ticking" named none).
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) {
        return is_status(e, node.name, "", NodeState::stale) &&
               std::get<NodeStatus>(e).detail == "silent streams: quiet";
      },
      2s))
      << describe(seen);
  int hellos = 0;
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) {
        hellos += has_line(e, node.name, "hello") ? 1 : 0;
        return hellos >= 2;
      },
      8s))
      << describe(seen);
  t->stop();
}

// A stream restarted by the watchdog is stale, and its node too, until it gives output
// again: the restart alone reported the node `up` ("streams ticking again"), showing a frozen
// node with its old figures until the reopen timed out.
TEST(SshStream, AStreamRestartedForSilenceStaysStaleUntilItSpeaks) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string once = sshd.dir() + "/spoke";
  // Speaks on its first start only; every restart after it is as silent as a frozen node.
  StreamSpec quiet{"quiet", "[ -e '" + once + "' ] && exec sleep 60; touch '" + once +
                                "'; echo hello; exec sleep 60"};
  quiet.watchdog = std::chrono::milliseconds(300);
  const NodeSpec node = node_for(sshd, {quiet});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return is_status(e, node.name, "", NodeState::stale); },
      8s))
      << describe(seen);
  const std::size_t stale_at = seen.size();
  int restarts = 0;
  wait_for(
      queue, seen,
      [&](const Event &e) {
        const auto *s = std::get_if<NodeStatus>(&e);
        restarts += s != nullptr && s->stream == "quiet" && s->state == NodeState::down ? 1 : 0;
        return restarts >= 2;
      },
      8s);
  t->stop();
  EXPECT_GE(restarts, 2) << describe(seen);
  for (std::size_t i = stale_at; i < seen.size(); ++i)
    EXPECT_FALSE(is_status(seen[i], node.name, "", NodeState::up)) << describe(seen);
}

TEST(SshStream, AFollowedLogThatCannotBeOpenedIsDownUntilItAppears) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string path = sshd.dir() + "/later/exo.log";
  StreamSpec log{"log:" + path, "exec tail -n 0 -F -- '" + path + "'"};
  log.follows_file = true;
  const NodeSpec node = node_for(sshd, {log});
  EventQueue queue;
  auto t = make_ssh_transport(
      {node}, test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  auto unreadable = [&](const Event &e) {
    const auto *s = std::get_if<NodeStatus>(&e);
    return s != nullptr && s->stream == log.name && s->state == NodeState::down &&
           s->detail.find("cannot open") != std::string::npos &&
           s->detail.find("No such file or directory") != std::string::npos;
  };
  ASSERT_TRUE(wait_for(queue, seen, unreadable, 8s)) << describe(seen);
  // tail's complaint can come before the exec's reply: the stream's "up, running" must not
  // follow it (it did, and the stream_down never fired).
  wait_for(
      queue, seen, [](const Event &) { return false; }, 1500ms);
  const NodeStatus *last = nullptr;
  for (const auto &e : seen)
    if (const auto *st = std::get_if<NodeStatus>(&e); st != nullptr && st->stream == log.name)
      last = st;
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->state, NodeState::down) << describe(seen);
  ASSERT_EQ(::mkdir((sshd.dir() + "/later").c_str(), 0755), 0);
  std::ofstream(path) << "first line\n";
  bool up_again = false;
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) {
        up_again = up_again || is_status(e, node.name, log.name, NodeState::up);
        return up_again && has_line(e, node.name, "first line");
      },
      8s))
      << describe(seen);
  t->stop();
}

} // namespace
} // namespace clustertop::test
