// What each key-table action does to the UI state.
#include <algorithm>

#include <fmt/format.h>

#include "clustertop/tui/tui_sink.hpp"
#include "terminal.hpp"

namespace clustertop::tui {
namespace {

// A page of a scrolled pane: what it shows at once, less one line kept for context.
long page_of(const Drawn::Scrollable &pane) {
  return std::max<long>(1, static_cast<long>(pane.rows) - 1);
}
constexpr long kFarthest = 1'000'000'000; // scroll_by clamps it to the oldest item

} // namespace

void TuiSink::say(std::string text, bool error) {
  // One status line: an error's parts on one (its help's line break was drawn as `?`).
  std::replace(text.begin(), text.end(), '\n', ' ');
  ui_.message = std::move(text);
  ui_.message_is_error = error;
  ui_.message_at = std::chrono::steady_clock::now();
}

// The next theme that loads: a broken one is passed over, said in the status line (`t` showed
// its error at every press and the themes after it could not be reached). The theme given by
// its file at start (--theme ./warn.theme) takes its turn too.
void TuiSink::cycle_theme() {
  auto names = list_themes(theme_path_);
  if (!config_.theme.empty() && std::find(names.begin(), names.end(), config_.theme) == names.end())
    names.insert(names.begin(), config_.theme);
  auto at = std::find(names.begin(), names.end(), theme_.name);
  if (at == names.end()) at = std::find(names.begin(), names.end(), config_.theme);
  const std::size_t from = at == names.end() ? 0 : static_cast<std::size_t>(at - names.begin()) + 1;
  std::string skipped;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string &next = names[(from + i) % names.size()];
    if (at != names.end() && next == *at) break; // round to the one shown
    std::vector<std::string> warnings;
    auto theme = load_theme(next, theme_path_, warnings);
    if (!theme) {
      if (skipped.empty()) skipped = theme.error().message();
      continue;
    }
    theme_ = std::move(*theme);
    theme_.name = next;
    ui_.theme_name = next;
    if (terminal_) terminal_->apply_theme(theme_);
    if (!skipped.empty())
      say("theme " + next + "; passed over " + skipped, true);
    else
      say(warnings.empty() ? "theme " + next : warnings.front(), !warnings.empty());
    return;
  }
  say(skipped.empty() ? "no other theme" : skipped, !skipped.empty());
}

void TuiSink::snapshot_csv(TimePoint now) {
  if (!config_.write_csv) {
    say("CSV snapshots are not available in this build", true);
    return;
  }
  auto path = config_.write_csv(now);
  if (path)
    say("CSV snapshot written: " + *path, false);
  else
    say("CSV snapshot failed: " + path.error().message(), true);
}

long TuiSink::nodes_page() const {
  return std::max<long>(1, static_cast<long>(drawn_.tiles.size())); // the nodes on screen
}

bool TuiSink::scroll_help(Action a) {
  const auto most = static_cast<long>(drawn_.help_scroll_max);
  // A page is what the overlay shows less one entry, as for every pane: a fixed 10 skipped an
  // entry where 9 were shown.
  const long page = std::max<long>(1, static_cast<long>(drawn_.help_rows) - 1);
  long first = static_cast<long>(ui_.help_scroll);
  switch (a) {
  case Action::up: --first; break;
  case Action::down: ++first; break;
  case Action::page_up: first -= page; break;
  case Action::page_down: first += page; break;
  case Action::home: first = 0; break;
  case Action::end: first = most; break;
  default: return false;
  }
  ui_.help_scroll = static_cast<std::size_t>(std::clamp(first, 0L, most));
  return true;
}

bool TuiSink::apply(Action a, TimePoint now) {
  // While the help is open, the moving keys scroll it (a small screen cuts it), not what is
  // under it.
  if (ui_.help && scroll_help(a)) return false;
  const bool node_view = ui_.screen == Screen::node;
  const bool log_pane = node_view && ui_.pane == 1;
  const bool alerts_pane = !node_view && ui_.pane == 1;
  switch (a) {
  case Action::quit: return true;
  case Action::suspend:
    if (terminal_) terminal_->suspend();
    break;
  case Action::help:
    ui_.help = !ui_.help;
    ui_.help_scroll = 0;
    break;
  case Action::back:
    if (ui_.help)
      ui_.help = false;
    else if (node_view && !ui_.search.empty())
      ui_.search.clear(), ui_.filter = false, ui_.log_anchor.reset();
    else if (node_view)
      ui_.screen = Screen::overview, ui_.pane = 0, ui_.log_anchor.reset();
    else
      ui_.message.clear();
    break;
  case Action::up:
    if (log_pane || alerts_pane)
      scroll_by(log_pane ? 1 : -1);
    else
      move_selection(-1);
    break;
  case Action::down:
    if (log_pane || alerts_pane)
      scroll_by(log_pane ? -1 : 1);
    else
      move_selection(1);
    break;
  case Action::left:
    if (node_view)
      ui_.window = ui_.window == 0 ? 0 : ui_.window - 1;
    else
      move_selection(-1);
    break;
  case Action::right:
    if (node_view)
      ui_.window = std::min(kWindows.size() - 1, ui_.window + 1);
    else
      move_selection(1);
    break;
  case Action::page_up:
    if (node_view)
      scroll_by(page_of(drawn_.log));
    else if (alerts_pane)
      scroll_by(-page_of(drawn_.alerts));
    else
      move_selection(-nodes_page());
    break;
  case Action::page_down:
    if (node_view)
      scroll_by(-page_of(drawn_.log));
    else if (alerts_pane)
      scroll_by(page_of(drawn_.alerts));
    else
      move_selection(nodes_page());
    break;
  case Action::home:
    if (node_view)
      scroll_by(kFarthest); // the oldest line at the top of the pane
    else if (alerts_pane)
      ui_.alerts_anchor.reset(); // the newest transition, following
    else
      move_selection(-1'000'000);
    break;
  case Action::end:
    if (node_view)
      ui_.log_anchor.reset(); // follow the newest line
    else if (alerts_pane)
      scroll_by(kFarthest); // the oldest transition at the bottom of the pane
    else
      move_selection(1'000'000);
    break;
  case Action::enter:
    if (!node_view && !ui_.selected.empty())
      ui_.screen = Screen::node, ui_.pane = 0, ui_.log_anchor.reset();
    break;
  case Action::next_pane: ui_.pane = 1 - ui_.pane; break;
  case Action::pause:
    ui_.paused = !ui_.paused;
    ui_.paused_at = now;
    say(ui_.paused ? "display paused (collection continues); p resumes" : "display resumed", false);
    break;
  case Action::sort:
    ui_.sort = next(ui_.sort);
    say(fmt::format("sorted by {}", to_string(ui_.sort)), false);
    break;
  case Action::next_theme: cycle_theme(); break;
  case Action::csv: snapshot_csv(now); break;
  case Action::search:
    if (node_view)
      ui_.search_editing = true, ui_.search.clear(), ui_.pane = 1;
    else
      say("open a node (Enter) to search its log", false);
    break;
  case Action::filter:
    if (ui_.search.empty())
      say("search first (/), then f filters", false);
    else
      ui_.filter = !ui_.filter, ui_.log_anchor.reset();
    break;
  case Action::next_window: ui_.window = (ui_.window + 1) % kWindows.size(); break;
  }
  return false;
}

} // namespace clustertop::tui
