// Dashboard layout: pure functions from (terminal size, node count) to rectangles.
// Owns geometry only; knows nothing of ncurses, the store or themes.
#pragma once

#include <cstddef>
#include <vector>

namespace clustertop::tui {

struct Rect {
  int row = 0;
  int col = 0;
  int rows = 0;
  int cols = 0;
  [[nodiscard]] bool empty() const { return rows <= 0 || cols <= 0; }
  [[nodiscard]] bool contains(int r, int c) const {
    return r >= row && r < row + rows && c >= col && c < col + cols;
  }
  [[nodiscard]] bool overlaps(const Rect &o) const {
    return !empty() && !o.empty() && row < o.row + o.rows && o.row < row + rows &&
           col < o.col + o.cols && o.col < col + cols;
  }
};

inline constexpr int kMinRows = 12;
inline constexpr int kMinCols = 40;

struct OverviewLayout {
  bool too_small = false;
  Rect header;                // cluster summary
  std::vector<Rect> tiles;    // one per visible node, in display order
  std::size_t first_node = 0; // index of the node in tiles[0] (scrolling)
  int tile_rows = 1;          // 1 (compact row), 2 or 3 lines per node
  Rect alerts;                // newest transitions; may be empty on short terminals
  Rect status;                // key hints / messages, the last row
};

// `selected` is kept visible: the first node shown scrolls so that it is on screen.
OverviewLayout layout_overview(int rows, int cols, std::size_t nodes, std::size_t selected = 0);

struct NodeViewLayout {
  bool too_small = false;
  Rect header;
  // The four graphs, each at least 4 rows; on small terminals the last ones are left out
  // (an empty Rect): fence_wait first, then step time, then memory.
  Rect power, memory, step, fence;
  Rect log;
  Rect status;
};

NodeViewLayout layout_node_view(int rows, int cols);

// A centred box of at most the given size, inside the screen (help overlay).
Rect centered(int rows, int cols, int want_rows, int want_cols);

} // namespace clustertop::tui
