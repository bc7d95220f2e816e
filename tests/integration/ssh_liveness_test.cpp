// Liveness against real failures: a killed sshd, a killed clustertop, and a silently
// blackholed link in a network namespace (tc pfifo limit 0 on both veth ends).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/follow_position.hpp"
#include "ssh_test_util.hpp"

namespace clustertop::test {
namespace {

using namespace std::chrono_literals;

std::string unique_sleep() {
  std::mt19937 rng{std::random_device{}()};
  return "3603." + std::to_string(rng() % 100000 + 100000);
}

bool gone(const std::string &tag, std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (count_processes(tag) == 0) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Counts statuses after index `from` (so a second "up" can be told from the first).
bool status_after(EventQueue &q, std::vector<Event> &seen, std::size_t from,
                  const std::string &node, NodeState state, std::chrono::milliseconds t) {
  return wait_for(
             q, seen,
             [&, from](const Event &e) {
               return &e - seen.data() >= static_cast<std::ptrdiff_t>(from) &&
                      is_status(e, node, "", state);
             },
             t) ||
         [&] {
           for (std::size_t i = from; i < seen.size(); ++i)
             if (is_status(seen[i], node, "", state)) return true;
           return false;
         }();
}

TEST(SshLiveness, KilledSshdIsDetectedAndRecovered) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string tag = unique_sleep();
  EventQueue queue;
  auto t =
      make_ssh_transport({node_for(sshd, {{"tick", "while :; do echo tick; sleep 0.2; done"},
                                          {"quiet", "sleep " + tag}})},
                         test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  const std::string n = sshd.node_arg();
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, n, "tick"); }, 8s))
      << describe(seen);
  ASSERT_GE(count_processes(tag), 1);
  sshd.kill_all();
  std::size_t mark = seen.size();
  ASSERT_TRUE(status_after(queue, seen, mark, n, NodeState::down, 5s)) << describe(seen);
  EXPECT_TRUE(gone(tag, 5s)) << "remote command survived the dropped connection";
  ASSERT_TRUE(sshd.start());
  mark = seen.size();
  ASSERT_TRUE(status_after(queue, seen, mark, n, NodeState::up, 8s)) << describe(seen);
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&, mark](const Event &e) {
        return &e - seen.data() > static_cast<std::ptrdiff_t>(mark) && has_line(e, n, "tick");
      },
      5s));
  t->stop();
  EXPECT_TRUE(gone(tag, 5s));
}

// A followed log over a connection that drops: the reconnect reads what was written during
// the outage (the crash line that explains it), from the byte after the last whole line
// read, so no line is lost, repeated or split.
TEST(SshLiveness, AFollowedLogIsReadOnFromWhereTheDroppedConnectionLeftIt) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string path = sshd.dir() + "/exo.log";
  std::ofstream(path) << "before the start\n";
  StreamSpec log{"log:" + path, ""};
  log.follows_file = true;
  log.resume_path = shell_quote(path);
  log.command = FollowPosition(log.resume_path).command();
  EventQueue queue;
  auto t =
      make_ssh_transport({node_for(sshd, {log})},
                         test_options(write_known_hosts(sshd, {sshd.known_hosts_line()})), queue);
  t->start();
  std::vector<Event> seen;
  const std::string n = sshd.node_arg();
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return is_status(e, n, log.name, NodeState::up); }, 8s))
      << describe(seen);
  std::this_thread::sleep_for(300ms); // tail has opened the file
  std::ofstream(path, std::ios::app) << "one\n";
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, n, "one"); }, 5s))
      << describe(seen);
  std::ofstream(path, std::ios::app) << "two and a ha";
  std::this_thread::sleep_for(300ms);
  sshd.kill_all();
  std::size_t mark = seen.size();
  ASSERT_TRUE(status_after(queue, seen, mark, n, NodeState::down, 5s)) << describe(seen);
  std::ofstream(path, std::ios::app) << "lf\nRunner terminated with signal=11\n";
  ASSERT_TRUE(sshd.start());
  EXPECT_TRUE(wait_for(
      queue, seen,
      [&](const Event &e) { return has_line(e, n, "Runner terminated with signal=11"); }, 10s))
      << describe(seen);
  t->stop();
  std::vector<std::string> lines;
  std::vector<std::string> read_back; // written before the reconnect's tail started
  for (const auto &e : seen)
    if (const auto *b = std::get_if<LineBatch>(&e)) {
      lines.insert(lines.end(), b->lines.begin(), b->lines.end());
      read_back.insert(read_back.end(), b->lines.begin(),
                       b->lines.begin() + static_cast<std::ptrdiff_t>(b->backfilled));
    }
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two and a half",
                                             "Runner terminated with signal=11"}));
  EXPECT_EQ(read_back,
            (std::vector<std::string>{"two and a half", "Runner terminated with signal=11"}));
}

TEST(SshLiveness, KilledClustertopLeavesNothingOnTheNode) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string tag = unique_sleep();
  const auto kh = write_known_hosts(sshd, {sshd.known_hosts_line()});
  const NodeSpec node =
      node_for(sshd, {{"quiet", "sleep " + tag}, {"pipe", "sleep " + tag + "1 | cat"}});
  const pid_t child = ::fork();
  if (child == 0) {
    EventQueue queue;
    auto t = make_ssh_transport({node}, test_options(kh), queue);
    t->start();
    for (;;) std::this_thread::sleep_for(1s);
  }
  bool started = false;
  for (int i = 0; i < 100 && !started; ++i) {
    std::this_thread::sleep_for(100ms);
    started = count_processes(tag) >= 2;
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(started) << "the remote commands never started";
  EXPECT_TRUE(gone(tag, 5s)) << "remote command survived a killed clustertop";
}

// A private network namespace with a veth pair; removed on destruction.
struct Netns {
  std::string ns, host_if, node_if;
  bool ok = false;
  Netns() {
    const std::string id = std::to_string(::getpid() % 100000);
    ns = "ctbh" + id;
    host_if = "ctbh" + id + "h";
    node_if = "ctbh" + id + "n";
    ok = sh("ip netns add " + ns + " && ip link add " + host_if + " type veth peer name " +
            node_if + " && ip link set " + node_if + " netns " + ns + " && ip addr add " +
            "10.213.47.1/30 dev " + host_if + " && ip link set " + host_if + " up && ip netns " +
            "exec " + ns + " ip addr add 10.213.47.2/30 dev " + node_if + " && ip netns exec " +
            ns + " ip link set " + node_if + " up && ip netns exec " + ns +
            " ip link set lo up 2>&1") == 0;
  }
  ~Netns() { sh("ip link del " + host_if + " 2>/dev/null; ip netns del " + ns + " 2>/dev/null"); }
  bool blackhole(bool on) {
    const std::string verb = on ? "add" : "del";
    const std::string tail = on ? " root pfifo limit 0" : " root";
    return sh("tc qdisc " + verb + " dev " + host_if + tail + " && ip netns exec " + ns +
              " tc qdisc " + verb + " dev " + node_if + tail) == 0;
  }
};

TEST(SshLiveness, BlackholedLinkGoesStaleThenDownAndRecovers) {
  NoAgent no_agent;
  Netns net;
  if (!net.ok)
    GTEST_SKIP() << "cannot create a network namespace with a veth pair here "
                    "(needs root and CAP_NET_ADMIN)";
  Sshd sshd("10.213.47.2", net.ns);
  ASSERT_TRUE(sshd.start());
  SshOptions o = test_options(write_known_hosts(sshd, {sshd.known_hosts_line()}));
  o.keepalive_interval = 1s;
  o.tcp_user_timeout = 3s;
  o.connect_timeout = 2s;
  StreamSpec tick{"tick", "while :; do echo tick; sleep 0.2; done"};
  tick.watchdog = 1s;
  const NodeSpec node = node_for(sshd, {tick});
  EventQueue queue;
  auto t = make_ssh_transport({node}, o, queue);
  t->start();
  std::vector<Event> seen;
  const std::string n = node.name;
  ASSERT_TRUE(wait_for(
      queue, seen, [&](const Event &e) { return has_line(e, n, "tick"); }, 8s))
      << describe(seen);
  ASSERT_TRUE(net.blackhole(true));
  const auto cut = std::chrono::steady_clock::now();
  std::size_t mark = seen.size();
  EXPECT_TRUE(status_after(queue, seen, mark, n, NodeState::stale, 4s)) << describe(seen);
  ASSERT_TRUE(status_after(queue, seen, mark, n, NodeState::down, 12s)) << describe(seen);
  const auto detected = std::chrono::steady_clock::now() - cut;
  std::cout << "[ figures  ] blackhole detected as down after "
            << std::chrono::duration<double>(detected).count() << " s: " <<
      [&] {
        for (auto it = seen.rbegin(); it != seen.rend(); ++it)
          if (is_status(*it, n, "", NodeState::down)) return std::get<NodeStatus>(*it).detail;
        return std::string();
      }() << "\n";
  ASSERT_TRUE(net.blackhole(false));
  mark = seen.size();
  EXPECT_TRUE(status_after(queue, seen, mark, n, NodeState::up, 10s)) << describe(seen);
  t->stop();
}

} // namespace
} // namespace clustertop::test
