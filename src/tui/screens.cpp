// Frame dispatch and the pieces every screen shares: status line, help overlay, the
// too-small message.
#include "clustertop/tui/screens.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "clustertop/tui/widgets.hpp"

namespace clustertop::tui {

const char *window_label(std::size_t index) {
  static constexpr std::array<const char *, 3> kLabels{"1m", "10m", "1h"};
  return kLabels[index % kLabels.size()];
}

void render_status(Canvas &c, const Rect &r, const Frame &f) {
  c.fill(r, Role::status);
  if (f.ui.search_editing) {
    c.put(r.row, r.col, "/" + f.ui.search + "_   (Enter: keep, Esc: cancel)", Role::status, r.cols);
    return;
  }
  const bool fresh =
      !f.ui.message.empty() && f.steady_now - f.ui.message_at < std::chrono::seconds(8);
  std::string left = fresh ? f.ui.message
                     : f.ui.screen == Screen::overview
                         ? "q quit  ? help  Up/Down select  Enter node  Tab pane  s sort  "
                           "p pause  t theme  e csv"
                         : "Esc back  w window  Tab pane  / search  f filter  PgUp/PgDn scroll  "
                           "? help";
  c.put(r.row, r.col, left, fresh && f.ui.message_is_error ? Role::crit : Role::status, r.cols);
  const std::string right = " theme " + f.ui.theme_name + " ";
  if (static_cast<int>(left.size() + right.size()) < r.cols)
    c.put(r.row, r.col + r.cols - static_cast<int>(right.size()), right, Role::status);
}

std::size_t render_help(Canvas &c, std::size_t first, std::size_t *shown) {
  struct Entry {
    const char *label;
    const char *help;
  };
  std::vector<Entry> entries;
  for (const auto &b : key_table())
    if (b.help[0] != '\0') entries.push_back({b.label, b.help});
  // The mouse is one entry more, so that it scrolls into view where the keys do not all fit.
  entries.push_back({"mouse", "click a node to select it, double-click to open"});
  const int count = static_cast<int>(entries.size());
  const Rect box = centered(c.rows(), c.cols(), count + 3, 72);
  c.fill(box, Role::normal);
  c.box(box, Role::header, " clustertop keys (? or Esc to close) ");
  const int inner = box.rows - 2;
  // Where not every entry fits, the last row says which are shown and how to see the rest.
  const bool all_fit = count <= inner;
  const int rows = all_fit ? count : std::max(0, inner - 1);
  const auto most = static_cast<std::size_t>(count - rows);
  if (shown != nullptr) *shown = static_cast<std::size_t>(rows);
  first = std::min(first, most);
  for (int i = 0; i < rows; ++i) {
    const Entry &e = entries[first + static_cast<std::size_t>(i)];
    // The mouse entry after a blank row where there is one (at 80x24 not).
    const bool apart = all_fit && i == count - 1 && count < inner;
    const int row = box.row + 1 + i + (apart ? 1 : 0);
    c.put(row, box.col + 2, fit(e.label, 12), Role::title, box.cols - 4);
    // Cut with "…" on a small screen: "clear the" read as a whole entry.
    c.put(row, box.col + 15, fit(e.help, box.cols - 17), Role::normal, box.cols - 17);
  }
  if (!all_fit)
    c.put(box.row + box.rows - 2, box.col + 2,
          fmt::format("{}-{} of {} entries: Up/Down for more", first + 1, first + rows, count),
          Role::dim, box.cols - 4);
  return most;
}

void render_too_small(Canvas &c) {
  const std::array<std::string, 3> lines{
      "Terminal too small",
      fmt::format("{}x{}, need {}x{}", c.cols(), c.rows(), kMinCols, kMinRows),
      "Enlarge it (q quits)"};
  const int top = std::max(0, c.rows() / 2 - 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int col = std::max(0, (c.cols() - static_cast<int>(lines[i].size())) / 2);
    c.put(top + static_cast<int>(i), col, lines[i], i == 0 ? Role::warn : Role::normal, c.cols());
  }
}

Drawn render(Canvas &canvas, const Frame &frame) {
  Drawn drawn;
  canvas.fill({0, 0, canvas.rows(), canvas.cols()}, Role::normal);
  if (canvas.rows() < kMinRows || canvas.cols() < kMinCols) {
    render_too_small(canvas);
    return drawn;
  }
  if (frame.ui.screen == Screen::node && frame.store.node(frame.ui.selected) != nullptr)
    render_node_view(canvas, frame, drawn);
  else
    render_overview(canvas, frame, drawn);
  if (frame.ui.help)
    drawn.help_scroll_max = render_help(canvas, frame.ui.help_scroll, &drawn.help_rows);
  return drawn;
}

} // namespace clustertop::tui
