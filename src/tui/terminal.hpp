// Terminal: the only code that calls ncurses. Owns the SCREEN, colour pairs and the copy of
// the last frame, and writes only the cells that changed. Main thread only.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>

#include "clustertop/core/result.hpp"
#include "clustertop/tui/canvas.hpp"
#include "clustertop/tui/theme.hpp"

namespace clustertop::tui {

class CrashRestore;

enum class ColorDepth { none, ansi8, xterm256, direct };

struct Key {
  int code = 0;
  bool function = false; // an ncurses KEY_* code rather than a character
  int mouse_row = -1, mouse_col = -1;
  bool double_click = false;
  // The wheel at (mouse_row, mouse_col): 1 up, -1 down (code is then KEY_UP / KEY_DOWN).
  int wheel = 0;
};

class Terminal {
public:
  // Starts ncurses on the given streams (the alternate screen, raw keys, mouse).
  static Result<std::unique_ptr<Terminal>> open(std::FILE *out, std::FILE *in, bool no_color);
  ~Terminal();
  Terminal(const Terminal &) = delete;
  Terminal &operator=(const Terminal &) = delete;

  void size(int &rows, int &cols) const;
  // Follows a terminal resize even before ncurses has delivered KEY_RESIZE.
  void sync_size();
  [[nodiscard]] ColorDepth depth() const { return depth_; }
  [[nodiscard]] bool utf8() const { return utf8_; }
  void apply_theme(const Theme &theme);
  // Copies the cells that differ from the last frame, then updates the screen.
  void draw(const Canvas &frame);
  void invalidate(); // next draw repaints everything (after a resize or theme change)
  // Ctrl-Z (raw mode turns it into a key): gives the shell its screen and mode back and
  // stops the process, as SIGTSTP does; returns after `fg` with the screen to be redrawn.
  void suspend();
  // Where standard error is captured: a fatal signal puts it back and forwards what waits
  // (CrashRestore::forward_stderr).
  void crash_forwards_stderr(int saved_stderr, int pipe_read);
  // Next pending key without waiting; nullopt when none.
  std::optional<Key> read_key();

private:
  Terminal() = default;
  void draw_run(int row, int col, const Canvas &frame, int end);

  struct ScreenDeleter {
    void operator()(void *screen) const;
  };
  std::unique_ptr<void, ScreenDeleter> screen_;
  std::unique_ptr<CrashRestore> crash_restore_; // disarmed before endwin runs
  int out_fd_ = -1;
  ColorDepth depth_ = ColorDepth::none;
  bool utf8_ = false;
  Canvas last_;
  bool full_ = true;
  std::array<Style, kRoleCount> styles_{};
};

} // namespace clustertop::tui
