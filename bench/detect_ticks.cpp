// The detectors' steady tick at N nodes, tick by tick: after a few ticks that fill the
// engine's figures, each tick adds one more second of samples to every node (written as
// Ingest writes them) and runs the engine once. Prints the CPU time of each timed tick's
// spread (p10, median, p90), which a shared machine needs more than a mean; under
// `valgrind --tool=callgrind --toggle-collect='*timed_tick*'` it counts the instructions
// and cache misses of the timed ticks only.
//
//   build/ci/bench/detect_ticks [NODES=256] [TICKS=200]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "clustertop/detect/detectors.hpp"
#include "detect_cluster.hpp"

namespace clustertop::bench {
namespace {

double cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Not inlined, so that callgrind can collect inside it only.
__attribute__((noinline)) double timed_tick(DetectEngine &engine, const Rules &rules, TimePoint now,
                                            std::vector<Finding> &out) {
  const double start = cpu_us();
  out.clear();
  engine.run(rules, now, out);
  return cpu_us() - start;
}

int run(int nodes, int ticks) {
  Store st = make_cluster(nodes);
  std::vector<NodeSeries> bound;
  for (int n = 0; n < nodes; ++n) bound.push_back(bind(st, node_name(n)));
  const Rules rules;
  DetectEngine engine(st);
  std::vector<Finding> out;
  std::vector<double> us;
  constexpr int kWarmUp = 5; // the first ticks read every window in full
  for (int t = 0, second = 3600; t < kWarmUp + ticks; ++t, ++second) {
    for (auto &n : bound) add_second(n, second);
    if (t < kWarmUp) {
      out.clear();
      engine.run(rules, at(second + 1), out);
    } else {
      us.push_back(timed_tick(engine, rules, at(second + 1), out));
    }
  }
  std::sort(us.begin(), us.end());
  const auto pct = [&](std::size_t p) { return us[std::min(us.size() - 1, us.size() * p / 100)]; };
  std::printf("%d nodes, %d ticks: CPU per tick p10 %.0f us, median %.0f us, p90 %.0f us; "
              "%zu findings on the last\n",
              nodes, ticks, pct(10), pct(50), pct(90), out.size());
  return 0;
}

} // namespace
} // namespace clustertop::bench

int main(int argc, char **argv) {
  const int nodes = argc > 1 ? std::atoi(argv[1]) : 256;
  const int ticks = argc > 2 ? std::atoi(argv[2]) : 200;
  if (nodes < 1 || ticks < 1) {
    std::fprintf(stderr, "usage: detect_ticks [NODES >= 1] [TICKS >= 1]\n");
    return 2;
  }
  return clustertop::bench::run(nodes, ticks);
}
