// Test-only dashboard driver: feeds a Store with synthetic samples and runs TuiSink in the
// same poll loop shape app.cpp uses (stdin + tick timer), so tmux end-to-end tests can
// drive the real dashboard before and independently of the collectors.
// Usage: clustertop_tui_demo [--nodes N] [--tick-ms MS] [--theme NAME|FILE]
//                            [--themes-dir DIR] [--ascii]
#include <poll.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "clustertop/store/store.hpp"
#include "clustertop/tui/tui_sink.hpp"

namespace ct = clustertop;

namespace {

std::string node_name(int i) { return fmt::format("node-{:02}", i + 1); }

void feed(ct::Store &store, int nodes, long tick, ct::TimePoint now) {
  const double t = static_cast<double>(tick);
  for (int i = 0; i < nodes; ++i) {
    const std::string n = node_name(i);
    if (i == 2) continue; // node-03 is down: no data
    const double gib = 1024.0 * 1024 * 1024;
    store.add({n, "gpu.power_w", "", 40 + 15 * std::sin(t / 3 + i), now});
    store.add({n, "mem.total_bytes", "", (i == 1 ? 36 : 128) * gib, now});
    store.add({n, "mem.available_bytes", "", (i == 1 ? 6 : 60) * gib - t * 1e6, now});
    store.add({n, "mem.pressure_level", "", i == 1 ? 1.0 : 0.0, now});
    store.add({n, "step.eval_ms", "", 36 + 3 * std::sin(t + i), now});
    store.add({n, "step.model_ms", "", 6.2, now});
    store.add({n, "step.gpu_eval_ms", "", 0.9, now});
    store.add({n, "step.fence_wait_ms", "", i == 1 && tick % 10 == 5 ? 180.0 : 0.4, now});
    store.add({n, "gen.tokens_per_s", "", 27 + std::cos(t + i), now});
    store.add({n, "ctx.tokens", "", 20000 + t * 28, now});
    store.add_log_line(n, "log:/tmp/exo.log", now,
                       fmt::format("INFO [runner] step {} eval=36.1ms model=6.2ms", tick));
    if (tick % 7 == 3) {
      const std::string line = "ERROR [METAL] Command buffer execution failed: Caused GPU Timeout";
      store.add_log_line(n, "log:/tmp/exo.log", now, line);
      store.add_event(
          {n, "log:/tmp/exo.log", now, "ERROR", {"gpu_timeout"}, ct::Severity::critical, line});
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  ct::tui::TuiConfig cfg;
  int nodes = 3;
  long tick_ms = 500;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--nodes" && has_value)
      nodes = std::stoi(argv[++i]);
    else if (a == "--theme" && has_value)
      cfg.theme = argv[++i];
    else if (a == "--themes-dir" && has_value)
      cfg.themes_dir = argv[++i];
    else if (a == "--ascii")
      cfg.ascii = true;
  }
  cfg.no_color = ct::tui::no_color_from_env();
  cfg.write_csv = [](ct::TimePoint) -> ct::Result<std::string> {
    const std::string path = "/tmp/clustertop_tui_demo.csv";
    std::ofstream(path) << "node,gpu_power_w\n";
    return path;
  };
  ct::Store store;
  for (int i = 0; i < nodes; ++i) store.declare_node(node_name(i));
  const auto start = ct::wall_now();
  for (int i = 0; i < nodes; ++i)
    store.apply({node_name(i), "", i == 2 ? ct::NodeState::down : ct::NodeState::up,
                 i == 2 ? "connection refused" : "", start});
  std::vector<std::string> warnings;
  auto sink = ct::tui::TuiSink::create(store, cfg, warnings);
  for (const auto &w : warnings) std::fprintf(stderr, "clustertop: warning: %s\n", w.c_str());
  if (!sink) {
    std::fprintf(stderr, "%s\n", sink.error().message().c_str());
    return 3;
  }
  auto &tui = **sink;
  if (auto st = tui.start(); !st) {
    std::fprintf(stderr, "%s\n", st.error().message().c_str());
    return 3;
  }
  std::vector<ct::Finding> firing{{"fence_wait_stall", "node-02", "", ct::Severity::critical, 180,
                                   50, "node-02 waited 180 ms in a GPU fence"}};
  long tick = 0;
  auto next_tick = start;
  for (;;) {
    pollfd fds{tui.input_fd(), POLLIN, 0};
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - ct::wall_now());
    const int rc = poll(&fds, 1, static_cast<int>(std::max<long>(0, wait.count())));
    const auto now = ct::wall_now();
    // Like app.cpp: keys only on POLLIN. A resize (SIGWINCH: poll returns EINTR) is picked
    // up by redraw() itself.
    if (rc > 0 && (fds.revents & (POLLIN | POLLHUP)) != 0 && tui.on_input(now)) break;
    if (now >= next_tick) {
      feed(store, nodes, tick, now);
      const ct::TickContext ctx{store, firing, now};
      if (tick == 1) tui.on_transition({firing[0], ct::AlertState::firing, now, now}, ctx);
      tui.on_tick(ctx);
      ++tick;
      next_tick += std::chrono::milliseconds(tick_ms);
    }
    tui.redraw(now);
  }
  tui.stop();
  return 0;
}
