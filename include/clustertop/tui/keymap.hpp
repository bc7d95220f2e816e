// The key table: every key the dashboard understands, its action and its help text. The
// help overlay is drawn from this table, so the two cannot disagree.
#pragma once

#include <optional>
#include <span>

namespace clustertop::tui {

enum class Action {
  quit,
  suspend,
  help,
  up,
  down,
  left,
  right,
  page_up,
  page_down,
  home,
  end,
  enter,
  back,
  next_pane,
  pause,
  sort,
  next_theme,
  csv,
  search,
  filter,
  next_window,
};

struct KeyBinding {
  int key; // an ncurses key code or a character
  Action action;
  const char *label; // as shown in the help overlay
  const char *help;  // empty for a second key of the same action
};

std::span<const KeyBinding> key_table();
std::optional<Action> action_for(int key);

} // namespace clustertop::tui
