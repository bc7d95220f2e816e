// The help overlay on a small terminal: it says that entries are missing and scrolls to them.
#include <gtest/gtest.h>

#include <curses.h>

#include "clustertop/tui/tui_sink.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct TuiHelpTest : ::testing::Test {
  Store store;
  std::unique_ptr<TuiSink> sink;

  void SetUp() override {
    store.declare_node("n1");
    std::vector<std::string> warnings;
    auto s = TuiSink::create(store, TuiConfig{}, warnings);
    ASSERT_TRUE(s.ok()) << s.error().message();
    sink = std::move(*s);
    sink->set_size(kMinRows, kMinCols); // the smallest screen the dashboard draws
  }
  void key(int c, bool fn = false) {
    sink->handle_key(c, fn, at(5));
    sink->redraw(at(5));
  }
  std::string screen() const { return sink->canvas().text(); }
  // Whether the entry for `label` is on the screen (its label cut as the overlay cuts it).
  bool lists(const KeyBinding &b) const {
    const std::string help = std::string(b.help).substr(0, 15);
    return screen().find(help) != std::string::npos;
  }
};

TEST_F(TuiHelpTest, ASmallHelpSaysThereIsMoreAndScrollsToIt) {
  key('?');
  std::vector<const KeyBinding *> entries;
  for (const auto &b : key_table())
    if (b.help[0] != '\0') entries.push_back(&b);
  ASSERT_TRUE(lists(*entries.front()));
  ASSERT_FALSE(lists(*entries.back())) << "every entry fits: nothing to test\n" << screen();
  EXPECT_NE(screen().find("more"), std::string::npos) << screen();
  // Down scrolls the help (not the node selection under it) until the last entry shows.
  for (std::size_t i = 0; i < entries.size() && !lists(*entries.back()); ++i) key(KEY_DOWN, true);
  EXPECT_TRUE(lists(*entries.back())) << screen();
  EXPECT_FALSE(lists(*entries.front()));
  key(KEY_HOME, true);
  EXPECT_TRUE(lists(*entries.front())) << screen();
  // Every entry was on the screen at some point.
  std::vector<bool> seen(entries.size());
  for (std::size_t step = 0; step <= entries.size(); ++step) {
    for (std::size_t i = 0; i < entries.size(); ++i) seen[i] = seen[i] || lists(*entries[i]);
    key(KEY_DOWN, true);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) EXPECT_TRUE(seen[i]) << entries[i]->label;
  key('?');
  EXPECT_EQ(screen().find("clustertop keys"), std::string::npos);
}

// The mouse's line is the list's last entry where the keys do not all fit: it was left out of
// a scrolled list, so a small terminal never said that nodes can be clicked.
TEST_F(TuiHelpTest, AScrolledListEndsWithTheMouse) {
  key('?');
  ASSERT_NE(screen().find("Up/Down for more"), std::string::npos) << screen();
  EXPECT_EQ(screen().find("click a node to select"), std::string::npos) << screen();
  key(KEY_END, true);
  EXPECT_NE(screen().find("click a node to select"), std::string::npos) << screen();
}

// At the smallest screen an entry too long for the box ends with "…": cut bare ("clear the",
// "Esc to cance") it read as the whole entry.
TEST_F(TuiHelpTest, AnEntryCutShortSaysSo) {
  key('?');
  std::size_t cut = 0;
  for (const auto &b : key_table()) {
    if (b.help[0] == '\0' || !lists(b)) continue;
    const std::string help(b.help);
    if (screen().find(help) != std::string::npos) continue; // whole
    ++cut;
    EXPECT_NE(screen().find(help.substr(0, 10)), std::string::npos) << help;
    const auto at = screen().find(help.substr(0, 15));
    const auto row_end = screen().find('\n', at);
    const std::string rest = screen().substr(at, row_end - at);
    EXPECT_NE(rest.find("…"), std::string::npos) << rest;
  }
  EXPECT_GT(cut, 0U) << "no entry is cut at this size: nothing to test\n" << screen();
}

// Where every key fits with one row to spare (80x24), the mouse line takes that row; it needed
// a blank row before it too and was left out without a word.
TEST_F(TuiHelpTest, TheMouseLineShowsWhereOneRowIsLeftForIt) {
  std::size_t keys = 0;
  for (const auto &b : key_table()) keys += b.help[0] != '\0' ? 1 : 0;
  // The screen's rows for the box: all but the header, status and a margin (see centered()).
  for (int rows = static_cast<int>(keys) + 3; rows <= 60; ++rows) {
    sink->set_size(rows, 80);
    key('?');
    const std::string text = screen();
    EXPECT_EQ(text.find(" entries: Up/Down for more"), std::string::npos) << rows << "\n" << text;
    EXPECT_NE(text.find("click a node to select"), std::string::npos) << rows << "\n" << text;
    key('?');
  }
}

// PgDn moves by what the overlay shows less one entry: a fixed page of 10 with 9 shown skipped
// the tenth entry, which paging never showed.
TEST_F(TuiHelpTest, PagingDownShowsEveryEntry) {
  key('?');
  std::vector<const KeyBinding *> entries;
  for (const auto &b : key_table())
    if (b.help[0] != '\0') entries.push_back(&b);
  std::vector<bool> seen(entries.size());
  for (std::size_t page = 0; page <= entries.size(); ++page) {
    for (std::size_t i = 0; i < entries.size(); ++i) seen[i] = seen[i] || lists(*entries[i]);
    key(KEY_NPAGE, true);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) EXPECT_TRUE(seen[i]) << entries[i]->label;
}

} // namespace
} // namespace clustertop::tui
