// Dashboard frame cost: CPU time per frame at 200x50 with 32 nodes, each with an hour of
// 1 Hz history. Render = the pure screen into a Canvas; Frame = render + cell diff + ncurses
// output (a real newterm writing to /dev/null, TERM=xterm-256color).
// Run: build/ci/bench/tui_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "clustertop/tui/screens.hpp"
#include "clustertop/tui/tui_sink.hpp"

namespace ct = clustertop;
namespace tui = clustertop::tui;

namespace {

constexpr int kNodes = 32;
constexpr int kHistory = 3600;
const ct::TimePoint kStart = ct::from_epoch_seconds(1'800'000'000.0);

void add_tick(ct::Store &store, int tick) {
  const auto t = kStart + std::chrono::seconds(tick);
  const double x = tick;
  for (int i = 0; i < kNodes; ++i) {
    const std::string n = fmt::format("node-{:02}", i);
    store.add({n, "gpu.power_w", "", 40 + 10 * std::sin(x / 5 + i), t});
    store.add({n, "mem.total_bytes", "", 128e9, t});
    store.add({n, "mem.available_bytes", "", 60e9 - x * 1e5, t});
    store.add({n, "step.eval_ms", "", 36 + std::sin(x), t});
    store.add({n, "step.model_ms", "", 6, t});
    store.add({n, "step.gpu_eval_ms", "", 1, t});
    store.add({n, "step.fence_wait_ms", "", 0.5, t});
    store.add({n, "gen.tokens_per_s", "", 27, t});
    store.add({n, "ctx.tokens", "", 20000 + x, t});
    store.add_log_line(n, "log:/tmp/exo.log", t, fmt::format("INFO step {} eval=36ms", tick));
  }
}

ct::Store &filled_store() {
  static ct::Store store = [] {
    ct::Store s;
    for (int i = 0; i < kNodes; ++i) {
      s.declare_node(fmt::format("node-{:02}", i));
      s.apply({fmt::format("node-{:02}", i), "", ct::NodeState::up, "", kStart});
    }
    for (int t = 0; t < kHistory; ++t) add_tick(s, t);
    return s;
  }();
  return store;
}

void render_screen(benchmark::State &state, tui::Screen screen) {
  auto &store = filled_store();
  std::vector<ct::Finding> firing;
  std::deque<ct::AlertTransition> transitions;
  tui::UiState ui;
  ui.screen = screen;
  ui.selected = "node-05";
  ui.window = screen == tui::Screen::node ? 2 : 0; // node view over the whole hour
  const auto now = kStart + std::chrono::seconds(kHistory);
  tui::Canvas canvas(50, 200);
  for (auto _ : state) {
    auto drawn = tui::render(canvas, tui::Frame{store, firing, transitions, ui, now});
    benchmark::DoNotOptimize(drawn);
  }
}

void BM_RenderOverview_200x50_32nodes(benchmark::State &s) {
  render_screen(s, tui::Screen::overview);
}
void BM_RenderNodeView1h_200x50(benchmark::State &s) { render_screen(s, tui::Screen::node); }

// A live tick: one new sample per series, then a full frame through ncurses.
void BM_Frame_Ncurses_200x50_32nodes(benchmark::State &state) {
  setenv("TERM", "xterm-256color", 1); // NOLINT(concurrency-mt-unsafe)
  setenv("LINES", "50", 1);            // NOLINT(concurrency-mt-unsafe)
  setenv("COLUMNS", "200", 1);         // NOLINT(concurrency-mt-unsafe)
  auto &store = filled_store();
  std::vector<std::string> warnings;
  auto sink = tui::TuiSink::create(store, tui::TuiConfig{}, warnings);
  std::FILE *out = std::fopen("/dev/null", "w");
  std::FILE *in = std::fopen("/dev/null", "r");
  if (!sink || !(*sink)->start(out, in)) {
    state.SkipWithError("cannot start ncurses on /dev/null");
    return;
  }
  std::vector<ct::Finding> firing;
  int tick = kHistory;
  for (auto _ : state) {
    state.PauseTiming();
    add_tick(store, tick);
    const auto now = kStart + std::chrono::seconds(tick++);
    state.ResumeTiming();
    (*sink)->on_tick(ct::TickContext{store, firing, now});
    benchmark::DoNotOptimize((*sink)->redraw(now));
  }
  (*sink)->stop();
  std::fclose(out);
  std::fclose(in);
}

// Nothing changed since the last frame: redraw must cost (almost) nothing.
void BM_IdleRedraw(benchmark::State &state) {
  auto &store = filled_store();
  std::vector<std::string> warnings;
  auto sink = tui::TuiSink::create(store, tui::TuiConfig{}, warnings);
  (*sink)->set_size(50, 200);
  const auto now = kStart + std::chrono::seconds(kHistory);
  (*sink)->redraw(now);
  for (auto _ : state) benchmark::DoNotOptimize((*sink)->redraw(now));
}

} // namespace

BENCHMARK(BM_RenderOverview_200x50_32nodes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderNodeView1h_200x50)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Frame_Ncurses_200x50_32nodes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IdleRedraw)->Unit(benchmark::kNanosecond);
BENCHMARK_MAIN();
