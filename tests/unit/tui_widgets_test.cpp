#include <gtest/gtest.h>

#include <clocale>
#include <cwchar>

#include "clustertop/tui/canvas.hpp"
#include "clustertop/tui/widgets.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

TEST(TuiFormat, UnitsAndUnknown) {
  EXPECT_EQ(format_watts(12.34), "12.3 W");
  EXPECT_EQ(format_watts(1250), "1.25 kW");
  EXPECT_EQ(format_watts(0), "0 W"); // a known zero stays zero
  EXPECT_EQ(format_watts(kUnknown), "–");
  EXPECT_EQ(format_bytes(36.0 * 1024 * 1024 * 1024), "36.0 G");
  EXPECT_EQ(format_bytes(512.0 * 1024 * 1024), "512 M");
  EXPECT_EQ(format_bytes(kUnknown), "–");
  EXPECT_EQ(format_ms(0.42), "0.42 ms");
  EXPECT_EQ(format_ms(36.14), "36.1 ms");
  EXPECT_EQ(format_ms(1200), "1.20 s");
  EXPECT_EQ(format_ms(kUnknown), "–");
  // A garbled line's value takes an exponent: its digits, cut, read as another number.
  EXPECT_EQ(format_ms(9e99), "9e+96 s");
  EXPECT_EQ(format_count(1e250), "1e+241G");
  EXPECT_EQ(format_ms(12345678), "1.23e+04 s");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(21300), "21.3K");
  EXPECT_EQ(format_count(200000), "200K");
  EXPECT_EQ(format_count(kUnknown), "–");
  EXPECT_EQ(format_rate(45.12), "45.1/s");
  EXPECT_EQ(format_rate(kUnknown), "–");
  EXPECT_EQ(format_pct(87.4), "87%");
  EXPECT_EQ(format_age(std::chrono::seconds(4)), "4s");
  EXPECT_EQ(format_age(std::chrono::minutes(3)), "3m");
}

TEST(TuiSparkline, BrailleLevelsAndGaps) {
  // Two values per cell: (low, high) then (unknown, unknown) then (unknown, top).
  auto s = sparkline({0.0, 4.0, kUnknown, kUnknown, kUnknown, 4.0}, 0, 4, false);
  // Cell 1: left column one dot (known zero still visible), right column four dots.
  auto cps = sanitize_utf8(s);
  ASSERT_EQ(cps.size(), 3U);
  EXPECT_EQ(cps[0], char32_t{0x2800 + 0x40 + 0x80 + 0x20 + 0x10 + 0x08});
  EXPECT_EQ(cps[1], U' '); // unknown is a gap, not a zero
  EXPECT_EQ(cps[2], char32_t{0x2800 + 0x80 + 0x20 + 0x10 + 0x08});
}

TEST(TuiSparkline, AsciiFallback) {
  auto s = sparkline({0.0, kUnknown, 7.0, 3.5}, 0, 7, true);
  EXPECT_EQ(s, "_ #=");
}

TEST(TuiGraph, FilledAreaRowsTopFirst) {
  auto g = graph({8.0, 4.0}, 2, 0, 8, false); // one cell wide, two rows, 8 levels
  ASSERT_EQ(g.size(), 2U);
  auto top = sanitize_utf8(g[0]);
  auto bottom = sanitize_utf8(g[1]);
  EXPECT_EQ(top[0], char32_t{0x2800 + 0x40 + 0x04 + 0x02 + 0x01}); // left full, right empty
  EXPECT_EQ(bottom[0], char32_t{0x28FF});                          // both full
  auto a = graph({2.0, kUnknown, 1.0}, 1, 0, 2, true);
  EXPECT_EQ(a[0], "# .");
}

TEST(TuiBar, EighthsAndUnknown) {
  EXPECT_EQ(bar(1.0, 3, false), "███");
  EXPECT_EQ(bar(0.5, 2, false), "█ ");
  EXPECT_EQ(bar(0.5 + 1.0 / 16, 2, false), "█▏");
  EXPECT_EQ(bar(0.5, 4, true), "##  ");
  EXPECT_EQ(bar(kUnknown, 4, true), "    ");
  EXPECT_EQ(bar(2.0, 2, true), "##"); // clamped
}

TEST(TuiBucketize, MaxPerBucketGapsAndPause) {
  Series s(100);
  s.push({at(1), 1.0});
  s.push({at(2), 5.0});
  s.push({at(2.5), kUnknown});
  s.push({at(7), 3.0});
  s.push({at(12), 99.0}); // after `end`: ignored (paused screen)
  auto b = bucketize(&s, at(10), std::chrono::seconds(10), 5);
  ASSERT_EQ(b.size(), 5U);
  EXPECT_DOUBLE_EQ(b[0], 1.0);
  EXPECT_DOUBLE_EQ(b[1], 5.0); // the unknown point beside it does not erase it
  EXPECT_DOUBLE_EQ(b[2], 5.0); // a 2 s hole is shorter than the sampling gap: carried
  EXPECT_DOUBLE_EQ(b[3], 3.0);
  auto wide = bucketize(&s, at(10), std::chrono::seconds(100), 10); // 10 s buckets
  EXPECT_DOUBLE_EQ(wide[9], 5.0);
  EXPECT_TRUE(std::isnan(wide[8])); // a real silence stays a gap
  EXPECT_DOUBLE_EQ(latest_at(&s, at(10)), 3.0);
  EXPECT_DOUBLE_EQ(max_in_window(&s, at(10), std::chrono::seconds(5)), 3.0);
  EXPECT_TRUE(std::isnan(latest_at(nullptr, at(10))));
  EXPECT_TRUE(std::isnan(bucketize(nullptr, at(10), std::chrono::seconds(1), 3)[2]));
}

TEST(TuiCanvas, ClipsAndSanitises) {
  Canvas c(2, 6);
  EXPECT_EQ(c.put(0, 3, "abcdef", Role::normal), 3);
  EXPECT_EQ(c.row_text(0), "   abc");
  c.put(1, 0, std::string("a\x1b[2Jb\xff", 7), Role::normal);
  EXPECT_EQ(c.row_text(1), "a?[2Jb");
  Canvas w(1, 4);
  EXPECT_EQ(w.put(0, 0, "\u2705x", Role::normal), 2); // an emoji: one '?' column
  EXPECT_EQ(w.row_text(0), "?x  ");
  Canvas a(1, 4, true);
  a.put(0, 0, "–█⣿é", Role::normal);
  EXPECT_EQ(a.row_text(0), "-#:?");
  EXPECT_EQ(c.put(5, 0, "x", Role::normal), 0); // off-canvas writes nothing
}

// Lines that once drew past their pane: emoji presentation (2 cells), variation selectors
// and enclosing marks, Devanagari and Arabic marks, Hangul medial/final jamo, bidi isolates,
// and the mahjong and playing-card emoji below U+1F300.
struct Hostile {
  const char *text;
  const char *shown;
};
constexpr Hostile kHostile[] = {
    {"\u2705\u26A1\u231A", "???"},
    {"e\uFE0F\uFE0F \u20DD\u20DD", "e "},
    {"\u0928\u092E\u0938\u094D\u0924\u0947", "\u0928\u092E\u0938\u0924"},
    {"\u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627", "\u0645\u0631\u062D\u0628\u0627"},
    {"\u1100\u1161\u11A8x", "?x"},
    {"a\u2066b\u2069c\u200Dd", "abcd"},
    {"\U0001F004\U0001F0CFz", "??z"},
    {"\u0435\u0483\u0489 \u05D0\u0591", "\u0435 \u05D0"},
    {"\U000E0101\U0001F3FB\uFE2Ez", "z"},
};

// The C library's own count of the columns a row takes (the terminal's view of it); the
// second cell of a CJK glyph is drawn by the glyph.
int columns(const Canvas &c, int row) {
  int n = 0;
  for (int x = 0; x < c.cols(); ++x)
    if (c.at(row, x).ch != kWideTail) n += wcwidth(static_cast<wchar_t>(c.at(row, x).ch));
  return n;
}

// CJK glyphs, two columns on every terminal, take two cells: node names such as 节点一 were
// shown as ???, two of them alike. Half a glyph (cut by a limit, the canvas's edges, or
// written over) is a space; emoji, whose width terminals disagree on, stay '?'.
TEST(TuiCanvas, CjkGlyphsTakeTwoCells) {
  const char *old = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr);
  Canvas c(1, 8);
  EXPECT_EQ(c.put(0, 0, "节点a", Role::normal), 5);
  EXPECT_EQ(c.row_text(0), "节点a   ");
  EXPECT_EQ(c.at(0, 1).ch, kWideTail);
  EXPECT_EQ(c.at(0, 3).ch, kWideTail);
  EXPECT_EQ(columns(c, 0), 8);
  c.put(0, 1, "x", Role::normal); // over 节's second half
  EXPECT_EQ(c.row_text(0), " x点a   ");
  c.put(0, 2, "y", Role::normal); // over 点's first half
  EXPECT_EQ(c.row_text(0), " xy a   ");
  EXPECT_EQ(columns(c, 0), 8);
  Canvas cut(1, 6);
  EXPECT_EQ(cut.put(0, 0, "节点一", Role::normal, 3), 3); // the limit cuts 点
  EXPECT_EQ(cut.row_text(0), "节    ");
  cut.put(0, 5, "z", Role::normal);
  EXPECT_EQ(cut.put(0, 5, "一", Role::normal), 1); // the canvas's right edge
  EXPECT_EQ(cut.row_text(0), "节    ");
  EXPECT_EQ(cut.put(0, -1, "一b", Role::normal), 3); // its left edge
  EXPECT_EQ(cut.row_text(0).substr(0, 2), " b");
  cut.fill({0, 0, 1, 6}, Role::normal);
  cut.put(0, 2, "汉字", Role::normal);
  cut.fill({0, 3, 1, 1}, Role::dim, U'-'); // a fill over 汉's second half
  EXPECT_EQ(cut.row_text(0), "   -字");
  EXPECT_EQ(columns(cut, 0), 6);
  Canvas ascii(1, 5, true);
  EXPECT_EQ(ascii.put(0, 0, "节x", Role::normal), 3);
  EXPECT_EQ(ascii.row_text(0), "??x  ");
  Canvas emoji(1, 4);
  EXPECT_EQ(emoji.put(0, 0, "\U0001F525\u231A", Role::normal), 2);
  EXPECT_EQ(emoji.row_text(0), "??  ");
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST(TuiCanvas, EveryCellIsOneColumnWhateverTheText) {
  const char *old = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr);
  for (const auto &h : kHostile) {
    std::string shown;
    for (char32_t cp : sanitize_utf8(h.text)) shown += to_utf8(cp);
    EXPECT_EQ(shown, h.shown) << h.text;
    Canvas c(1, 12);
    c.put(0, 0, "|", Role::border);
    c.put(0, 11, "|", Role::border);
    // Clipped to the pane between the borders, the text leaves the right border alone.
    const int written =
        c.put(0, 1, std::string(h.text) + h.text + h.text + h.text, Role::normal, 10);
    EXPECT_LE(written, 10) << h.text;
    EXPECT_EQ(c.at(0, 11).ch, U'|') << h.text;
    EXPECT_EQ(columns(c, 0), 12) << h.text; // no cell of 0 or 2 columns
  }
  // Every glyph drawn two cells wide is two columns to the C library.
  for (char32_t cp = 0x20; cp < 0x40000; ++cp)
    if (shown_wide(cp))
      ASSERT_EQ(wcwidth(static_cast<wchar_t>(cp)), 2) << std::hex << static_cast<unsigned>(cp);
  // Every code point the table calls one cell is one column to the C library too.
  for (char32_t cp = 0x20; cp < 0x30000; ++cp)
    if (cell_width(cp) == 1 && (cp < 0xD800 || cp > 0xDFFF))
      ASSERT_EQ(wcwidth(static_cast<wchar_t>(cp)), 1) << std::hex << static_cast<unsigned>(cp);
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST(TuiCanvas, CellWidths) {
  EXPECT_EQ(cell_width(U'a'), 1);
  EXPECT_EQ(cell_width(U'\u2500'), 1); // box drawing
  EXPECT_EQ(cell_width(U'\u28FF'), 1); // braille
  EXPECT_EQ(cell_width(0x2705), 2);
  EXPECT_EQ(cell_width(0x231A), 2);
  EXPECT_EQ(cell_width(0x1F004), 2);
  EXPECT_EQ(cell_width(0x65E5), 2);
  EXPECT_EQ(cell_width(0x0301), 0);
  EXPECT_EQ(cell_width(0x1160), 0);
  EXPECT_EQ(cell_width(0xFE0F), 0);
  EXPECT_EQ(cell_width(0x2066), 0);
  EXPECT_EQ(cell_width(0x1B), -1);
  EXPECT_EQ(cell_width(0xE000), -1); // private use
  EXPECT_EQ(cell_width(0x110000), -1);
}

TEST(TuiCanvas, FitPadsAndMarksCuts) {
  EXPECT_EQ(fit("ab", 4), "ab  ");
  EXPECT_EQ(fit("ab", 4, true), "  ab");
  EXPECT_EQ(fit("abcdef", 4), "abc…");
  EXPECT_EQ(fit("节点一", 6), "节点一");
  EXPECT_EQ(fit("节点一", 5), "节点…");
  EXPECT_EQ(fit("节点一", 4), "节… "); // not half of 点
  EXPECT_EQ(fit("节点一", 4, true), " 节…");
}

} // namespace
} // namespace clustertop::tui
