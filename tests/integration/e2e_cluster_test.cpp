// End to end with the real binary: three nodes behind three real sshds, configured through a
// config file and an ssh config with Host aliases; a crash line written to one node's log
// must leave as a JSON alert for that node, and SIGTERM must leave nothing behind.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ssh_test_util.hpp"
#include "sshd_fixture.hpp"

namespace clustertop::test {
namespace {

using namespace std::chrono_literals;

// JSON objects printed so far that match `pred`.
template <typename Pred> int count_json(const std::string &path, Pred pred) {
  std::istringstream lines(read_file(path));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && pred(j)) ++n;
  }
  return n;
}

// Nodes node1, node2, … behind `sshds` (one each, first first), each following its log of
// `logs`: an ssh config with Host aliases, a known_hosts file and DIR/cluster.toml.
void write_cluster(const std::string &dir, const std::vector<const Sshd *> &sshds,
                   const std::vector<std::string> &logs) {
  std::ofstream ssh_config(dir + "/ssh_config");
  std::vector<std::string> known;
  for (std::size_t i = 0; i < sshds.size(); ++i) {
    ssh_config << "Host node" << i + 1 << "\n  HostName 127.0.0.1\n  Port " << sshds[i]->port()
               << "\n  User root\n  IdentityFile " << sshds[i]->client_key() << "\n";
    known.push_back(sshds[i]->known_hosts_line());
  }
  write_known_hosts(*sshds[0], known, "e2e_known_hosts");
  std::ofstream cfg(dir + "/cluster.toml");
  cfg << "[ssh]\nconfig_file = \"" << dir << "/ssh_config\"\nknown_hosts = \"" << dir
      << "/e2e_known_hosts\"\nconnect_timeout = \"5s\"\n";
  for (std::size_t i = 0; i < logs.size(); ++i)
    cfg << "[[node]]\nname = \"node" << i + 1 << "\"\nlogs = [\"" << logs[i] << "\"]\n";
}

// The real binary, headless JSON, on DIR/cluster.toml; its stdout in `out`.
pid_t start_clustertop(const std::string &dir, const std::string &out) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen((dir + "/err.txt").c_str(), "w", stderr);
    execl(CLUSTERTOP_BINARY, "clustertop", "--headless", "--json", "--interval", "500ms", "-c",
          (dir + "/cluster.toml").c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  return pid;
}

// `snapshot --for 1s` against a node whose connect takes 2.5 s (a slow link, a jump host):
// it said "not reachable: connecting", exit 4; then, waiting for the connect, it wrote the
// row the moment the node came up, "up" with every figure empty, exit 0. The node gets a
// moment to send: its row has its memory.
TEST(EndToEnd, ASnapshotWaitsForASlowConnectAndItsFirstFigures) {
  NoAgent no_agent;
  Sshd a;
  ASSERT_TRUE(a.start());
  const std::string dir = a.dir();
  const int port = free_port();
  // A TCP relay that holds each connection 2.5 s before joining it to the sshd.
  const std::string relay = dir + "/relay.py";
  std::ofstream(relay)
      << "import socket, sys, threading, time\n"
         "def pipe(a, b):\n"
         "    try:\n"
         "        while True:\n"
         "            d = a.recv(65536)\n"
         "            if not d: break\n"
         "            b.sendall(d)\n"
         "    except OSError: pass\n"
         "    for s in (a, b):\n"
         "        try: s.shutdown(socket.SHUT_RDWR)\n"
         "        except OSError: pass\n"
         "def serve(c):\n"
         "    time.sleep(2.5)\n"
         "    u = socket.create_connection(('127.0.0.1', int(sys.argv[2])))\n"
         "    threading.Thread(target=pipe, args=(c, u), daemon=True).start()\n"
         "    pipe(u, c)\n"
         "l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "l.bind(('127.0.0.1', int(sys.argv[1]))); l.listen(8)\n"
         "while True:\n"
         "    c, _ = l.accept()\n"
         "    threading.Thread(target=serve, args=(c,), daemon=True).start()\n";
  const pid_t proxy = fork();
  if (proxy == 0) {
    execlp("python3", "python3", relay.c_str(), std::to_string(port).c_str(),
           std::to_string(a.port()).c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(eventually(
      [&] {
        return sh("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " +
                  std::to_string(port) + ")).close()' 2>/dev/null") == 0;
      },
      5s));
  std::ofstream(dir + "/ssh_config") << "Host slow\n  HostName 127.0.0.1\n  Port " << port
                                     << "\n  User root\n  IdentityFile " << a.client_key() << "\n";
  write_known_hosts(a,
                    {"[127.0.0.1]:" + std::to_string(port) + " " +
                     a.known_hosts_line().substr(a.known_hosts_line().find(' ') + 1)},
                    "slow_known_hosts");
  std::string out;
  const int status = sh("cd " + dir + " && timeout 30 " + std::string(CLUSTERTOP_BINARY) +
                            " snapshot --for 1s --connect-timeout 8s --ssh-config ssh_config"
                            " --known-hosts slow_known_hosts -o slow.csv slow 2>err.txt",
                        &out);
  ::kill(proxy, SIGKILL);
  ::waitpid(proxy, nullptr, 0);
  EXPECT_EQ(status, 0) << read_file(dir + "/err.txt");
  // The node's row: up, with its memory read (python's csv module: the status detail is a
  // quoted cell with a comma in it).
  EXPECT_EQ(sh("python3 -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1])))[0]; "
               "sys.exit(0 if r[\"status\"] == \"up\" and r[\"mem_total_bytes\"] else 1)' " +
               dir + "/slow.csv"),
            0)
      << read_file(dir + "/slow.csv");
}

TEST(EndToEnd, ThreeSshNodesCrashAlertAndCleanExit) {
  NoAgent no_agent;
  Sshd a, b, c;
  ASSERT_TRUE(a.start() && b.start() && c.start());
  const std::string dir = a.dir();
  // Log paths with a space and a quote: they travel through the remote shell quoted.
  std::vector<std::string> logs;
  for (const char *n : {"node1", "node2", "node3"}) {
    logs.push_back(dir + "/exo log '" + n + "'.log");
    std::ofstream(logs.back()) << "";
  }
  write_cluster(dir, {&a, &b, &c}, logs);
  const std::string out = dir + "/out.jsonl";
  const pid_t pid = start_clustertop(dir, out);
  auto all_up = [&] {
    int up = 0;
    for (const char *n : {"node1", "node2", "node3"})
      up += count_json(out, [&](const nlohmann::json &j) {
              return j.value("type", "") == "figures" && j.value("node", "") == n &&
                     j.value("state", "") == "up" && j["mem_total_bytes"].is_number();
            }) > 0;
    return up == 3;
  };
  EXPECT_TRUE(eventually(all_up, 20s))
      << read_file(out).substr(0, 3000) << read_file(dir + "/err.txt");

  std::ofstream(logs[1], std::ios::app)
      << "[METAL] Command buffer execution failed: Caused GPU Timeout Error "
         "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)\n";
  auto crash_on_node2 = [&] {
    return count_json(out, [](const nlohmann::json &j) {
             return j.value("node", "") == "node2" && j.contains("rule") &&
                    j.value("state", "") == "firing";
           }) > 0;
  };
  EXPECT_TRUE(eventually(crash_on_node2, 10s)) << read_file(out).substr(0, 4000);
  EXPECT_EQ(count_json(out,
                       [](const nlohmann::json &j) {
                         return j.contains("rule") && j.value("node", "") != "node2" &&
                                j.value("state", "") == "firing";
                       }),
            0)
      << "alerts fired on healthy nodes:\n"
      << read_file(out).substr(0, 4000);

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The remote tail -F of each log runs on this machine: none may survive.
  EXPECT_TRUE(eventually([] { return count_processes("exo log") == 0; }, 5s))
      << count_processes("exo log") << " remote processes outlived clustertop";
}

// The crash that explains an outage is written while the node is unreachable: the reconnect
// reads the log on from where the connection left it, and the crash alert fires. (The tail
// started again at the log's end, and the line was never read.)
TEST(EndToEnd, ACrashWrittenWhileTheConnectionWasDownAlertsAfterTheReconnect) {
  NoAgent no_agent;
  Sshd sshd;
  ASSERT_TRUE(sshd.start());
  const std::string dir = sshd.dir();
  const std::string log = dir + "/exo.log";
  std::ofstream(log) << "";
  write_cluster(dir, {&sshd}, {log});
  const std::string out = dir + "/out.jsonl";
  const pid_t pid = start_clustertop(dir, out);
  auto state_count = [&](const char *state) {
    return count_json(out, [&](const nlohmann::json &j) {
      return j.value("type", "") == "figures" && j.value("state", "") == state;
    });
  };
  EXPECT_TRUE(eventually([&] { return state_count("up") > 0; }, 20s))
      << read_file(out).substr(0, 3000) << read_file(dir + "/err.txt");
  std::this_thread::sleep_for(1s); // the log's tail has started
  sshd.kill_all();
  EXPECT_TRUE(eventually([&] { return state_count("down") > 0; }, 10s))
      << read_file(out).substr(0, 3000);
  std::ofstream(log, std::ios::app)
      << "[METAL] Command buffer execution failed: Caused GPU Timeout Error "
         "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)\n";
  ASSERT_TRUE(sshd.start());
  auto crash = [&] {
    return count_json(out, [](const nlohmann::json &j) {
             return j.value("rule", "") == "crash" && j.value("state", "") == "firing";
           }) > 0;
  };
  EXPECT_TRUE(eventually(crash, 20s)) << read_file(out).substr(0, 6000);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

} // namespace
} // namespace clustertop::test
