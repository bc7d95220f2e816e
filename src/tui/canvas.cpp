#include "clustertop/tui/canvas.hpp"

#include <algorithm>
#include <iterator>

#include "clustertop/core/text.hpp"

namespace clustertop::tui {
namespace {

struct WidthRange {
  char32_t first;
  char32_t last;
  int width;
};

constexpr WidthRange kWidths[] = {
#include "char_width.inc"
};

} // namespace

int cell_width(char32_t cp) {
  if (cp >= 0x20 && cp < 0x7F) return 1; // printable ASCII, most of every screen: no search
  if (cp > 0x10FFFF) return -1;
  const auto *it = std::upper_bound(std::begin(kWidths), std::end(kWidths), cp,
                                    [](char32_t c, const WidthRange &r) { return c < r.first; });
  if (it == std::begin(kWidths)) return 1;
  --it;
  return cp <= it->last ? it->width : 1;
}

bool shown_wide(char32_t cp) {
  if (cell_width(cp) != 2) return false;
  return (cp >= 0x2E80 && cp <= 0x303E) || // CJK radicals, ideographic description, punctuation
         (cp >= 0x3041 && cp <= 0x33FF) || // kana, Bopomofo, Hangul compatibility jamo, CJK
                                           // strokes and compatibility
         (cp >= 0x3400 && cp <= 0x4DBF) || // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) || // CJK unified ideographs
         (cp >= 0xA960 && cp <= 0xA97F) || // Hangul jamo extended A
         (cp >= 0xAC00 && cp <= 0xD7A3) || // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) || // CJK compatibility ideographs
         (cp >= 0xFE30 && cp <= 0xFE4F) || // CJK compatibility forms
         (cp >= 0xFF00 && cp <= 0xFF60) || // fullwidth forms
         (cp >= 0xFFE0 && cp <= 0xFFE6) || // fullwidth signs
         (cp >= 0x20000 && cp <= 0x3FFFD); // CJK extensions B and after
}

std::u32string sanitize_utf8(std::string_view text, char32_t replaced) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = decode_utf8(text, i);
    if (cp == U'\t') {
      out.push_back(U' ');
      continue;
    }
    const int width = cell_width(cp);
    if (width == 0) continue; // a mark that would draw over the cell before it
    if (width == 2 && shown_wide(cp)) {
      out.push_back(cp);
      out.push_back(kWideTail);
      continue;
    }
    out.push_back(width == 1 ? cp : replaced);
  }
  return out;
}

std::string to_utf8(char32_t cp) {
  std::string out;
  if (cp > 0x10FFFF) return out; // kWideTail (and kUnshown): no glyph of its own
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

char32_t ascii_fallback(char32_t cp) {
  if (cp < 0x80) return cp;
  switch (cp) {
  case U'–':
  case U'─': return U'-';
  case U'│': return U'|';
  case U'┌':
  case U'┐':
  case U'└':
  case U'┘': return U'+';
  case U'▲': return U'^';
  case U'▼': return U'v';
  case U'●': return U'*';
  case U'…': return U'~';
  default: break;
  }
  if (cp >= 0x2581 && cp <= 0x2588) return U'#'; // block elements
  if (cp >= 0x2589 && cp <= 0x258F) return U'#';
  if (cp > 0x2800 && cp <= 0x28FF) return U':'; // braille
  if (cp == 0x2800) return U' ';
  return U'?';
}

Canvas::Canvas(int rows, int cols, bool ascii)
    : rows_(std::max(0, rows)), cols_(std::max(0, cols)), ascii_(ascii),
      cells_(static_cast<std::size_t>(rows_ * cols_)) {}

void Canvas::set(int row, int col, Cell c) {
  Cell &old = *cell(row, col);
  if (old.ch == kWideTail && c.ch != kWideTail && col > 0) cell(row, col - 1)->ch = U' ';
  if (col + 1 < cols_ && cell(row, col + 1)->ch == kWideTail && old.ch != kWideTail)
    cell(row, col + 1)->ch = U' '; // `old` was a glyph's first half
  old = c;
}

int Canvas::put(int row, int col, std::string_view utf8, Role role, int max_cols) {
  if (row < 0 || row >= rows_ || col >= cols_ || max_cols <= 0) return 0;
  const std::u32string cps = sanitize_utf8(utf8);
  const int limit = std::min(max_cols, cols_ - col); // the columns this text may take
  int written = 0;
  for (std::size_t i = 0; i < cps.size() && written < limit; ++i, ++written) {
    char32_t cp = cps[i];
    const int x = col + written;
    const bool first_half = i + 1 < cps.size() && cps[i + 1] == kWideTail;
    // Half a glyph is a space: its other half is cut off by the limit or the canvas's left.
    if ((first_half && written + 1 >= limit) || (cp == kWideTail && x - 1 < 0)) cp = U' ';
    // ASCII mode: the glyph's two cells are two of its fallback.
    if (ascii_) cp = ascii_fallback(cp == kWideTail ? cps[i - 1] : cp);
    if (x >= 0) set(row, x, {cp, role});
  }
  return written;
}

void Canvas::fill(const Rect &r, Role role, char32_t ch) {
  if (ascii_) ch = ascii_fallback(ch);
  for (int y = std::max(0, r.row); y < std::min(rows_, r.row + r.rows); ++y)
    for (int x = std::max(0, r.col); x < std::min(cols_, r.col + r.cols); ++x)
      set(y, x, {ch, role});
}

void Canvas::set_role(const Rect &r, Role role) {
  for (int y = std::max(0, r.row); y < std::min(rows_, r.row + r.rows); ++y)
    for (int x = std::max(0, r.col); x < std::min(cols_, r.col + r.cols); ++x)
      cell(y, x)->role = role;
}

void Canvas::box(const Rect &r, Role role, std::string_view title) {
  if (r.rows < 2 || r.cols < 2) return;
  const int bottom = r.row + r.rows - 1;
  const int right = r.col + r.cols - 1;
  fill({r.row, r.col + 1, 1, r.cols - 2}, role, U'─');
  fill({bottom, r.col + 1, 1, r.cols - 2}, role, U'─');
  fill({r.row + 1, r.col, r.rows - 2, 1}, role, U'│');
  fill({r.row + 1, right, r.rows - 2, 1}, role, U'│');
  fill({r.row, r.col, 1, 1}, role, U'┌');
  fill({r.row, right, 1, 1}, role, U'┐');
  fill({bottom, r.col, 1, 1}, role, U'└');
  fill({bottom, right, 1, 1}, role, U'┘');
  if (!title.empty() && r.cols > 4) put(r.row, r.col + 2, title, Role::title, r.cols - 4);
}

std::string Canvas::row_text(int row) const {
  std::string out;
  if (row < 0 || row >= rows_) return out;
  for (int x = 0; x < cols_; ++x) out += to_utf8(at(row, x).ch);
  return out;
}

std::string Canvas::text() const {
  std::string out;
  for (int y = 0; y < rows_; ++y) {
    out += row_text(y);
    out += '\n';
  }
  return out;
}

} // namespace clustertop::tui
