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
      for (const auto &r : all) {
        expect_inside(r, rows, cols, "node view");
        EXPECT_FALSE(r.empty()) << rows << "x" << cols;
      }
      expect_disjoint(all, rows, cols);
      EXPECT_GE(l.log.rows, 3);
      if (HasFailure()) return;
    }
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
