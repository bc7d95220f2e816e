// Canvas: a grid of cells (a code point and a style role) that screens draw into. Pure and
// testable; the terminal layer copies only the cells that changed to ncurses. Owns text
// sanitising: control bytes, invalid UTF-8, marks and glyphs whose width terminals disagree
// on (emoji) never reach the screen, so every cell is one column on the terminal; a CJK
// glyph, two columns on every terminal, takes two cells (the second holds kWideTail).
#pragma once

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/tui/layout.hpp"

namespace clustertop::tui {

// What a cell means; the theme decides how that looks.
enum class Role : std::uint8_t {
  normal,
  dim,
  title,
  header,
  border,
  selected,
  good,
  warn,
  crit,
  power,
  memory,
  step,
  fence,
  log_error,
  log_warn,
  log_info,
  log_tag,
  status,
  match,
  count_
};
inline constexpr int kRoleCount = static_cast<int>(Role::count_);

// The second cell of a two-column glyph (past U+10FFFF: no text holds it). Writing over
// either half of a glyph blanks the other half.
inline constexpr char32_t kWideTail = 0x110001;

struct Cell {
  char32_t ch = U' ';
  Role role = Role::normal;
  bool operator==(const Cell &) const = default;
};

class Canvas {
public:
  Canvas() = default;
  Canvas(int rows, int cols, bool ascii = false);

  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int cols() const { return cols_; }
  [[nodiscard]] bool ascii() const { return ascii_; }

  // Writes UTF-8 text at (row, col), clipped to max_cols and to the canvas. Returns the
  // number of columns written. In ASCII mode every non-ASCII glyph becomes an ASCII one.
  int put(int row, int col, std::string_view utf8, Role role, int max_cols = INT_MAX);
  void fill(const Rect &r, Role role, char32_t ch = U' ');
  void set_role(const Rect &r, Role role); // restyles cells, keeping their glyphs
  // A one-line box border with a title in its top edge.
  void box(const Rect &r, Role role, std::string_view title = {});

  [[nodiscard]] const Cell &at(int row, int col) const {
    return cells_[static_cast<std::size_t>(row * cols_ + col)];
  }
  [[nodiscard]] std::string row_text(int row) const; // UTF-8, for tests and diffs
  [[nodiscard]] std::string text() const;            // every row, '\n'-joined

private:
  Cell *cell(int row, int col) { return &cells_[static_cast<std::size_t>(row * cols_ + col)]; }
  // Writes one cell; a two-column glyph it cuts in half has its other half blanked.
  void set(int row, int col, Cell c);
  int rows_ = 0;
  int cols_ = 0;
  bool ascii_ = false;
  std::vector<Cell> cells_;
};

// The cells a code point takes on a terminal: 1; 0 for combining and format marks (they
// draw over the cell before them, or nothing); 2 for East Asian wide and emoji; -1 for
// controls, unassigned and private-use code points. Tables from the Unicode database
// (src/tui/char_width.inc, written by scripts/gen_char_width.py); the only place that
// decides a width, for measuring and drawing alike.
int cell_width(char32_t cp);

// Whether a glyph of two cells (cell_width 2) is drawn as such: CJK ideographs, kana, Hangul
// syllables, CJK punctuation and fullwidth forms, which every terminal draws two columns
// wide. Emoji and the other wide code points are not: terminals and C libraries disagree on
// their width (one or two columns), and a line drawn wider than its pane pushes the border
// off the screen.
bool shown_wide(char32_t cp);

// Decodes UTF-8 into cells: a code point of one cell (cell_width 1) is one, a shown_wide
// glyph two (the glyph, then kWideTail); tabs become a space, marks of width 0 are dropped,
// and everything else (controls, invalid sequences, other wide glyphs, unassigned code
// points) becomes `replaced` ('?' on the screen; the log search asks for a value no text
// holds, see log_search.hpp). So the result's length is the columns the text takes.
std::u32string sanitize_utf8(std::string_view text, char32_t replaced = U'?');
std::string to_utf8(char32_t cp); // kWideTail: nothing (its glyph is the cell before)
char32_t ascii_fallback(char32_t cp);

} // namespace clustertop::tui
