// The log search highlights and filters the same text: the line as the pane shows it.
#include <gtest/gtest.h>

#include "clustertop/tui/log_search.hpp"
#include "clustertop/tui/screens.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct SearchFixture {
  Store store;
  std::vector<Finding> firing;
  std::deque<AlertTransition> transitions;
  UiState ui;

  SearchFixture() {
    store.declare_node("n1");
    store.apply({"n1", "", NodeState::up, "", at(0)});
    store.add_log_line("n1", "log:x", at(1), "TAB\tTAB end");  // a real tab, shown as a space
    store.add_log_line("n1", "log:x", at(2), "a\xcc\x81 RTL"); // a combining mark, left out
    store.add_log_line("n1", "log:x", at(3), "bell\x07 here"); // a control, shown as '?'
    store.add_log_line("n1", "log:x", at(4), "why? asked");    // a real '?'
    store.add_log_line("n1", "log:x", at(5), "plain line");
    ui.screen = Screen::node;
    ui.pane = 1;
    ui.selected = "n1";
  }
  Drawn draw(Canvas &c, const std::string &search, bool filter) {
    ui.search = search;
    ui.filter = filter;
    return render(c, Frame{store, firing, transitions, ui, at(10)});
  }
};

// The rows of the log pane that hold a highlighted cell, as text.
std::vector<std::string> highlighted_rows(const Canvas &c) {
  std::vector<std::string> out;
  for (int r = 0; r < c.rows(); ++r)
    for (int x = 0; x < c.cols(); ++x)
      if (c.at(r, x).role == Role::match) {
        out.push_back(c.row_text(r));
        break;
      }
  return out;
}

bool shows(const Canvas &c, const std::string &text) {
  return c.text().find(text) != std::string::npos;
}

// What the search highlights is what the filter keeps, for text the pane changes as it
// draws it (a tab, a combining mark) and for text it does not.
TEST(TuiLogSearch, TheFilterKeepsWhatTheSearchHighlights) {
  for (const std::string needle : {"TAB TAB", "a RTL", "tab end", "plain"}) {
    SearchFixture fx;
    Canvas searched(30, 120);
    fx.draw(searched, needle, false);
    const auto marked = highlighted_rows(searched);
    ASSERT_EQ(marked.size(), 1U) << needle << "\n" << searched.text();
    Canvas filtered(30, 120);
    const auto drawn = fx.draw(filtered, needle, true);
    EXPECT_EQ(drawn.log_lines, 1U) << needle << "\n" << filtered.text();
    EXPECT_FALSE(shows(filtered, "no match")) << needle << "\n" << filtered.text();
    EXPECT_EQ(highlighted_rows(filtered), marked) << needle;
  }
}

// A '?' that stands for a character the pane cannot show (a control byte) is not text: a
// search for '?' neither highlights it nor keeps its line, and finds the real one.
TEST(TuiLogSearch, AReplacedCharacterIsNotAQuestionMark) {
  SearchFixture fx;
  Canvas searched(30, 120);
  fx.draw(searched, "?", false);
  const auto marked = highlighted_rows(searched);
  ASSERT_EQ(marked.size(), 1U) << searched.text();
  EXPECT_NE(marked[0].find("why? asked"), std::string::npos);
  Canvas filtered(30, 120);
  const auto drawn = fx.draw(filtered, "?", true);
  EXPECT_EQ(drawn.log_lines, 1U) << filtered.text();
  EXPECT_TRUE(shows(filtered, "why? asked"));
  EXPECT_FALSE(shows(filtered, "bell? here"));
  Canvas bell(30, 120);
  EXPECT_EQ(fx.draw(bell, "bell? here", true).log_lines, 0U) << bell.text();
}

// A CJK glyph takes two cells: a match's place and length are counted in cells, so the
// highlight covers the glyphs searched for, after others of two cells.
TEST(TuiLogSearch, CjkTextIsFoundWhereThePaneShowsIt) {
  const LogSearch search("点一");
  EXPECT_EQ(search.cells(), 4U);
  const auto shown = searchable_text("节点一 ok");
  EXPECT_EQ(search.find_all(shown), std::vector<std::size_t>{2});
  EXPECT_TRUE(search.matches("节点一 ok"));
  EXPECT_FALSE(search.matches("节点二 ok"));
}

// A search of only a combining mark has nothing a line can show: it highlights nothing, so
// the filter keeps nothing (it kept every line).
TEST(TuiLogSearch, ASearchOfOnlyMarksFiltersEverythingOut) {
  SearchFixture fx;
  Canvas searched(30, 120);
  fx.draw(searched, "\xcc\x81", false);
  EXPECT_TRUE(highlighted_rows(searched).empty()) << searched.text();
  Canvas filtered(30, 120);
  EXPECT_EQ(fx.draw(filtered, "\xcc\x81", true).log_lines, 0U) << filtered.text();
}

} // namespace
} // namespace clustertop::tui
