#include <gtest/gtest.h>

#include "clustertop/tui/layout.hpp"

namespace clustertop::tui {
namespace {

void expect_inside(const Rect &r, int rows, int cols, const char *what) {
  if (r.empty()) return;
  EXPECT_GE(r.row, 0) << what;
  EXPECT_GE(r.col, 0) << what;
  EXPECT_LE(r.row + r.rows, rows) << what << " rows=" << rows;
  EXPECT_LE(r.col + r.cols, cols) << what << " cols=" << cols;
}

void expect_disjoint(const std::vector<Rect> &rects, int rows, int cols) {
  for (std::size_t i = 0; i < rects.size(); ++i)
    for (std::size_t j = i + 1; j < rects.size(); ++j)
      ASSERT_FALSE(rects[i].overlaps(rects[j]))
          << "rects " << i << " and " << j << " overlap at " << rows << "x" << cols;
}

TEST(TuiLayout, OverviewInvariantsAcrossSizesAndNodeCounts) {
  for (int rows = kMinRows; rows <= 100; rows += 3) {
    for (int cols = kMinCols; cols <= 300; cols += 13) {
      for (std::size_t nodes : {1U, 2U, 3U, 5U, 8U, 17U, 32U, 100U, 256U}) {
        for (std::size_t selected : {std::size_t{0}, nodes / 2, nodes - 1}) {
          auto l = layout_overview(rows, cols, nodes, selected);
          ASSERT_FALSE(l.too_small);
          ASSERT_FALSE(l.tiles.empty()) << rows << "x" << cols << " n=" << nodes;
          std::vector<Rect> all{l.header, l.alerts, l.status};
          all.insert(all.end(), l.tiles.begin(), l.tiles.end());
          for (const auto &r : all) expect_inside(r, rows, cols, "overview");
          expect_disjoint(all, rows, cols);
          // The selected node is always on screen.
          EXPECT_GE(selected, l.first_node);
          EXPECT_LT(selected, l.first_node + l.tiles.size());
          for (const auto &t : l.tiles) EXPECT_EQ(t.rows, l.tile_rows);
          if (HasFailure()) return;
        }
      }
    }
  }
}

TEST(TuiLayout, EveryNodeShownWhenThereIsRoom) {
  auto l = layout_overview(50, 200, 3);
  EXPECT_EQ(l.tiles.size(), 3U);
  EXPECT_EQ(l.tile_rows, 3); // roomy tiles when few nodes
  auto many = layout_overview(50, 200, 32);
  EXPECT_EQ(many.tiles.size(), 32U);
  EXPECT_GE(many.alerts.rows, 4);
}

TEST(TuiLayout, TooSmallBelowMinimum) {
  EXPECT_TRUE(layout_overview(11, 80, 3).too_small);
  EXPECT_TRUE(layout_overview(24, 39, 3).too_small);
  EXPECT_TRUE(layout_node_view(5, 20).too_small);
  EXPECT_FALSE(layout_overview(12, 40, 3).too_small);
}

TEST(TuiLayout, NodeViewInvariants) {
  for (int rows = kMinRows; rows <= 100; ++rows) {
    for (int cols = kMinCols; cols <= 300; cols += 7) {
      auto l = layout_node_view(rows, cols);
      ASSERT_FALSE(l.too_small);
      std::vector<Rect> all{l.header, l.power, l.memory, l.step, l.fence, l.log, l.status};
      for (const auto &r : all) expect_inside(r, rows, cols, "node view");
      expect_disjoint(all, rows, cols);
      EXPECT_GE(l.log.rows, 3);
      // Every graph shown has room to draw (box + two rows); the ones left out are the last.
      const Rect graphs[] = {l.power, l.memory, l.step, l.fence};
      EXPECT_FALSE(l.power.empty()) << rows << "x" << cols;
      for (std::size_t g = 0; g < 4; ++g) {
        if (graphs[g].empty()) continue;
        EXPECT_GE(graphs[g].rows, 4) << rows << "x" << cols << " graph " << g;
        if (g > 0) EXPECT_FALSE(graphs[g - 1].empty()) << rows << "x" << cols << " graph " << g;
      }
      // No row is left to nobody: header, graphs, log and status cover the screen.
      int covered = 0;
      for (int y = 0; y < rows; ++y)
        for (const auto &r : all)
          if (r.contains(y, 0)) {
            ++covered;
            break;
          }
      EXPECT_EQ(covered, rows) << rows << "x" << cols;
      if (HasFailure()) return;
    }
  }
}

TEST(TuiLayout, NarrowNodeViewDropsGraphsRatherThanShowEmptyBoxes) {
  struct Want {
    int rows, cols;
    int graphs;
  };
  for (auto w : {Want{24, 79, 2}, Want{20, 60, 2}, Want{12, 40, 1}, Want{40, 60, 4},
                 Want{24, 80, 4}, Want{12, 80, 2}}) {
    auto l = layout_node_view(w.rows, w.cols);
    int shown = 0;
    for (const auto &g : {l.power, l.memory, l.step, l.fence}) {
      if (g.empty()) continue;
      ++shown;
      EXPECT_GE(g.rows, 4) << w.rows << "x" << w.cols;
      EXPECT_GE(g.cols, 20) << w.rows << "x" << w.cols;
    }
    EXPECT_EQ(shown, w.graphs) << w.rows << "x" << w.cols;
  }
}

TEST(TuiLayout, CenteredFitsScreen) {
  auto r = centered(12, 40, 30, 70);
  EXPECT_EQ(r.rows, 12);
  EXPECT_EQ(r.cols, 40);
  auto s = centered(50, 200, 20, 60);
  EXPECT_EQ(s.row, 15);
  EXPECT_EQ(s.col, 70);
}

} // namespace
} // namespace clustertop::tui
