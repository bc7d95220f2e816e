#include <gtest/gtest.h>

#include <clocale>
#include <cwchar>

#include "clustertop/tui/screens.hpp"

namespace clustertop::tui {
namespace {

TimePoint at(double s) { return from_epoch_seconds(1'800'000'000.0 + s); }

struct Fixture {
  Store store;
  std::vector<Finding> firing;
  std::deque<AlertTransition> transitions;
  UiState ui;

  Fixture() {
    for (const char *n : {"mac1", "mac2", "mbp"}) store.declare_node(n);
    store.apply({"mac1", "", NodeState::up, "", at(0)});
    store.apply({"mac2", "", NodeState::up, "", at(0)});
    store.apply({"mbp", "", NodeState::down, "connection refused", at(5)});
    for (int i = 0; i < 60; ++i) {
      const double t = i;
      store.add({"mac1", "gpu.power_w", "", 40.0 + i % 7, at(t)});
      store.add({"mac1", "mem.total_bytes", "", 128.0 * (1ULL << 30), at(t)});
      store.add({"mac1", "mem.available_bytes", "", 28.0 * (1ULL << 30), at(t)});
      store.add({"mac1", "step.eval_ms", "", 36.0, at(t)});
      store.add({"mac1", "step.model_ms", "", 6.0, at(t)});
      store.add({"mac1", "step.gpu_eval_ms", "", 1.0, at(t)});
      store.add({"mac1", "step.fence_wait_ms", "", i == 30 ? 250.0 : 0.5, at(t)});
      store.add({"mac1", "gen.tokens_per_s", "", 27.5, at(t)});
      store.add({"mac1", "ctx.tokens", "", 21000.0 + i, at(t)});
      store.add({"mac2", "gpu.power_w", "", kUnknown, at(t)});
    }
    store.add_log_line("mac1", "log:/tmp/exo.log", at(50), "INFO step 41 eval=36ms");
    store.add_log_line("mac1", "log:/tmp/exo.log", at(51), "ERROR [METAL] Command buffer failed");
    LogEvent e{"mac1",
               "log:/tmp/exo.log",
               at(51),
               "ERROR",
               {"metal_error"},
               Severity::critical,
               "ERROR [METAL] Command buffer failed"};
    store.add_event(e);
    Finding f{"fence_wait_stall",
              "mac1",
              "",
              Severity::critical,
              250,
              50,
              "mac1 waited 250 ms in a GPU fence"};
    firing.push_back(f);
    transitions.push_front({f, AlertState::firing, at(30), at(31)});
    ui.selected = "mac1";
    ui.theme_name = "default";
  }
  Frame frame() { return {store, firing, transitions, ui, at(60)}; }
};

// A tile's second line holds whole figures: cut at the tile's edge it read "gpu_eval 0" for
// 1.00 ms (or "overhead 2" for 29.0 ms). At every width a figure shown is shown whole, and a
// line that had to leave some out ends with "…".
TEST(TuiScreens, TheDetailLineShowsWholeFiguresOrNone) {
  Fixture fx;
  int cut = 0;
  for (int width = 60; width <= 160; ++width) {
    Canvas c(50, width);
    render(c, fx.frame());
    for (int r = 0; r < c.rows(); ++r) {
      const std::string row = c.row_text(r);
      if (row.find("mem avail 28.0 G") == std::string::npos) continue; // mac1's
      for (const char *whole : {"model 6.00 ms", "gpu_eval 1.00 ms", "overhead 29.0 ms"}) {
        const std::string label = std::string(whole).substr(0, std::string(whole).find(' '));
        if (row.find(label + " ") != std::string::npos)
          EXPECT_NE(row.find(whole), std::string::npos) << width << ": " << row;
      }
      if (row.find("overhead") == std::string::npos) {
        EXPECT_NE(row.find("…"), std::string::npos) << width << ": " << row;
        ++cut;
      }
    }
  }
  EXPECT_GT(cut, 0) << "some widths must have cut the line";
}

// The node view's title likewise: cut at the screen's edge, `ctx 21.1K` read as `ctx 2` and
// `GPU` stood without its value. Each figure is there whole or not at all.
TEST(TuiScreens, TheNodeViewTitleShowsWholeFiguresOrNone) {
  Fixture fx;
  fx.ui.screen = Screen::node;
  int dropped = 0;
  for (int width = 40; width <= 120; ++width) {
    Canvas c(30, width);
    render(c, fx.frame());
    const std::string title = c.row_text(0);
    ASSERT_NE(title.find("< mac1  up"), std::string::npos) << width << ": " << title;
    for (const char *whole :
         {"window 1m (w)", "GPU 43.0 W", "step 36.0 ms", "gen 27.5/s", "ctx 21.1K"}) {
      const std::string label = std::string(whole).substr(0, std::string(whole).find(' '));
      if (title.find(label + " ") != std::string::npos)
        EXPECT_NE(title.find(whole), std::string::npos) << width << ": " << title;
    }
    dropped += title.find("ctx") == std::string::npos ? 1 : 0;
  }
  EXPECT_GT(dropped, 0) << "some widths must have left ctx out";
}

// A server's KV cache use and its requests (vLLM, SGLang) are on screen: its kv_cache alert
// spoke of a figure no screen showed. An exo node, which reports neither, shows no such words.
TEST(TuiScreens, AServersKvCacheAndRequestsAreShown) {
  Fixture fx;
  fx.store.add({"mac2", "kv_cache.usage_pct", "", 96.4, at(58)});
  fx.store.add({"mac2", "req.running", "", 12, at(58)});
  fx.store.add({"mac2", "req.waiting", "", 30, at(58)});
  fx.firing.push_back(
      Finding{"kv_cache", "mac2", "", Severity::warning, 96.4, 95, "KV cache 96% full"});
  Canvas overview(40, 160);
  render(overview, fx.frame());
  const std::string text = overview.text();
  EXPECT_NE(text.find("kv cache 96%"), std::string::npos) << text;
  EXPECT_NE(text.find("requests running 12 waiting 30"), std::string::npos) << text;
  EXPECT_EQ(text.find("kv cache", text.find("mac1")), text.find("kv cache 96%")) << text;
  fx.ui.screen = Screen::node;
  fx.ui.selected = "mac2";
  Canvas view(30, 160);
  render(view, fx.frame());
  EXPECT_NE(view.row_text(0).find("kv 96%   running 12 waiting 30"), std::string::npos)
      << view.row_text(0);
  fx.ui.selected = "mac1";
  render(view, fx.frame());
  EXPECT_EQ(view.row_text(0).find("kv "), std::string::npos) << view.row_text(0);
  EXPECT_EQ(view.row_text(0).find("running"), std::string::npos) << view.row_text(0);
}

// A node declared and still connecting has been so since its first status, not since 1970
// ("connecting: connecting for 20794d").
TEST(TuiScreens, AConnectingNodeCountsFromItsFirstStatus) {
  Store store;
  store.declare_node("n1");
  store.apply({"n1", "", NodeState::connecting, "connecting", at(50)});
  std::vector<Finding> firing;
  std::deque<AlertTransition> transitions;
  UiState ui;
  Canvas c(24, 120);
  render(c, Frame{store, firing, transitions, ui, at(54)});
  EXPECT_NE(c.text().find("connecting for 4s"), std::string::npos) << c.text();
  EXPECT_EQ(c.text().find("connecting: connecting"), std::string::npos) << c.text();
}

// A log line's colour is its level's, the first level word in it: an INFO line whose message
// says ERROR was drawn as an error.
TEST(TuiScreens, ALogLineIsColouredByItsOwnLevel) {
  Fixture fx;
  fx.store.add_log_line("mac1", "log:/tmp/exo.log", at(52),
                        "[ 2026-12-07 10:00:14.000 | INFO | x:y:1 ] ERROR level test");
  fx.store.add_log_line("mac1", "log:/tmp/exo.log", at(53),
                        "[ 2026-12-07 10:00:15.000 | WARNING | x:y:1 ] step slow");
  fx.ui.screen = Screen::node;
  Canvas c(40, 120);
  render(c, fx.frame());
  const auto role_of = [&](const std::string &words) {
    for (int r = 0; r < c.rows(); ++r)
      if (const auto at = c.row_text(r).find(words); at != std::string::npos)
        return c.at(r, static_cast<int>(sanitize_utf8(c.row_text(r).substr(0, at)).size())).role;
    ADD_FAILURE() << words << " not on screen\n" << c.text();
    return Role::normal;
  };
  EXPECT_EQ(role_of("ERROR level test"), Role::normal);
  EXPECT_EQ(role_of("step slow"), Role::log_warn);
  EXPECT_EQ(role_of("ERROR [METAL] Command buffer failed"), Role::log_error);
}

TEST(TuiScreens, OverviewShowsEveryNodeValuesAndUnknowns) {
  Fixture fx;
  Canvas c(50, 200);
  auto drawn = render(c, fx.frame());
  const std::string text = c.text();
  for (const char *n : {"mac1", "mac2", "mbp"}) EXPECT_NE(text.find(n), std::string::npos) << n;
  EXPECT_NE(text.find("nodes 2/3 up"), std::string::npos);
  EXPECT_NE(text.find("36.0 ms"), std::string::npos);          // step time
  EXPECT_NE(text.find("27.5/s"), std::string::npos);           // tokens/s
  EXPECT_NE(text.find("0.50 ms / 250 ms"), std::string::npos); // fence latest / worst
  EXPECT_NE(text.find("100/128 G"), std::string::npos);        // memory used/total
  EXPECT_NE(text.find("overhead 29.0 ms"), std::string::npos);
  EXPECT_NE(text.find("[fence_wait_stall]"), std::string::npos);
  EXPECT_NE(text.find("connection refused"), std::string::npos);
  EXPECT_NE(text.find("mac1 waited 250 ms"), std::string::npos); // alerts pane
  // mac2's power is unknown: shown as a dash, never as 0 W.
  const int mac2 = [&] {
    for (int r = 0; r < c.rows(); ++r)
      if (c.row_text(r).find("  mac2") == 0) return r;
    return -1;
  }();
  ASSERT_GE(mac2, 0);
  EXPECT_EQ(c.row_text(mac2).find("0 W"), std::string::npos);
  EXPECT_NE(c.row_text(mac2).find("–"), std::string::npos);
  ASSERT_EQ(drawn.tiles.size(), 3U);
  EXPECT_EQ(drawn.order, (std::vector<std::string>{"mac1", "mac2", "mbp"}));
}

// A node whose clock is off says so in its tile and in the node view's title; the others,
// in step, say nothing of their clocks.
TEST(TuiScreens, ANodeClockThatIsOffIsShown) {
  Fixture fx;
  fx.store.set_node_clock("mac2", at(60) - std::chrono::seconds(600), at(60));
  Canvas c(50, 200);
  render(c, fx.frame());
  const std::string text = c.text();
  EXPECT_NE(text.find("clock 10 min behind"), std::string::npos) << text;
  EXPECT_EQ(text.find("clock"), text.rfind("clock")) << "only mac2's clock is off";
  fx.ui.screen = Screen::node;
  fx.ui.selected = "mac2";
  Canvas node(40, 160);
  render(node, fx.frame());
  EXPECT_NE(node.row_text(0).find("mac2  up   clock 10 min behind"), std::string::npos)
      << node.row_text(0);
}

TEST(TuiScreens, MemoryUsedKeepsItsOwnUnit) {
  Fixture fx;
  fx.store.add({"mac2", "mem.total_bytes", "", 23.5 * (1ULL << 30), at(59)});
  fx.store.add({"mac2", "mem.used_bytes", "", 489.0 * (1ULL << 20), at(59)});
  Canvas c(50, 200);
  render(c, fx.frame());
  EXPECT_NE(c.text().find("489 M/23.5 G"), std::string::npos);
}

TEST(TuiScreens, SortByAlertsAndAsciiMode) {
  Fixture fx;
  fx.ui.sort = SortMode::name;
  Canvas c(30, 120, true);
  auto drawn = render(c, fx.frame());
  EXPECT_EQ(drawn.order, (std::vector<std::string>{"mac1", "mac2", "mbp"}));
  for (int r = 0; r < c.rows(); ++r)
    for (int x = 0; x < c.cols(); ++x) ASSERT_LT(c.at(r, x).ch, 0x80U) << r << "," << x;
}

TEST(TuiScreens, NodeViewGraphsLogTagsAndFilter) {
  Fixture fx;
  fx.ui.screen = Screen::node;
  Canvas c(40, 160);
  auto drawn = render(c, fx.frame());
  std::string text = c.text();
  for (const char *t : {"GPU power", "memory used", "step time", "fence_wait", "window 1m"})
    EXPECT_NE(text.find(t), std::string::npos) << t;
  EXPECT_NE(text.find("[metal_error] ERROR [METAL] Command buffer failed"), std::string::npos);
  EXPECT_EQ(drawn.log_lines, 2U);
  fx.ui.search = "metal";
  fx.ui.filter = true;
  Canvas filtered(40, 160);
  drawn = render(filtered, fx.frame());
  EXPECT_EQ(drawn.log_lines, 1U);
  EXPECT_EQ(filtered.text().find("INFO step 41"), std::string::npos);
  bool marked = false;
  for (int r = 0; r < filtered.rows(); ++r)
    for (int x = 0; x < filtered.cols(); ++x) marked |= filtered.at(r, x).role == Role::match;
  EXPECT_TRUE(marked);
}

// In the 1 h window a column is ~20 s wide and shows its highest point: the title's value was
// that column's, so a spike read as the present value ("fence_wait 250 ms") while the last
// steps were at 0.9 ms. The title gives the latest reading, the graph the spike.
TEST(TuiScreens, AGraphTitleGivesTheLatestReadingNotItsColumnsHighest) {
  Fixture fx;
  fx.store.add({"mac1", "step.fence_wait_ms", "", 250.0, at(59.3)});
  fx.store.add({"mac1", "step.fence_wait_ms", "", 0.9, at(59.8)});
  fx.ui.screen = Screen::node;
  fx.ui.window = 2; // 1 h
  Canvas c(40, 160);
  render(c, fx.frame());
  EXPECT_NE(c.text().find("fence_wait 0.90 ms  max 250 ms  (1h)"), std::string::npos) << c.text();
}

// The alerts pane's node field ends with a space: a name cut to its edge ran into the rule's
// name ("very-long-nod…orchestration_overhead").
TEST(TuiScreens, AnAlertsPaneNodeNameCutShortKeepsItsSpace) {
  Fixture fx;
  Finding f{"orchestration_overhead",
            "very-long-node-name-01",
            "",
            Severity::warning,
            0.8,
            0.5,
            "overhead"};
  fx.transitions.push_front({f, AlertState::pending, at(40), at(41)});
  Canvas c(50, 160);
  render(c, fx.frame());
  EXPECT_EQ(c.text().find("…orchestration_overhead"), std::string::npos) << c.text();
  EXPECT_NE(c.text().find("very-long-no… orchestration_overhead: overhead"), std::string::npos)
      << c.text();
}

// A node refused for its host key says how to fix it ("connect once with ssh ... to check and
// record the key"): cut off in the title, tile and alerts pane at any width, it could not be
// read anywhere in the dashboard. The node view gives it in full, wrapped above the log.
TEST(TuiScreens, NodeViewGivesADownNodesReasonInFull) {
  Fixture fx;
  const std::string fix =
      "help: connect once with `ssh -F '/home/me/ssh_config' -o "
      "'UserKnownHostsFile=/home/me/.ssh/known_hosts' 'mbp'` to check and record the key, or "
      "use --host-key-checking accept-new";
  fx.store.apply({"mbp", "", NodeState::down,
                  "node mbp: unknown host key, refusing to connect: the server's ssh-ed25519 key "
                  "SHA256:7eV6abc is not in /home/me/.ssh/known_hosts (" +
                      fix + ")",
                  at(55)});
  fx.ui.screen = Screen::node;
  fx.ui.selected = "mbp";
  Canvas c(40, 80);
  render(c, fx.frame());
  for (const char *words : {"--host-key-checking accept-new)", "to check and record the",
                            "'UserKnownHostsFile=/home/me/.ssh/known_hosts' 'mbp'`"})
    EXPECT_NE(c.text().find(words), std::string::npos) << words << "\n" << c.text();
}

// A node that follows no log said "no log lines from this node yet", promising lines that no
// stream would bring; it says how to follow one. One that follows a log, or is not up yet
// (its streams unknown), keeps "yet".
TEST(TuiScreens, AnEmptyLogPaneSaysWhetherALogIsFollowed) {
  Fixture fx;
  fx.ui.screen = Screen::node;
  fx.ui.selected = "mac2"; // up, no log lines
  Canvas none(40, 120);
  render(none, fx.frame());
  EXPECT_NE(none.text().find("no log followed on this node: --log PATH"), std::string::npos)
      << none.text();
  fx.store.apply({"mac2", "log:/tmp/exo.log", NodeState::up, "", at(1)});
  Canvas followed(40, 120);
  render(followed, fx.frame());
  EXPECT_NE(followed.text().find("no log lines from this node yet"), std::string::npos)
      << followed.text();
}

// The log pane's title counts its lines in words that agree ("Log 1 lines" before).
TEST(TuiScreens, TheLogPaneTitleCountsItsLines) {
  Fixture fx;
  fx.ui.screen = Screen::node;
  Canvas two(40, 120);
  render(two, fx.frame());
  EXPECT_NE(two.text().find(" Log 2 lines "), std::string::npos) << two.text();
  fx.ui.selected = "mac2";
  fx.store.add_log_line("mac2", "log:/tmp/exo.log", at(50), "INFO step 41 eval=36ms");
  Canvas one(40, 120);
  render(one, fx.frame());
  EXPECT_NE(one.text().find(" Log 1 line "), std::string::npos) << one.text();
}

// A log that cannot be read, or a sampler that died, says why above the log: an empty log
// pane or graph is otherwise a mystery.
TEST(TuiScreens, NodeViewSaysWhichStreamsAreNotDelivering) {
  Fixture fx;
  fx.store.apply({"mac1", "log:/tmp/typo.log", NodeState::down,
                  "tail: cannot open '/tmp/typo.log' for reading: No such file or directory",
                  at(55)});
  fx.store.apply({"mac1", "meminfo", NodeState::up, "running", at(1)});
  fx.ui.screen = Screen::node;
  Canvas c(40, 160);
  auto drawn = render(c, fx.frame());
  const std::string text = c.text();
  EXPECT_NE(text.find("log:/tmp/typo.log down: tail: cannot open '/tmp/typo.log' for reading: No "
                      "such file or directory"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("meminfo"), std::string::npos) << "a stream that is up is not news";
  EXPECT_NE(text.find("ERROR [METAL] Command buffer failed"), std::string::npos)
      << "the log lines are still shown";
  EXPECT_EQ(drawn.log_lines, 2U);
  // A path holding a token: redacted in the stream's name as in its detail.
  const std::string token = "ghp_C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CP";
  fx.store.apply({"mac1", "log:/srv/x-" + token + "/exo.log", NodeState::down,
                  "tail: cannot open '/srv/x-" + token + "/exo.log'", at(56)});
  Canvas secret(40, 160);
  render(secret, fx.frame());
  EXPECT_NE(secret.text().find("log:/srv/x-ghp_[redacted]/exo.log down: tail: cannot open "
                               "'/srv/x-ghp_[redacted]/exo.log'"),
            std::string::npos)
      << secret.text();
  EXPECT_EQ(secret.text().find(token), std::string::npos) << secret.text();
}

TEST(TuiScreens, HelpListsEveryKeyAndTooSmallSaysSo) {
  Fixture fx;
  fx.ui.help = true;
  Canvas c(40, 100);
  render(c, fx.frame());
  const std::string text = c.text();
  for (const auto &b : key_table())
    if (b.help[0] != '\0') EXPECT_NE(text.find(b.help), std::string::npos) << b.help;
  Canvas small(10, 30);
  render(small, fx.frame());
  EXPECT_NE(small.text().find("too small"), std::string::npos);
}

TEST(TuiScreens, HostileLogTextStaysInsideItsPane) {
  Fixture fx;
  fx.store.add_log_line("mac1", "log:x", at(52), std::string(5000, 'x') + "\x1b[2J\t日本\xff");
  fx.ui.screen = Screen::node;
  Canvas c(20, 60);
  render(c, fx.frame());
  for (int r = 0; r < c.rows(); ++r)
    for (int x = 0; x < c.cols(); ++x) EXPECT_NE(c.at(r, x).ch, U'\x1b');
}

TEST(TuiScreens, WideAndZeroWidthTextKeepsEveryRowItsWidth) {
  const char *old = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr);
  Fixture fx;
  const std::string lines[] = {
      "ERROR \u2705\u26A1\u231A done", "e\uFE0F\uFE0F \u20DD\u20DD",
      "\u0928\u092E\u0938\u094D\u0924\u0947 \u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627",
      "\u1100\u1161\u11A8 \u2066bidi\u2069", "\U0001F004\U0001F0CF cards"};
  for (const auto &l : lines) {
    fx.store.add_log_line("mac1", "log:x", at(52), l + " " + std::string(200, 'x'));
    Finding f{"r", "mac1", "", Severity::warning, 1, 0, l + " " + std::string(200, 'y')};
    fx.transitions.push_front({f, AlertState::firing, at(40), at(40)});
  }
  for (auto [rows, cols] : {std::pair{40, 120}, {24, 79}, {12, 40}}) {
    for (Screen screen : {Screen::overview, Screen::node}) {
      fx.ui.screen = screen;
      Canvas c(rows, cols);
      render(c, fx.frame());
      for (int r = 0; r < rows; ++r) {
        int width = 0;
        for (int x = 0; x < cols; ++x) width += wcwidth(static_cast<wchar_t>(c.at(r, x).ch));
        EXPECT_EQ(width, cols) << rows << "x" << cols << " row " << r << ": " << c.row_text(r);
      }
    }
  }
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST(TuiScreens, ManyNodesPageOnSmallTerminals) {
  Fixture fx;
  for (int i = 0; i < 253; ++i) fx.store.declare_node("n" + std::to_string(i));
  fx.ui.selected = "n200";
  for (auto [rows, cols] : {std::pair{12, 40}, {50, 200}, {100, 300}}) {
    Canvas c(rows, cols);
    auto drawn = render(c, fx.frame());
    EXPECT_EQ(drawn.order.size(), 256U);
    const bool paged = c.text().find("of 256") != std::string::npos;
    EXPECT_EQ(paged, drawn.tiles.size() < 256U) << rows << "x" << cols;
    // On the top line, not over the column labels ("ct", no "alerts").
    const std::string top = c.text().substr(0, c.text().find('\n'));
    EXPECT_EQ(paged, top.find("of 256") != std::string::npos) << top;
    if (cols >= 200) EXPECT_NE(c.text().find("alerts"), std::string::npos);
    if (cols == 300) EXPECT_EQ(drawn.tiles.size(), 256U); // three columns of compact rows
    bool selected_shown = false;
    for (const auto &[rect, name] : drawn.tiles) selected_shown |= name == "n200";
    EXPECT_TRUE(selected_shown) << rows << "x" << cols;
  }
}

// The header holds whole fields and leaves the least needed out first: at 80 columns it
// ended in a dangling "sort:" and never showed PAUSED. Every width from 40 to 200 shows the
// nodes count, PAUSED while paused, and no field cut short.
TEST(TuiScreens, TheHeaderLeavesWholeFieldsOut) {
  Fixture fx;
  fx.ui.paused = true;
  for (int cols = 40; cols <= 200; ++cols) {
    Canvas c(30, cols);
    render(c, fx.frame());
    const std::string top = c.row_text(0);
    EXPECT_NE(top.find("nodes 2/3 up"), std::string::npos) << cols << ": " << top;
    EXPECT_NE(top.find("PAUSED"), std::string::npos) << cols << ": " << top;
    const auto sort = top.find("sort:");
    if (sort != std::string::npos)
      EXPECT_NE(top.find("sort: config order", sort), std::string::npos) << cols << ": " << top;
    // The alerts count at every width, shorter where the long form does not fit.
    EXPECT_TRUE(top.find("alerts 1 firing (1 critical)") != std::string::npos ||
                top.find("alerts 1 (1 crit)") != std::string::npos)
        << cols << ": " << top;
    EXPECT_NE(top.front(), ' ') << cols << ": " << top;
    EXPECT_EQ(top.find("…"), std::string::npos) << cols << ": " << top;
  }
  Canvas wide(30, 200);
  render(wide, fx.frame());
  EXPECT_NE(wide.row_text(0).find("sort: config order"), std::string::npos) << wide.row_text(0);
}

TEST(TuiScreens, PausedFrameIgnoresNewerData) {
  Fixture fx;
  Canvas before(30, 160);
  render(before, fx.frame());
  fx.store.add({"mac1", "gen.tokens_per_s", "", 99.0, at(70)});
  Canvas after(30, 160);
  render(after, fx.frame()); // frame time still at(60)
  EXPECT_EQ(before.text(), after.text());
}

} // namespace
} // namespace clustertop::tui
