// A scrolled log or alerts pane stays on the lines it shows while new ones arrive.
#include <gtest/gtest.h>

#include <curses.h>

#include <fmt/format.h>

#include "clustertop/tui/tui_sink.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct TuiScrollTest : ::testing::Test {
  Store store{StoreLimits{.log_lines_per_node = 200}};
  std::vector<Finding> firing;
  std::unique_ptr<TuiSink> sink;
  int lines = 0;
  int transitions = 0;

  void SetUp() override {
    store.declare_node("n1");
    store.apply({"n1", "", NodeState::up, "", at(0)});
    add_lines(100);
    std::vector<std::string> warnings;
    auto s = TuiSink::create(store, TuiConfig{}, warnings);
    ASSERT_TRUE(s.ok()) << s.error().message();
    sink = std::move(*s);
    sink->set_size(30, 120);
    sink->redraw(at(5));
  }
  void add_lines(int n) {
    for (int i = 0; i < n; ++i, ++lines)
      store.add_log_line("n1", "log:x", at(1), fmt::format("line {:04}", lines));
  }
  void add_transitions(int n) {
    for (int i = 0; i < n; ++i, ++transitions) {
      Finding f{fmt::format("rule{:03}", transitions), "n1", "", Severity::warning, 1, 0, "m"};
      sink->on_transition({f, AlertState::firing, at(1), at(1)}, TickContext{store, firing, at(1)});
    }
  }
  void key(int c, bool fn = false, int times = 1) {
    for (int i = 0; i < times; ++i) sink->handle_key(c, fn, at(5));
    sink->redraw(at(5));
  }
  void redraw() {
    sink->set_size(30, 120); // marks the frame as changed, as a tick does
    sink->redraw(at(5));
  }
  // The numbers (or rule names) on the screen that start with `prefix`, top to bottom.
  std::vector<std::string> shown(const std::string &prefix, std::size_t digits = 4) const {
    std::vector<std::string> out;
    const auto &c = sink->canvas();
    for (int r = 0; r < c.rows(); ++r) {
      const std::string row = c.row_text(r);
      const auto p = row.find(prefix);
      if (p != std::string::npos) out.push_back(row.substr(p, prefix.size() + digits));
    }
    return out;
  }
  void open_log() {
    key('\r');
    key('\t');
    ASSERT_EQ(sink->ui().screen, Screen::node);
    ASSERT_EQ(sink->ui().pane, 1);
  }
};

TEST_F(TuiScrollTest, AScrolledLogStaysOnItsLinesWhileNewOnesArrive) {
  open_log();
  ASSERT_EQ(shown("line ").back(), "line 0099");
  key(KEY_UP, true, 20);
  const auto before = shown("line ");
  ASSERT_EQ(before.back(), "line 0079");
  add_lines(10);
  redraw();
  EXPECT_EQ(shown("line "), before) << sink->canvas().text();
  // Down to the newest follows again.
  key(KEY_END, true);
  add_lines(1);
  redraw();
  EXPECT_EQ(shown("line ").back(), "line 0110");
}

// A log anchor counts one node's lines: Up/Down in the node view's graphs pane selects the
// next node, whose log opened "scrolled up" at another node's number (or followed until its
// lines passed that number, then stopped).
TEST_F(TuiScrollTest, AnotherNodesLogFollows) {
  store.declare_node("n2");
  store.apply({"n2", "", NodeState::up, "", at(0)});
  for (int i = 0; i < 30; ++i) store.add_log_line("n2", "log:x", at(1), fmt::format("b{:04}", i));
  redraw();
  open_log();
  key(KEY_UP, true, 5);
  ASSERT_TRUE(sink->ui().log_anchor.has_value());
  key('\t'); // the graphs pane: Up/Down select nodes
  key(KEY_DOWN, true);
  ASSERT_EQ(sink->ui().selected, "n2");
  EXPECT_FALSE(sink->ui().log_anchor.has_value());
  for (int i = 30; i < 150; ++i) store.add_log_line("n2", "log:x", at(1), fmt::format("b{:04}", i));
  redraw();
  EXPECT_EQ(shown("b01", 2).back(), "b0149") << sink->canvas().text();
}

// PgUp/PgDn move a page of the pane (what it shows, less a line kept), not ten lines.
TEST_F(TuiScrollTest, PageKeysMoveAPageOfThePane) {
  open_log();
  const auto rows = static_cast<int>(shown("line ").size());
  ASSERT_GE(rows, 12);
  key(KEY_PPAGE, true);
  EXPECT_EQ(shown("line ").back(), fmt::format("line {:04}", 99 - (rows - 1)))
      << sink->canvas().text();
  key(KEY_NPAGE, true);
  EXPECT_EQ(shown("line ").back(), "line 0099");
}

TEST_F(TuiScrollTest, TheOldestLineStopsAtTheTopOfTheLogPane) {
  open_log();
  const std::size_t rows = shown("line ").size();
  ASSERT_GE(rows, 5U);
  key(KEY_HOME, true);
  auto top = shown("line ");
  EXPECT_EQ(top.size(), rows) << "the pane stays full";
  EXPECT_EQ(top.front(), "line 0000");
  key(KEY_UP, true, 50); // further up: nothing older to show
  EXPECT_EQ(shown("line "), top);
  key(KEY_DOWN, true);
  EXPECT_EQ(shown("line ").front(), "line 0001");
  // The lines shown leave the log ring: the pane shows its oldest lines instead.
  add_lines(150);
  redraw();
  top = shown("line ");
  EXPECT_EQ(top.size(), rows);
  EXPECT_EQ(top.front(), "line 0050") << sink->canvas().text();
}

TEST_F(TuiScrollTest, AScrolledAlertsPaneStaysOnItsTransitions) {
  add_transitions(30);
  key('\t');
  ASSERT_EQ(sink->ui().pane, 1);
  redraw();
  ASSERT_EQ(shown("rule", 3).front(), "rule029"); // newest first
  key(KEY_DOWN, true, 5);
  const auto before = shown("rule", 3);
  ASSERT_EQ(before.front(), "rule024");
  add_transitions(3);
  redraw();
  EXPECT_EQ(shown("rule", 3), before) << sink->canvas().text();
  // End: the oldest at the bottom of the pane, which stays full.
  key(KEY_END, true);
  const auto oldest = shown("rule", 3);
  EXPECT_EQ(oldest.back(), "rule000");
  EXPECT_EQ(oldest.size(), before.size());
  key(KEY_HOME, true); // the newest again, and new ones show as they come
  add_transitions(1);
  redraw();
  EXPECT_EQ(shown("rule", 3).front(), "rule033");
}

} // namespace
} // namespace clustertop::tui
