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
    out.push_back(width == 1 ? cp : replaced);
  }
  return out;
}

std::string to_utf8(char32_t cp) {
  std::string out;
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

int Canvas::put(int row, int col, std::string_view utf8, Role role, int max_cols) {
  if (row < 0 || row >= rows_ || col >= cols_ || max_cols <= 0) return 0;
  int written = 0;
  for (char32_t cp : sanitize_utf8(utf8)) {
    if (written >= max_cols || col + written >= cols_) break;
    if (col + written >= 0) *cell(row, col + written) = {ascii_ ? ascii_fallback(cp) : cp, role};
    ++written;
  }
  return written;
}

void Canvas::fill(const Rect &r, Role role, char32_t ch) {
  if (ascii_) ch = ascii_fallback(ch);
  for (int y = std::max(0, r.row); y < std::min(rows_, r.row + r.rows); ++y)
    for (int x = std::max(0, r.col); x < std::min(cols_, r.col + r.cols); ++x)
      *cell(y, x) = {ch, role};
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
