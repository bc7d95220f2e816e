#include "clustertop/tui/tui_sink.hpp"

#include <algorithm>
#include <cstdlib>

#include <curses.h>
#include <fmt/format.h>

#include "clustertop/core/report.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/tui/scroll.hpp"
#include "terminal.hpp"

namespace clustertop::tui {
namespace {

constexpr std::size_t kMaxTransitions = 200;
constexpr int kEsc = 27;
constexpr int kCtrlC = 3;  // raw mode: Ctrl-C arrives as a key (the table: quit)
constexpr int kCtrlZ = 26; // and Ctrl-Z (the table: suspend)

bool is_backspace(int code, bool function_key) {
  return (function_key && code == KEY_BACKSPACE) || (!function_key && (code == 127 || code == 8));
}

} // namespace

bool no_color_from_env() {
  const char *v = std::getenv("NO_COLOR"); // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && v[0] != '\0';
}

Result<std::unique_ptr<TuiSink>> TuiSink::create(const Store &store, TuiConfig config,
                                                 std::vector<std::string> &warnings) {
  auto path = theme_search_path(config.themes_dir);
  auto theme = load_theme(config.theme, path, warnings);
  if (!theme) return theme.error();
  std::unique_ptr<TuiSink> sink(new TuiSink(store, std::move(config), std::move(*theme)));
  sink->theme_path_ = std::move(path);
  return sink;
}

TuiSink::TuiSink(const Store &store, TuiConfig config, Theme theme)
    : store_(store), config_(std::move(config)), theme_(std::move(theme)), ascii_(config_.ascii) {
  ui_.theme_name = theme_.name;
}

TuiSink::~TuiSink() { stop(); }

Status TuiSink::start(std::FILE *out, std::FILE *in) {
  auto term = Terminal::open(out, in, config_.no_color);
  if (!term) return term.error();
  terminal_ = std::move(*term);
  ascii_ = config_.ascii || !terminal_->utf8();
  terminal_->apply_theme(theme_);
  input_fd_ = fileno(in);
  // Without it the dashboard runs as before: messages are drawn over it until a redraw.
  if (stderr_.start()) terminal_->crash_forwards_stderr(stderr_.saved_fd(), stderr_.fd());
  dirty_ = true;
  return ok_status();
}

void TuiSink::stop() {
  terminal_.reset(); // endwin restores the terminal
  input_fd_ = -1;
  const auto lines = stderr_.stop();
  if (lines.empty()) return;
  report(stderr, "clustertop: written to standard error while the dashboard was up:\n");
  for (const auto &line : lines) report(stderr, "  {}\n", line);
}

std::string stderr_status(const std::vector<std::string> &lines) {
  if (lines.empty()) return {};
  // "help: create the directory first" alone said neither what failed nor where.
  std::size_t newest = lines.size() - 1;
  while (newest > 0 && !lines[newest].empty() && lines[newest].front() == ' ') --newest;
  std::string text = lines[newest];
  if (lines.size() > 1) text += fmt::format(" (+{} more, shown at exit)", lines.size() - 1);
  return text;
}

void TuiSink::on_messages() {
  const auto lines = stderr_.drain();
  if (lines.empty()) return;
  say(stderr_status(lines), true);
  dirty_ = true;
}

void TuiSink::set_size(int rows, int cols) {
  rows_ = rows;
  cols_ = cols;
  dirty_ = true;
}

bool TuiSink::on_input(TimePoint now) {
  if (!terminal_) return false;
  while (auto key = terminal_->read_key()) {
    if (key->function && key->code == KEY_RESIZE) {
      terminal_->invalidate();
      dirty_ = true;
      continue;
    }
    if (key->function && key->code == KEY_MOUSE) {
      if (key->mouse_row >= 0) click(key->mouse_row, key->mouse_col, key->double_click);
      continue;
    }
    if (key->wheel != 0 && wheel(key->mouse_row, key->mouse_col, key->wheel)) continue;
    if (handle_key(key->code, key->function, now)) return true;
  }
  return false;
}

bool TuiSink::redraw(TimePoint now) {
  if (terminal_) {
    int rows = 0, cols = 0;
    terminal_->sync_size();
    terminal_->size(rows, cols);
    if (rows != rows_ || cols != cols_) set_size(rows, cols);
  }
  if (!dirty_) return false;
  if (canvas_.rows() != rows_ || canvas_.cols() != cols_ || canvas_.ascii() != ascii_)
    canvas_ = Canvas(rows_, cols_, ascii_);
  const TimePoint shown = ui_.paused ? ui_.paused_at : now;
  drawn_ = render(canvas_, Frame{store_, firing_, transitions_, ui_, shown, transitions_pushed_,
                                 std::chrono::steady_clock::now()});
  if (ui_.selected.empty() && !drawn_.order.empty()) ui_.selected = drawn_.order.front();
  if (terminal_) terminal_->draw(canvas_);
  dirty_ = false;
  return true;
}

void TuiSink::on_transition(const AlertTransition &t, const TickContext &ctx) {
  transitions_.push_front(t);
  ++transitions_pushed_;
  if (transitions_.size() > kMaxTransitions) transitions_.pop_back();
  if (ui_.paused) return;
  // The firing set with it: the header's count and the badges said "0 firing" beside a
  // listed firing alert until the next tick (an --interval later).
  firing_ = ctx.firing;
  dirty_ = true;
}

void TuiSink::on_tick(const TickContext &ctx) {
  if (ui_.paused) return; // the screen stays as it was; collection goes on
  firing_ = ctx.firing;
  dirty_ = true;
}

bool TuiSink::handle_key(int code, bool function_key, TimePoint now) {
  dirty_ = true;
  // Ctrl-C and Ctrl-Z (keys in raw mode) act as the key table says, also while a search is
  // typed.
  const bool global = !function_key && (code == kCtrlC || code == kCtrlZ);
  if (ui_.search_editing && !global) return edit_search(code, function_key);
  if (!function_key && code >= 256) return false; // other characters mean nothing here
  if (is_backspace(code, function_key)) return apply(Action::back, now);
  const int lookup = function_key || code < 256 ? code : -1;
  for (const auto &b : key_table()) {
    // Characters and KEY_* codes live in different ranges of the table.
    if (b.key != lookup || (function_key != (b.key >= KEY_MIN))) continue;
    return apply(b.action, now);
  }
  return false;
}

bool TuiSink::edit_search(int code, bool function_key) {
  if (!function_key && code == kEsc) {
    ui_.search_editing = false;
    ui_.search.clear();
    ui_.filter = false;
  } else if (!function_key && (code == '\n' || code == '\r')) {
    ui_.search_editing = false;
  } else if (function_key && code == KEY_ENTER) {
    ui_.search_editing = false;
  } else if (is_backspace(code, function_key)) {
    if (!ui_.search.empty()) { // drop one UTF-8 code point
      ui_.search.erase(utf8_boundary(ui_.search, ui_.search.size() - 1));
    }
  } else if (!function_key && code >= 0x20 && code != 0x7F && ui_.search.size() < 200) {
    ui_.search += to_utf8(static_cast<char32_t>(code));
  }
  ui_.log_anchor.reset();
  return false;
}

void TuiSink::click(int row, int col, bool double_click) {
  dirty_ = true;
  for (const auto &[rect, name] : drawn_.tiles) {
    if (!rect.contains(row, col)) continue;
    ui_.selected = name;
    ui_.pane = 0;
    if (double_click) ui_.screen = Screen::node, ui_.log_anchor.reset();
    return;
  }
}

bool TuiSink::wheel(int row, int col, int up) {
  // The pane under the pointer scrolls, whichever has the keys' focus: the wheel over the
  // node view's log moved to the next node unless Tab had focused the log first. Older items
  // are up the log and down the alerts list.
  if (ui_.screen == Screen::node && drawn_.log_pane.contains(row, col)) {
    scroll_by(up);
  } else if (ui_.screen == Screen::overview && drawn_.alerts_pane.contains(row, col)) {
    scroll_by(-up);
  } else {
    return false; // elsewhere, as Up/Down
  }
  dirty_ = true;
  return true;
}

void TuiSink::move_selection(long delta) {
  const auto &order = drawn_.order.empty() ? store_.nodes() : drawn_.order;
  if (order.empty()) return;
  auto it = std::find(order.begin(), order.end(), ui_.selected);
  long i = it == order.end() ? 0 : it - order.begin();
  i = std::clamp(i + delta, 0L, static_cast<long>(order.size()) - 1);
  const auto &next = order[static_cast<std::size_t>(i)];
  // A log anchor counts one node's lines: another node's view starts following.
  if (next != ui_.selected) ui_.log_anchor.reset();
  ui_.selected = next;
}

void TuiSink::scroll_by(long delta) {
  // Positive delta scrolls toward older items (up the log, down the alert list). The last
  // frame's items: a number stays valid whatever arrived since.
  const bool log = ui_.screen == Screen::node;
  const auto &items = log ? drawn_.log : drawn_.alerts;
  auto &anchor = log ? ui_.log_anchor : ui_.alerts_anchor;
  const auto offset = static_cast<long>(scroll_offset(items.newest_first, anchor, items.rows));
  anchor = anchor_at(items.newest_first, offset + delta, items.rows);
}

} // namespace clustertop::tui
