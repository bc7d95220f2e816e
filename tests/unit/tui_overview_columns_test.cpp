// The node table's columns fit the tile they are drawn in: the state and the alert badges
// are always shown, and the column labels stand over every column of tiles.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "clustertop/tui/screens.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct Cluster {
  Store store;
  std::vector<Finding> firing;
  std::deque<AlertTransition> transitions;
  UiState ui;

  explicit Cluster(int nodes) {
    for (int i = 1; i <= nodes; ++i) {
      const std::string n = fmt::format("node{}", i);
      store.declare_node(n);
      store.apply({n, "", NodeState::up, "", at(0)});
      for (int t = 0; t < 30; ++t) {
        store.add({n, "gpu.power_w", "", 40.0 + t % 5, at(t)});
        store.add({n, "mem.total_bytes", "", 128.0 * (1ULL << 30), at(t)});
        store.add({n, "mem.used_bytes", "", 100.0 * (1ULL << 30), at(t)});
        store.add({n, "step.eval_ms", "", 36.0, at(t)});
        store.add({n, "step.fence_wait_ms", "", 0.5, at(t)});
        store.add({n, "gen.tokens_per_s", "", 27.5, at(t)});
        store.add({n, "ctx.tokens", "", 21000.0, at(t)});
      }
    }
    ui.theme_name = "default";
  }
  void fire(const std::string &node, const std::string &rule) {
    firing.push_back({rule, node, "", Severity::critical, 1, 0, node + " stalled"});
  }
  Drawn draw(Canvas &c) { return render(c, Frame{store, firing, transitions, ui, at(30)}); }
};

// The text of a tile's first line.
std::string tile_text(const Canvas &c, const Rect &r) {
  std::string out;
  for (int x = r.col; x < r.col + r.cols; ++x) out += to_utf8(c.at(r.row, x).ch);
  return out;
}

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// "◌ stale" is seven cells: the state column was six wide and cut it to "◌ sta…".
TEST(TuiOverviewColumns, TheLongestStateIsShownWhole) {
  for (auto [rows, cols] : {std::pair{40, 160}, {45, 170}, {30, 100}}) {
    Cluster cl(3);
    cl.store.apply({"node2", "", NodeState::stale, "no output for 12 s", at(29)});
    Canvas c(rows, cols);
    const auto drawn = cl.draw(c);
    EXPECT_NE(c.text().find("node2 \xe2\x97\x8c stale "), std::string::npos)
        << rows << "x" << cols << "\n"
        << c.text();
  }
}

TEST(TuiOverviewColumns, AFiringAlertIsShownInEveryLayout) {
  for (auto [rows, cols] : {std::pair{45, 170}, {40, 160}, {30, 120}, {50, 250}}) {
    Cluster cl(60);
    cl.fire("node37", "fence_wait_stall");
    cl.ui.selected = "node37";
    Canvas c(rows, cols);
    const auto drawn = cl.draw(c);
    bool found = false;
    for (const auto &[rect, name] : drawn.tiles) {
      const std::string line = tile_text(c, rect);
      EXPECT_NE(line.find("● up"), std::string::npos) << rows << "x" << cols << ": " << line;
      if (name != "node37") continue;
      found = true;
      EXPECT_NE(line.find("[fence_wait_stall]"), std::string::npos)
          << rows << "x" << cols << ": " << line;
    }
    EXPECT_TRUE(found) << rows << "x" << cols;
  }
}

TEST(TuiOverviewColumns, LabelsStandOverEveryColumnOfTiles) {
  for (auto [rows, cols] : {std::pair{45, 170}, {40, 160}, {50, 250}}) {
    Cluster cl(60);
    Canvas c(rows, cols);
    const auto drawn = cl.draw(c);
    std::vector<int> columns;
    for (const auto &[rect, name] : drawn.tiles)
      if (std::find(columns.begin(), columns.end(), rect.col) == columns.end())
        columns.push_back(rect.col);
    ASSERT_GE(columns.size(), 2U) << rows << "x" << cols;
    const std::string labels = c.row_text(1);
    EXPECT_EQ(count(labels, "state"), columns.size()) << rows << "x" << cols << ": " << labels;
    for (int col : columns) { // each tile column's "state" label over its tiles' state
      const std::string below = tile_text(c, drawn.tiles.front().first);
      const auto state_at = below.find("●");
      ASSERT_NE(state_at, std::string::npos);
      const int x = col + static_cast<int>(state_at - 0);
      EXPECT_EQ(c.at(1, x).ch, U's') << rows << "x" << cols << " column at " << col;
    }
  }
}

// One column of tiles at 160 wide: the sparklines and the wider memory bar take only the
// room the badges leave.
TEST(TuiOverviewColumns, WideSingleColumnKeepsTheWholeBadge) {
  for (int cols : {160, 161, 180, 200}) {
    Cluster cl(3);
    cl.fire("node2", "step_stall");
    Canvas c(40, cols);
    const auto drawn = cl.draw(c);
    ASSERT_EQ(drawn.tiles.size(), 3U);
    ASSERT_EQ(drawn.tiles[1].first.cols, cols) << "one column of tiles";
    EXPECT_NE(tile_text(c, drawn.tiles[1].first).find("[step_stall]"), std::string::npos)
        << cols << ": " << tile_text(c, drawn.tiles[1].first);
  }
}

} // namespace
} // namespace clustertop::tui
