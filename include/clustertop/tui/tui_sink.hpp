// TuiSink: the interactive dashboard as a Sink. It reads the Store and the alerts, handles
// keys and mouse, and draws at most once per tick or keypress, only the cells that changed.
// Main thread only; it never blocks (it reads only the Store, never the network). The app
// owns the poll loop and calls input_fd()/on_input()/redraw().
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/stderr_capture.hpp"
#include "clustertop/sink/sink.hpp"
#include "clustertop/tui/canvas.hpp"
#include "clustertop/tui/screens.hpp"
#include "clustertop/tui/theme.hpp"

namespace clustertop::tui {

class Terminal;

struct TuiConfig {
  std::string theme;      // --theme NAME|FILE; empty: default
  std::string themes_dir; // --themes-dir
  bool ascii = false;     // --ascii (also forced when the locale is not UTF-8)
  bool no_color = false;  // NO_COLOR set (see no_color_from_env)
  // `e`: writes a CSV snapshot and returns the path written (or an Error). Unset: `e` says
  // that snapshots are not available.
  std::function<Result<std::string>(TimePoint now)> write_csv;
};

// NO_COLOR (https://no-color.org): set and non-empty.
bool no_color_from_env();

class TuiSink : public Sink {
public:
  // Loads the theme (errors and warnings before the screen starts); starts no terminal.
  static Result<std::unique_ptr<TuiSink>> create(const Store &store, TuiConfig config,
                                                 std::vector<std::string> &warnings);
  ~TuiSink() override;
  TuiSink(const TuiSink &) = delete;
  TuiSink &operator=(const TuiSink &) = delete;

  // Takes over the terminal (alternate screen). stop() (or the destructor) restores it.
  Status start(std::FILE *out = stdout, std::FILE *in = stdin);
  void stop();

  [[nodiscard]] int input_fd() const { return input_fd_; }
  // Standard error while the screen is up (StderrCapture): poll it for POLLIN and call
  // on_messages, which shows the newest line in the status line. stop() prints every line
  // kept on the real stderr once the screen is gone.
  [[nodiscard]] int message_fd() const { return stderr_.fd(); }
  void on_messages();
  // Reads every pending key (and KEY_RESIZE). Returns true when the user quit.
  bool on_input(TimePoint now);
  // Draws if something changed since the last frame. Returns true when it drew.
  bool redraw(TimePoint now);

  void on_transition(const AlertTransition &t, const TickContext &ctx) override;
  void on_tick(const TickContext &ctx) override;

  // Without a terminal (tests, benchmark): the frame size and one key at a time.
  void set_size(int rows, int cols);
  bool handle_key(int code, bool function_key, TimePoint now);
  void click(int row, int col, bool double_click);
  // The mouse wheel (1 up, -1 down) at (row, col): scrolls the pane under it; false where no
  // scrolled pane is (it then acts as Up/Down).
  bool wheel(int row, int col, int up);
  [[nodiscard]] const Canvas &canvas() const { return canvas_; }
  [[nodiscard]] const UiState &ui() const { return ui_; }

private:
  TuiSink(const Store &store, TuiConfig config, Theme theme);
  bool apply(Action a, TimePoint now);
  bool scroll_help(Action a); // false: `a` does not scroll
  bool edit_search(int code, bool function_key);
  void move_selection(long delta);
  [[nodiscard]] long nodes_page() const;
  void scroll_by(long delta);
  void cycle_theme();
  void snapshot_csv(TimePoint now);
  void say(std::string text, bool error);

  const Store &store_;
  TuiConfig config_;
  Theme theme_;
  std::vector<std::string> theme_path_;
  std::unique_ptr<Terminal> terminal_;
  int input_fd_ = -1;
  StderrCapture stderr_;
  bool ascii_ = false;
  Canvas canvas_;
  int rows_ = 24, cols_ = 80;
  UiState ui_;
  Drawn drawn_;
  std::vector<Finding> firing_;
  std::deque<AlertTransition> transitions_; // newest first
  std::uint64_t transitions_pushed_ = 0;    // ever listed: numbers them (Frame)
  bool dirty_ = true;
};

// The status line's words for lines written to stderr while the dashboard was up: the newest
// message's own line (an Error's indented help line after it is not one), and how many more
// are shown at exit.
std::string stderr_status(const std::vector<std::string> &lines);

} // namespace clustertop::tui
