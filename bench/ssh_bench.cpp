// SSH transport figures against real OpenSSH sshd processes on loopback:
//   ConnectFirstSample/N  one sshd, N nodes (N connections, 3 streams each): time from
//                         start() to the first line of every node (target < 2 s at 32).
//   IoCpu/N               N nodes x 3 streams at 1 line/s each: clustertop's CPU share over a
//                         fixed 10 s window, from getrusage(RUSAGE_SELF) (targets: 2 % at 64,
//                         5 % at 256). The remote perl loops are other processes, not counted.
//   JumpConnectFirstSample/N  the same through a ProxyJump: N node aliases in an ssh config
//                         with `ProxyJump jumphost`, a second sshd; one `ssh -W` per node.
//   FollowLatency         8 nodes follow one log with tail -F; a writer appends 20 lines/s
//                         carrying their write time; p50/p99 from write to the main thread
//                         draining the LineBatch from the EventQueue.
//   BurstThroughput       one node writes 20 MB of 100-byte lines at once: MB/s through one
//                         connection (a crash line behind a burst waits for all of it).
// Run: ./build/ci/bench/ssh_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <thread>

#include "../tests/integration/sshd_fixture.hpp"
#include "clustertop/core/shell_quote.hpp"
#include "clustertop/transport/ssh.hpp"

// The fixture is test code; the benchmark builds it in rather than adding a library target.
#include "../tests/integration/sshd_fixture.cpp" // NOLINT(bugprone-suspicious-include)

namespace clustertop {
namespace {

using namespace std::chrono_literals;

struct Cluster {
  test::Sshd sshd{"127.0.0.1", {}, {"MaxStartups 100:30:200"}};
  std::string known_hosts;
  std::vector<NodeSpec> nodes;
  SshOptions options;

  Cluster(int n, std::vector<StreamSpec> streams) {
    if (!sshd.start()) throw std::runtime_error("sshd did not start");
    known_hosts = sshd.dir() + "/known_hosts";
    std::ofstream(known_hosts) << sshd.known_hosts_line() << "\n";
    options.known_hosts = known_hosts;
    options.ssh_config = "none";
    for (int i = 0; i < n; ++i) {
      NodeSpec node = parse_node_argument(sshd.node_arg()).value();
      node.name = "n" + std::to_string(i);
      node.identity_file = sshd.client_key();
      node.plan = [streams](const Platform &) { return streams; };
      nodes.push_back(node);
    }
  }
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Main-thread loop as app.cpp runs it: wait on the queue's fd, drain, look at each batch.
// Stops early once on_batch returns true.
template <typename F> void pump(EventQueue &q, Duration for_how_long, F &&on_batch) {
  const auto until = std::chrono::steady_clock::now() + for_how_long;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < until) {
    pollfd p{q.wake_fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    const auto now = wall_now();
    for (auto &e : q.drain())
      if (auto *b = std::get_if<LineBatch>(&e)) done = on_batch(*b, now) || done;
  }
}

const char *kLinePerSecond = "exec perl -e '$|=1; while (1) { print \"line\\n\"; sleep 1 }'";

// Node aliases n0..n(N-1) reached through `ProxyJump jumphost`, each hop with its own keys.
struct JumpCluster {
  test::Sshd jump{"127.0.0.1", {}, {"MaxStartups 100:30:200"}};
  test::Sshd sshd{"127.0.0.1", {}, {"MaxStartups 100:30:200"}};
  std::vector<NodeSpec> nodes;
  SshOptions options;

  JumpCluster(int n, std::vector<StreamSpec> streams) {
    if (!jump.start() || !sshd.start()) throw std::runtime_error("sshd did not start");
    options.known_hosts = sshd.dir() + "/known_hosts";
    options.ssh_config = sshd.dir() + "/ssh_config";
    std::ofstream(options.known_hosts) << jump.known_hosts_line() << "\n"
                                       << sshd.known_hosts_line() << "\n";
    std::ofstream(options.ssh_config)
        << "Host jumphost\n  HostName 127.0.0.1\n  Port " << jump.port()
        << "\n  User root\n  IdentityFile " << jump.client_key()
        << "\n  IdentitiesOnly yes\n  UserKnownHostsFile " << options.known_hosts
        << "\n  GlobalKnownHostsFile /dev/null\nHost n*\n  HostName 127.0.0.1\n  Port "
        << sshd.port() << "\n  User root\n  IdentityFile " << sshd.client_key()
        << "\n  ProxyJump jumphost\n";
    for (int i = 0; i < n; ++i) {
      NodeSpec node = parse_node_argument("n" + std::to_string(i)).value();
      node.plan = [streams](const Platform &) { return streams; };
      nodes.push_back(node);
    }
  }
};

const std::vector<StreamSpec> kFirstSampleStreams{
    {"a", "echo first; exec sleep 30"}, {"b", "exec sleep 30"}, {"c", "exec sleep 30"}};

template <typename ClusterT> void first_sample(benchmark::State &state) {
  const int n = static_cast<int>(state.range(0));
  ClusterT c(n, kFirstSampleStreams);
  double worst = 0, sum = 0;
  for (auto _ : state) {
    EventQueue q;
    auto t = make_ssh_transport(c.nodes, c.options, q);
    const auto t0 = wall_now();
    t->start();
    std::map<std::string, double> first;
    pump(q, 10s, [&](const LineBatch &b, TimePoint now) {
      first.emplace(b.node, to_seconds(now - t0));
      return first.size() == static_cast<std::size_t>(n);
    });
    for (auto &[_, s] : first) worst = std::max(worst, s), sum += s;
    state.counters["nodes_with_sample"] = static_cast<double>(first.size());
    state.SetIterationTime(worst);
    t->stop();
  }
  state.counters["all_first_s"] = worst;
  state.counters["mean_first_s"] = sum / n;
}

void ConnectFirstSample(benchmark::State &state) { first_sample<Cluster>(state); }
BENCHMARK(ConnectFirstSample)
    ->Arg(32)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void JumpConnectFirstSample(benchmark::State &state) { first_sample<JumpCluster>(state); }
BENCHMARK(JumpConnectFirstSample)
    ->Arg(8)
    ->Arg(32)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void IoCpu(benchmark::State &state) {
  const int n = static_cast<int>(state.range(0));
  Cluster c(n, {{"s1", kLinePerSecond}, {"s2", kLinePerSecond}, {"s3", kLinePerSecond}});
  for (auto _ : state) {
    EventQueue q;
    auto t = make_ssh_transport(c.nodes, c.options, q);
    t->start();
    std::map<std::string, int> lines;
    pump(q, 30s, [&](const LineBatch &b, TimePoint) {
      lines[b.node] += static_cast<int>(b.lines.size());
      return lines.size() == static_cast<std::size_t>(n);
    });
    pump(q, 2s, [](const LineBatch &, TimePoint) { return false; }); // settle
    const double c0 = cpu_seconds();
    const auto w0 = std::chrono::steady_clock::now();
    std::uint64_t got = 0;
    pump(q, 10s, [&](const LineBatch &b, TimePoint) {
      got += b.lines.size();
      return false;
    });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    state.counters["nodes_up"] = static_cast<double>(lines.size());
    state.counters["cpu_pct"] = 100.0 * (cpu_seconds() - c0) / wall;
    state.counters["lines_per_s"] = static_cast<double>(got) / wall;
    t->stop();
  }
}
BENCHMARK(IoCpu)->Arg(64)->Arg(256)->Iterations(1)->Unit(benchmark::kSecond);

void FollowLatency(benchmark::State &state) {
  test::Sshd probe_dir; // only for a private directory for the followed log
  const std::string log = probe_dir.dir() + "/followed.log";
  std::ofstream(log).close();
  Cluster c(8, {{"log:" + log, "exec tail -n 0 -F " + shell_quote(log)}});
  for (auto _ : state) {
    EventQueue q;
    auto t = make_ssh_transport(c.nodes, c.options, q);
    t->start();
    pump(q, 3s, [](const LineBatch &, TimePoint) { return false; });
    std::atomic<bool> done{false};
    std::thread writer([&] {
      std::ofstream out(log, std::ios::app);
      while (!done) {
        out << std::fixed << epoch_seconds(wall_now()) * 1e3
            << std::endl; // flushes: one write per line
        std::this_thread::sleep_for(50ms);
      }
    });
    std::vector<double> ms;
    pump(q, 10s, [&](const LineBatch &b, TimePoint now) {
      for (const auto &l : b.lines) ms.push_back(epoch_seconds(now) * 1e3 - std::stod(l));
      return false;
    });
    done = true;
    writer.join();
    t->stop();
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double p) {
      return ms.empty() ? -1 : ms[static_cast<std::size_t>(p * (ms.size() - 1))];
    };
    state.counters["samples"] = static_cast<double>(ms.size());
    state.counters["p50_ms"] = at(0.5);
    state.counters["p99_ms"] = at(0.99);
    state.counters["max_ms"] = at(1.0);
  }
}
BENCHMARK(FollowLatency)->Iterations(1)->Unit(benchmark::kSecond);

// A burst through one connection: the node writes 200 000 lines of 100 bytes (20 MB) as fast
// as it can (a log's backlog, a chatty runner), and the time until the last one is drained
// gives the connection's throughput. A crash line behind such a burst waits for all of it.
void BurstThroughput(benchmark::State &state) {
  constexpr int kLines = 200000;
  Cluster c(1, {{"burst", "exec sh -c \"yes '" + std::string(99, 'x') + "' | head -n " +
                              std::to_string(kLines) + "; exec sleep 600\""}});
  for (auto _ : state) {
    EventQueue q;
    auto t = make_ssh_transport(c.nodes, c.options, q);
    const auto t0 = std::chrono::steady_clock::now();
    t->start();
    std::size_t lines = 0;
    auto first = t0, last = t0;
    pump(q, 120s, [&](const LineBatch &b, TimePoint) {
      if (lines == 0) first = std::chrono::steady_clock::now();
      lines += b.lines.size();
      last = std::chrono::steady_clock::now();
      return lines >= kLines;
    });
    t->stop();
    const double secs = std::chrono::duration<double>(last - first).count();
    state.counters["lines"] = static_cast<double>(lines);
    state.counters["burst_s"] = secs;
    state.counters["MB_per_s"] = secs > 0 ? static_cast<double>(lines) * 100 / 1e6 / secs : 0;
  }
}
BENCHMARK(BurstThroughput)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
} // namespace clustertop

BENCHMARK_MAIN();
