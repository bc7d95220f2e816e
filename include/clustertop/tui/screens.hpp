// Screens: the overview, the node view, the help overlay and the status line, drawn into a
// Canvas from the Store and the UI state. Pure (no ncurses, no clock), so tests and the
// benchmark render frames without a terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "clustertop/detect/finding.hpp"
#include "clustertop/store/store.hpp"
#include "clustertop/tui/canvas.hpp"
#include "clustertop/tui/keymap.hpp"
#include "clustertop/tui/layout.hpp"
#include "clustertop/tui/view_model.hpp"

namespace clustertop::tui {

enum class Screen { overview, node };

inline constexpr std::array<Duration, 3> kWindows{std::chrono::minutes(1), std::chrono::minutes(10),
                                                  std::chrono::hours(1)};
const char *window_label(std::size_t index);

// Everything the user changed with keys; owned by TuiSink.
struct UiState {
  Screen screen = Screen::overview;
  int pane = 0;         // overview: 0 nodes, 1 alerts; node view: 0 graphs, 1 log
  std::string selected; // node name (survives re-sorting)
  SortMode sort = SortMode::declared;
  bool help = false;
  std::size_t help_scroll = 0; // the first help entry shown (a small screen cuts the list)
  bool paused = false;
  TimePoint paused_at;    // the time the screen shows while paused
  std::size_t window = 0; // index into kWindows (node view graphs)
  // A scrolled pane's newest item shown, by number (scroll.hpp), so that new lines and
  // transitions do not move it; unset: the pane follows the newest.
  std::optional<std::uint64_t> alerts_anchor;
  std::optional<std::uint64_t> log_anchor;
  std::string search; // log search text (case-insensitive)
  bool search_editing = false;
  bool filter = false; // show only lines matching `search`
  std::string message; // status line message (CSV result, theme name, ...)
  bool message_is_error = false;
  // When the message was given, by the steady clock: a message ages in real time, also in
  // a replay whose clock runs at --speed.
  std::chrono::steady_clock::time_point message_at;
  std::string theme_name;
};

// What a frame is drawn from.
struct Frame {
  const Store &store;
  const std::vector<Finding> &firing;
  const std::deque<AlertTransition> &transitions; // newest first
  const UiState &ui;
  TimePoint now; // the time shown (paused_at while paused)
  // Transitions ever listed, so that transitions[i] is number transitions_pushed - 1 - i.
  std::uint64_t transitions_pushed = 0;
  // The steady clock's time, for message ageing.
  std::chrono::steady_clock::time_point steady_now{};
};

// Draws the whole screen. Returns the node order and, for the overview, the tile of each
// visible node (mouse clicks map back through them).
struct Drawn {
  std::vector<std::string> order;
  std::vector<std::pair<Rect, std::string>> tiles;
  std::size_t log_lines = 0; // lines the log pane can scroll through
  // What a scrolled pane can show, for the keys that move it (scroll.hpp).
  struct Scrollable {
    std::vector<std::uint64_t> newest_first; // the items' numbers
    std::size_t rows = 0;                    // items the pane shows at once
  };
  Scrollable log, alerts;
  Rect log_pane, alerts_pane;      // where they are drawn (empty: not drawn), for the mouse wheel
  std::size_t help_scroll_max = 0; // the last useful UiState::help_scroll
  std::size_t help_rows = 0;       // help entries shown at once
};
Drawn render(Canvas &canvas, const Frame &frame);

// Pieces, for tests.
void render_overview(Canvas &c, const Frame &f, Drawn &drawn);
void render_node_view(Canvas &c, const Frame &f, Drawn &drawn);
// Shows the entries from `first` on (clamped); returns the largest `first` that is useful,
// 0 when every entry fits.
std::size_t render_help(Canvas &c, std::size_t first = 0, std::size_t *shown = nullptr);
void render_too_small(Canvas &c);
void render_status(Canvas &c, const Rect &r, const Frame &f);

} // namespace clustertop::tui
