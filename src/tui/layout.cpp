#include "clustertop/tui/layout.hpp"

#include <algorithm>

namespace clustertop::tui {
namespace {

constexpr int kHeaderRows = 2;   // summary + column labels
constexpr int kTileMinCols = 80; // narrower tiles lose the sparklines
constexpr int kMinGraphRows = 4; // a node-view graph: its box and two rows of braille

int alerts_rows(int rows) {
  if (rows >= 24) return std::clamp(rows / 5, 4, 10);
  if (rows >= 16) return 3;
  return 0; // the header still counts firing alerts
}

struct Grid {
  int tile_rows = 1;
  int columns = 1;
};

// The roomiest grid that shows every node; when none does, compact rows that scroll.
Grid choose_grid(int area_rows, int cols, std::size_t nodes) {
  const int max_columns = std::max(1, cols / kTileMinCols);
  const auto n = static_cast<long>(std::max<std::size_t>(nodes, 1));
  for (int tile_rows : {3, 2, 1}) {
    for (int columns = 1; columns <= max_columns; ++columns) {
      const long lines = (n + columns - 1) / columns;
      if (lines * tile_rows <= area_rows) return {tile_rows, columns};
    }
  }
  return {1, max_columns};
}

} // namespace

OverviewLayout layout_overview(int rows, int cols, std::size_t nodes, std::size_t selected) {
  OverviewLayout out;
  if (rows < kMinRows || cols < kMinCols) {
    out.too_small = true;
    return out;
  }
  out.header = {0, 0, kHeaderRows, cols};
  out.status = {rows - 1, 0, 1, cols};
  const int alerts = alerts_rows(rows);
  out.alerts = {rows - 1 - alerts, 0, alerts, cols};
  const int area_top = kHeaderRows;
  const int area_rows = rows - 1 - alerts - kHeaderRows;
  const Grid grid = choose_grid(area_rows, cols, nodes);
  out.tile_rows = grid.tile_rows;
  const int lines = area_rows / grid.tile_rows;
  const auto per_page = static_cast<std::size_t>(lines * grid.columns);
  if (nodes == 0 || per_page == 0) return out;
  selected = std::min(selected, nodes - 1);
  out.first_node = selected - selected % per_page;
  const std::size_t shown = std::min(per_page, nodes - out.first_node);
  const int width = (cols - (grid.columns - 1)) / grid.columns;
  for (std::size_t i = 0; i < shown; ++i) {
    const int line = static_cast<int>(i) / grid.columns;
    const int column = static_cast<int>(i) % grid.columns;
    const int col = column * (width + 1);
    const int w = column == grid.columns - 1 ? cols - col : width;
    out.tiles.push_back({area_top + line * grid.tile_rows, col, grid.tile_rows, w});
  }
  return out;
}

NodeViewLayout layout_node_view(int rows, int cols) {
  NodeViewLayout out;
  if (rows < kMinRows || cols < kMinCols) {
    out.too_small = true;
    return out;
  }
  out.header = {0, 0, 1, cols};
  out.status = {rows - 1, 0, 1, cols};
  const int body = rows - 2;
  // Graphs take about half the body; the log tail the rest (at least 3 lines).
  int graphs = std::max(4, body / 2);
  graphs = std::min(graphs, body - 3);
  // Two graphs a row from 80 columns, else one. A graph needs kMinGraphRows (its box and two
  // rows of braille); those that do not fit are left out, last first (fence_wait, step time,
  // memory), and their rows go to the log.
  const int per_row = cols >= 80 ? 2 : 1;
  const int graph_rows = std::min(4 / per_row, graphs / kMinGraphRows);
  if (graph_rows == 0) graphs = 0;
  Rect *slots[] = {&out.power, &out.memory, &out.step, &out.fence};
  const int left_w = cols / per_row;
  int top = 1;
  for (int g = 0; g < graph_rows; ++g) {
    const int h = g == graph_rows - 1 ? 1 + graphs - top : graphs / graph_rows;
    for (int k = 0; k < per_row; ++k)
      *slots[g * per_row + k] = {top, k * left_w, h, k == per_row - 1 ? cols - k * left_w : left_w};
    top += h;
  }
  out.log = {1 + graphs, 0, body - graphs, cols};
  return out;
}

Rect centered(int rows, int cols, int want_rows, int want_cols) {
  const int h = std::clamp(want_rows, 0, std::max(0, rows));
  const int w = std::clamp(want_cols, 0, std::max(0, cols));
  return {(rows - h) / 2, (cols - w) / 2, h, w};
}

} // namespace clustertop::tui
