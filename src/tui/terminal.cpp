#include "terminal.hpp"

#include <termios.h>

#include <clocale>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <langinfo.h>
#include <pthread.h>
#include <string>
#include <sys/ioctl.h>
#include <wchar.h>

#include <curses.h>

#include "crash_restore.hpp"

namespace clustertop::tui {
namespace {

ColorDepth detect_depth(bool no_color) {
  if (no_color || !has_colors()) return ColorDepth::none;
  if (COLORS >= 0x1000000) return ColorDepth::direct; // e.g. TERM=xterm-direct
  if (COLORS >= 256) return ColorDepth::xterm256;
  return ColorDepth::ansi8;
}

int color_number(const std::optional<Rgb> &c, ColorDepth depth) {
  if (!c) return -1; // the terminal's default colour
  switch (depth) {
  case ColorDepth::direct: return (c->r << 16) | (c->g << 8) | c->b;
  case ColorDepth::xterm256: return to_xterm256(*c);
  case ColorDepth::ansi8: return to_ansi8(*c);
  case ColorDepth::none: return -1;
  }
  return -1;
}

attr_t attributes(const Style &s) {
  attr_t a = A_NORMAL;
  if (s.bold) a |= A_BOLD;
  if (s.reverse) a |= A_REVERSE;
  if (s.underline) a |= A_UNDERLINE;
  return a;
}

} // namespace

void Terminal::ScreenDeleter::operator()(void *screen) const {
  endwin(); // restores the terminal: cooked mode, cursor, main screen
  delscreen(static_cast<SCREEN *>(screen));
}

Result<std::unique_ptr<Terminal>> Terminal::open(std::FILE *out, std::FILE *in, bool no_color) {
  // ncursesw needs the character type to speak UTF-8; LC_NUMERIC stays "C" so number
  // parsing elsewhere (strtod) is not changed by the user's locale.
  std::setlocale(LC_CTYPE, "");
  std::unique_ptr<Terminal> t(new Terminal());
  t->utf8_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  termios cooked{}; // the shell's mode, before ncurses changes it
  const bool tty = ::tcgetattr(fileno(in), &cooked) == 0;
  const auto refuse = [](const char *why) -> Error {
    const char *term = std::getenv("TERM"); // NOLINT(concurrency-mt-unsafe)
    return Error{"cannot start the dashboard", why,
                 std::string("TERM=") + (term ? term : "(unset)"),
                 "set TERM to your terminal's type (e.g. xterm-256color) or use --headless"};
  };
  SCREEN *screen = newterm(nullptr, out, in);
  if (screen == nullptr) return refuse("the terminal type is unknown or not a terminal");
  t->screen_.reset(screen);
  t->out_fd_ = fileno(out);
  set_term(screen);
  // A terminal that cannot move its cursor (TERM=dumb, as editors' shells and some CI set)
  // got a screen of spaces and two lines of text: no dashboard at all.
  const char *cup = tigetstr(const_cast<char *>("cup"));
  if (cup == nullptr || cup == reinterpret_cast<char *>(-1))
    return refuse("the terminal cannot move its cursor");
  raw(); // Ctrl-C arrives as a key: the terminal is always restored by the normal path
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  set_escdelay(25);
  mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
  if (!no_color && has_colors()) {
    start_color(); // sets COLORS, which detect_depth reads
    use_default_colors();
  }
  t->depth_ = detect_depth(no_color);
  if (tty) t->crash_restore_ = std::make_unique<CrashRestore>(fileno(in), fileno(out), cooked);
  return t;
}

Terminal::~Terminal() = default;

void Terminal::size(int &rows, int &cols) const { getmaxyx(stdscr, rows, cols); }

void Terminal::sync_size() {
  // ncurses reports a SIGWINCH as KEY_RESIZE only from the next read; a loop that woke by
  // EINTR and only redraws would keep the old size until a key. Ask the tty directly.
  winsize ws{};
  if (ioctl(out_fd_, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return;
  if (ws.ws_row == LINES && ws.ws_col == COLS) return;
  resizeterm(ws.ws_row, ws.ws_col);
  invalidate();
}

void Terminal::apply_theme(const Theme &theme) {
  const bool color = depth_ != ColorDepth::none;
  for (int r = 0; r < kRoleCount; ++r) {
    styles_[static_cast<std::size_t>(r)] = style_for(static_cast<Role>(r), theme, color);
    if (!color) continue;
    const auto &s = styles_[static_cast<std::size_t>(r)];
    init_extended_pair(r + 1, color_number(s.fg, depth_), color_number(s.bg, depth_));
  }
  if (color) {
    // The background of empty cells follows the theme too.
    bkgdset(static_cast<chtype>(COLOR_PAIR(1)));
  }
  invalidate();
}

void Terminal::invalidate() { full_ = true; }

void Terminal::crash_forwards_stderr(int saved_stderr, int pipe_read) {
  if (crash_restore_) crash_restore_->forward_stderr(saved_stderr, pipe_read);
}

void Terminal::suspend() {
  def_prog_mode();
  endwin();
  // The default action, unblocked, so that raise() stops the process here and now (not
  // whatever handler or mask is in place), until SIGCONT.
  struct sigaction stop {
  }, old{};
  stop.sa_handler = SIG_DFL;
  sigemptyset(&stop.sa_mask);
  ::sigaction(SIGTSTP, &stop, &old);
  sigset_t tstp, mask;
  sigemptyset(&tstp);
  sigaddset(&tstp, SIGTSTP);
  ::pthread_sigmask(SIG_UNBLOCK, &tstp, &mask);
  ::raise(SIGTSTP);
  ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  ::sigaction(SIGTSTP, &old, nullptr);
  reset_prog_mode();
  invalidate();
}

void Terminal::draw_run(int row, int col, const Canvas &frame, int end) {
  const Role role = frame.at(row, col).role;
  const auto &style = styles_[static_cast<std::size_t>(role)];
  int pair = depth_ == ColorDepth::none ? 0 : static_cast<int>(role) + 1;
  attr_set(attributes(style), static_cast<short>(pair), &pair);
  std::wstring text;
  for (int x = col; x < end; ++x) {
    // The canvas holds code points of one cell (cell_width) and CJK glyphs of two, the
    // second cell a kWideTail; ncurses advances by the C library's wcwidth, so a glyph it
    // counts otherwise (an older Unicode) is drawn as '?' a cell and every row keeps its
    // width.
    const char32_t cp = frame.at(row, x).ch;
    const bool first_half = x + 1 < frame.cols() && frame.at(row, x + 1).ch == kWideTail;
    const auto ch = static_cast<wchar_t>(cp);
    if (cp == kWideTail) {
      if (x == col || (!text.empty() && text.back() == L'?')) text.push_back(L'?');
    } else if (first_half) {
      text.push_back(wcwidth(ch) == 2 ? ch : L'?');
    } else {
      text.push_back((ch >= 0x20 && ch < 0x7F) || wcwidth(ch) == 1 ? ch : L'?');
    }
  }
  mvaddnwstr(row, col, text.c_str(), static_cast<int>(text.size()));
}

void Terminal::draw(const Canvas &frame) {
  const bool full = full_ || last_.rows() != frame.rows() || last_.cols() != frame.cols();
  if (full) clearok(stdscr, TRUE);
  for (int y = 0; y < frame.rows(); ++y) {
    int x = 0;
    while (x < frame.cols()) {
      if (!full && frame.at(y, x) == last_.at(y, x)) {
        ++x;
        continue;
      }
      // A run of changed cells sharing one role; a two-column glyph is drawn whole, in its
      // first cell's role.
      if (frame.at(y, x).ch == kWideTail && x > 0) --x;
      int end = x + 1;
      while (end < frame.cols() && (frame.at(y, end).ch == kWideTail ||
                                    (frame.at(y, end).role == frame.at(y, x).role &&
                                     (full || !(frame.at(y, end) == last_.at(y, end))))))
        ++end;
      draw_run(y, x, frame, end);
      x = end;
    }
  }
  wnoutrefresh(stdscr);
  doupdate();
  last_ = frame;
  full_ = false;
}

std::optional<Key> Terminal::read_key() {
  wint_t ch = 0;
  const int rc = get_wch(&ch);
  if (rc == ERR) return std::nullopt;
  Key k;
  k.code = static_cast<int>(ch);
  k.function = rc == KEY_CODE_YES;
  if (k.function && k.code == KEY_MOUSE) {
    MEVENT ev{};
    if (getmouse(&ev) == OK) {
      k.mouse_row = ev.y;
      k.mouse_col = ev.x;
      k.double_click = (ev.bstate & BUTTON1_DOUBLE_CLICKED) != 0;
      if ((ev.bstate & BUTTON4_PRESSED) != 0) k.code = KEY_UP, k.wheel = 1;
      if ((ev.bstate & BUTTON5_PRESSED) != 0) k.code = KEY_DOWN, k.wheel = -1;
    }
  }
  return k;
}

} // namespace clustertop::tui
