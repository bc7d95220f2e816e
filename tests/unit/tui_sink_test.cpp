#include <cmath>
#include <gtest/gtest.h>

#include <curses.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "clustertop/tui/tui_sink.hpp"
#include "clustertop/tui/view_model.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct TuiSinkTest : ::testing::Test {
  Store store;
  std::vector<Finding> firing;
  std::unique_ptr<TuiSink> sink;
  int csv_calls = 0;

  void SetUp() override {
    for (const char *n : {"alpha", "bravo", "charlie"}) {
      store.declare_node(n);
      store.apply({n, "", NodeState::up, "", at(0)});
      store.add({n, "gpu.power_w", "0", 10.0, at(1)});
    }
    store.add_log_line("bravo", "log:x", at(2), "INFO hello");
    store.add_log_line("bravo", "log:x", at(3), "ERROR metal failure");
    TuiConfig cfg;
    cfg.write_csv = [this](TimePoint) -> Result<std::string> {
      ++csv_calls;
      return std::string("/tmp/snap.csv");
    };
    std::vector<std::string> warnings;
    auto s = TuiSink::create(store, std::move(cfg), warnings);
    ASSERT_TRUE(s.ok()) << s.error().message();
    sink = std::move(*s);
    sink->set_size(30, 120);
    tick();
  }
  void tick() { sink->on_tick(TickContext{store, firing, at(5)}); }
  bool key(int c, bool fn = false) {
    const bool quit = sink->handle_key(c, fn, at(5));
    sink->redraw(at(5));
    return quit;
  }
  std::string screen() const { return sink->canvas().text(); }
};

TEST_F(TuiSinkTest, RedrawsOnlyWhenSomethingChanged) {
  EXPECT_TRUE(sink->redraw(at(5)));
  EXPECT_FALSE(sink->redraw(at(5))); // nothing new: no frame
  tick();
  EXPECT_TRUE(sink->redraw(at(6)));
  key('p'); // paused: ticks no longer redraw
  tick();
  EXPECT_FALSE(sink->redraw(at(7)));
  EXPECT_NE(screen().find("PAUSED"), std::string::npos);
}

TEST_F(TuiSinkTest, NavigateOpenNodeSearchAndBack) {
  sink->redraw(at(5));
  EXPECT_EQ(sink->ui().selected, "alpha");
  key(KEY_DOWN, true);
  EXPECT_EQ(sink->ui().selected, "bravo");
  key('j');
  key('k');
  EXPECT_EQ(sink->ui().selected, "bravo");
  key('\r');
  EXPECT_EQ(sink->ui().screen, Screen::node);
  EXPECT_NE(screen().find("< bravo"), std::string::npos);
  key('/');
  for (char c : std::string("METAL")) key(c);
  key('\r');
  key('f');
  EXPECT_EQ(sink->ui().search, "METAL");
  EXPECT_TRUE(sink->ui().filter);
  EXPECT_EQ(screen().find("INFO hello"), std::string::npos);
  EXPECT_NE(screen().find("ERROR metal failure"), std::string::npos);
  key(27); // clears the search
  key(27); // back to the overview
  EXPECT_EQ(sink->ui().screen, Screen::overview);
}

TEST_F(TuiSinkTest, HelpSortCsvThemeAndQuit) {
  key('?');
  EXPECT_NE(screen().find("clustertop keys"), std::string::npos);
  key('?');
  EXPECT_EQ(screen().find("clustertop keys"), std::string::npos);
  key('s');
  EXPECT_EQ(sink->ui().sort, SortMode::name);
  key('e');
  EXPECT_EQ(csv_calls, 1);
  EXPECT_NE(screen().find("CSV snapshot written: /tmp/snap.csv"), std::string::npos);
  const std::string before = sink->ui().theme_name;
  key('t');
  EXPECT_NE(sink->ui().theme_name, before);
  EXPECT_FALSE(key(0x151)); // a non-ASCII character is not a key binding
  EXPECT_TRUE(key('q'));
}

// `t` passes over a theme file that does not load, saying so, where every press showed its
// error and the themes after it could not be reached; the theme given by its file at start
// takes its turn in the cycle too.
TEST(TuiSinkThemes, TheCyclePassesOverABrokenThemeAndKeepsTheOneGivenAtStart) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("clustertop_themes_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "broken.theme") << "theme[main_bg]=\"#102030\"\ntheme[title]=\"#12345\"\n";
  std::ofstream(dir / "red.theme") << "theme[main_bg]=\"#ff0000\"\n";
  std::ofstream(dir / "own.theme") << "theme[main_bg]=\"#00ff00\"\n";
  const std::string own = (dir / "own.theme").string();
  Store store;
  TuiConfig cfg;
  cfg.themes_dir = dir.string();
  cfg.theme = own;
  std::vector<std::string> warnings;
  auto s = TuiSink::create(store, std::move(cfg), warnings);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto &sink = **s;
  sink.set_size(30, 120);
  std::vector<std::string> seen;
  bool said = false;
  for (int i = 0; i < 8; ++i) {
    sink.handle_key('t', false, at(5));
    seen.push_back(sink.ui().theme_name);
    said = said || sink.ui().message.find("passed over") != std::string::npos;
    EXPECT_EQ(sink.ui().message.find('\n'), std::string::npos) << sink.ui().message;
  }
  for (const char *name : {"default", "red", "light", "mono"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), name), seen.end()) << name;
  EXPECT_NE(std::find(seen.begin(), seen.end(), own), seen.end()) << "the one given at start";
  EXPECT_EQ(std::find(seen.begin(), seen.end(), "broken"), seen.end());
  EXPECT_TRUE(said);
  std::filesystem::remove_all(dir);
}

// The wheel scrolls the pane under the pointer: over the node view's log it scrolls the log
// (it moved to the next node unless Tab had focused the log), over the overview's alerts pane
// that pane; elsewhere it is Up/Down.
TEST_F(TuiSinkTest, TheWheelScrollsThePaneUnderThePointer) {
  for (int i = 0; i < 60; ++i)
    store.add_log_line("bravo", "log:x", at(4), "INFO line " + std::to_string(i));
  for (int i = 0; i < 20; ++i) {
    Finding f{"rule" + std::to_string(i), "alpha", "", Severity::warning, 1, 0, "m"};
    sink->on_transition({f, AlertState::firing, at(1), at(1)}, TickContext{store, firing, at(1)});
  }
  tick();
  sink->redraw(at(5));
  const auto row_of = [&](const std::string &words) {
    for (int r = 0; r < sink->canvas().rows(); ++r)
      if (sink->canvas().row_text(r).find(words) != std::string::npos) return r;
    return -1;
  };
  const int alerts_row = row_of("rule19");
  ASSERT_GE(alerts_row, 0) << screen();
  EXPECT_TRUE(sink->wheel(alerts_row, 10, -1));
  EXPECT_TRUE(sink->ui().alerts_anchor.has_value()) << "down the alerts list";
  EXPECT_EQ(sink->ui().selected, "alpha");
  key(KEY_DOWN, true);
  key('\r'); // bravo's node view, the node list focused
  ASSERT_EQ(sink->ui().selected, "bravo");
  const int log_row = row_of("INFO line 59");
  ASSERT_GE(log_row, 0) << screen();
  EXPECT_TRUE(sink->wheel(log_row, 10, 1));
  sink->redraw(at(5));
  EXPECT_EQ(sink->ui().selected, "bravo") << "the wheel over the log is not the next node";
  EXPECT_TRUE(sink->ui().log_anchor.has_value()) << "up the log";
  EXPECT_FALSE(sink->wheel(0, 10, 1)) << "the title is no pane: Up/Down";
}

TEST_F(TuiSinkTest, MouseClickSelectsTheNodeUnderIt) {
  sink->redraw(at(5));
  int row = -1;
  for (int r = 0; r < sink->canvas().rows(); ++r)
    if (sink->canvas().row_text(r).find("charlie") != std::string::npos) row = r;
  ASSERT_GE(row, 0);
  sink->click(row, 5, false);
  EXPECT_EQ(sink->ui().selected, "charlie");
  sink->click(row, 5, true);
  EXPECT_EQ(sink->ui().screen, Screen::node);
}

TEST_F(TuiSinkTest, CtrlCQuitsEvenWhileTypingASearch) {
  sink->redraw(at(5));
  key('\r'); // alpha's node view
  key('/');
  key('x');
  ASSERT_TRUE(sink->ui().search_editing);
  EXPECT_TRUE(key(3));
}

// Paused, the node view says so in its title: the status line's word went with its message,
// and the frozen log and graphs said nothing. The header gives the cluster's tokens/s as
// such ("gen 27.5 tok/s", where it read "gen 27.5/s tok").
TEST_F(TuiSinkTest, APausedNodeViewSaysSoAndTheHeaderSaysTokPerSecond) {
  store.add({"alpha", "gen.tokens_per_s", "", 27.5, at(4)});
  tick();
  sink->redraw(at(5));
  EXPECT_NE(screen().find("gen 27.5 tok/s"), std::string::npos) << screen();
  key('\r');
  key('p');
  EXPECT_NE(sink->canvas().row_text(0).find("< alpha  PAUSED"), std::string::npos)
      << sink->canvas().row_text(0);
  key('p');
  EXPECT_EQ(sink->canvas().row_text(0).find("PAUSED"), std::string::npos);
}

TEST_F(TuiSinkTest, HomeAndEndScrollTheAlertsPaneNotTheNodes) {
  for (int i = 0; i < 20; ++i) {
    Finding f{"rule" + std::to_string(i), "alpha", "", Severity::warning, 1, 0, "m"};
    sink->on_transition({f, AlertState::firing, at(1), at(1)}, TickContext{store, firing, at(1)});
  }
  key(KEY_DOWN, true);
  ASSERT_EQ(sink->ui().selected, "bravo");
  key('\t'); // focus the alerts pane
  ASSERT_EQ(sink->ui().pane, 1);
  EXPECT_NE(screen().find("newest transitions first"), std::string::npos) << screen();
  key(KEY_END, true);
  EXPECT_EQ(sink->ui().selected, "bravo");
  EXPECT_TRUE(sink->ui().alerts_anchor.has_value()); // scrolled to the oldest
  // Scrolled away from the newest, the title says so (it said "newest transitions first").
  EXPECT_NE(screen().find("scrolled down"), std::string::npos) << screen();
  EXPECT_NE(screen().find("(Home for the newest)"), std::string::npos) << screen();
  EXPECT_EQ(screen().find("newest transitions first"), std::string::npos) << screen();
  key('g');
  EXPECT_EQ(sink->ui().selected, "bravo");
  EXPECT_FALSE(sink->ui().alerts_anchor.has_value()); // the newest, following
  key('G');
  EXPECT_TRUE(sink->ui().alerts_anchor.has_value());
  key(KEY_HOME, true);
  EXPECT_FALSE(sink->ui().alerts_anchor.has_value());
  EXPECT_EQ(sink->ui().selected, "bravo");
  key('\t'); // back to the nodes: Home selects the first node again
  key(KEY_HOME, true);
  EXPECT_EQ(sink->ui().selected, "alpha");
}

// A status-line message ages in real time: a replay at --speed max moves the data clock
// hours on in a second, and the message once vanished before it could be read.
TEST_F(TuiSinkTest, AMessageStaysWhileTheDataClockRunsAhead) {
  key('e'); // a CSV snapshot: "CSV snapshot written: ..."
  ASSERT_EQ(csv_calls, 1);
  EXPECT_NE(screen().find("CSV snapshot written"), std::string::npos) << screen();
  sink->on_tick(TickContext{store, firing, at(3600)});
  sink->redraw(at(3600));
  EXPECT_NE(screen().find("CSV snapshot written"), std::string::npos) << screen();
}

// A transition and the firing set arrive together: the count and badges agree with the list
// at once, not a tick later.
TEST_F(TuiSinkTest, AFiringAlertIsCountedWhenItIsListed) {
  Finding f{"crash", "bravo", "segfault", Severity::critical, 1, 0, "crash signature"};
  const std::vector<Finding> now_firing{f};
  sink->on_transition({f, AlertState::firing, at(6), at(6)}, TickContext{store, now_firing, at(6)});
  sink->redraw(at(6));
  EXPECT_NE(screen().find("1 firing"), std::string::npos) << screen();
  EXPECT_NE(screen().find("[crash]"), std::string::npos) << screen();
}

// Badges by severity: a tile cut to its width showed "[orchestration_overhead] […" and lost
// the node's only critical alert behind the warning (they were in rule-name order).
TEST(TuiSummary, CriticalBadgesComeFirst) {
  Store store;
  const std::vector<Finding> firing{
      {"orchestration_overhead", "bravo", "", Severity::warning, 0.7, 0.5, "overhead"},
      {"crash", "alpha", "", Severity::critical, 1, 1, "other node"},
      {"step_stall", "bravo", "", Severity::critical, 20, 15, "no step"}};
  const auto n = summarize(store, "bravo", firing, at(10), std::chrono::minutes(1));
  EXPECT_EQ(n.badges, (std::vector<std::string>{"step_stall", "orchestration_overhead"}));
  EXPECT_EQ(n.criticals, 1);
  EXPECT_EQ(n.warnings, 1);
}

// A node down for 74 s showed its last memory figures in the normal colours, as if current:
// sampled states older than a minute are unknown ("–"), as /metrics leaves them out.
TEST(TuiSummary, SampledFiguresOlderThanAMinuteAreUnknown) {
  Store store;
  store.add({"mac1", "mem.total_bytes", "", 16e9, at(0)});
  store.add({"mac1", "mem.available_bytes", "", 4e9, at(0)});
  store.add({"mac1", "gpu.power_w", "0", 31, at(0)});
  store.add({"mac1", "step.eval_ms", "", 36, at(0)});
  const auto fresh = summarize(store, "mac1", {}, at(59), std::chrono::minutes(1));
  EXPECT_DOUBLE_EQ(fresh.mem_used, 12e9);
  EXPECT_DOUBLE_EQ(fresh.power_w, 31);
  const auto old = summarize(store, "mac1", {}, at(75), std::chrono::minutes(1));
  EXPECT_TRUE(std::isnan(old.mem_used));
  EXPECT_TRUE(std::isnan(old.mem_total));
  EXPECT_TRUE(std::isnan(old.power_w));
  EXPECT_DOUBLE_EQ(old.step_ms, 36) << "the latest step, whenever it came";
  store.add({"mac1", "gen.tokens_per_s", "", 650, at(0)}); // a rate is a state: it ages out
  EXPECT_DOUBLE_EQ(summarize(store, "mac1", {}, at(59), std::chrono::minutes(1)).tokens_per_s, 650);
  EXPECT_TRUE(
      std::isnan(summarize(store, "mac1", {}, at(75), std::chrono::minutes(1)).tokens_per_s));
}

// A failed `e` wrote an Error, its help on an indented line after it: the status line showed
// "help: create the directory first ..." and neither the error nor the path.
TEST(TuiSummary, TheStatusLineShowsTheNewestMessageNotItsHelpLine) {
  EXPECT_EQ(stderr_status({"clustertop: /x/a.csv: cannot open the output directory: No such "
                           "file or directory",
                           "  help: create the directory first or fix the path"}),
            "clustertop: /x/a.csv: cannot open the output directory: No such file or directory "
            "(+1 more, shown at exit)");
  EXPECT_EQ(stderr_status({"one", "two"}), "two (+1 more, shown at exit)");
  EXPECT_EQ(stderr_status({"  only an indented line"}), "  only an indented line");
}

TEST(TuiSinkCreate, UnknownThemeIsAnErrorBeforeTheScreenStarts) {
  Store store;
  TuiConfig cfg;
  cfg.theme = "no-such-theme";
  std::vector<std::string> warnings;
  auto s = TuiSink::create(store, cfg, warnings);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().what.find("no-such-theme"), std::string::npos);
}

} // namespace
} // namespace clustertop::tui
