// The replay and ingest fast paths against what they stand in for: Store series handles,
// ring slots reused in place, regexes turned away on their first byte, the rare-byte
// literal search, plain logs read in chunks, and a replay slice's arrivals handled together.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/collect/parsers_internal.hpp"
#include "clustertop/collect/regex.hpp"
#include "clustertop/pipeline.hpp"
#include "clustertop/store/store.hpp"
#include "clustertop/transport/replay.hpp"
#include "detect_test_util.hpp"

namespace clustertop {
namespace {

TEST(StoreHandle, StaysValidAndWritesTheSameSeriesAsAdd) {
  Store store(StoreLimits{4, 3, 10});
  const auto t = from_epoch_seconds(10);
  Series &s = *store.series_mut({"mac1", "step.eval_ms", ""});
  EXPECT_EQ(store.nodes(), std::vector<std::string>{"mac1"}); // declared with its first series
  for (int i = 0; i < 100; ++i) // many more series: the handle must not move
    store.add(Sample{"mac" + std::to_string(i), "m" + std::to_string(i), "", 1.0, t});
  Store::add(s, t, 29.0);
  store.add(Sample{"mac1", "step.eval_ms", "", 31.0, t + std::chrono::seconds(1)});
  const Series *read = store.series({"mac1", "step.eval_ms", ""});
  ASSERT_EQ(read, &s);
  ASSERT_EQ(read->size(), 2u);
  EXPECT_DOUBLE_EQ((*read)[0].value, 29.0);
  EXPECT_DOUBLE_EQ(read->back().value, 31.0);
}

TEST(StoreHandle, LogLinesReuseTheirRingSlotsAndKeepTheNewest) {
  Store store(StoreLimits{4, 3, 10});
  const auto t = from_epoch_seconds(10);
  const std::string long_line(100, 'x');
  for (int i = 0; i < 7; ++i)
    store.add_log_line("mac1", i % 2 == 0 ? "log:a" : "log:bb", t + std::chrono::seconds(i),
                       i == 5 ? std::string_view("short") : std::string_view(long_line));
  const auto *logs = store.log_lines("mac1");
  ASSERT_NE(logs, nullptr);
  ASSERT_EQ(logs->size(), 3u);
  EXPECT_EQ((*logs)[0].text, long_line);
  EXPECT_EQ((*logs)[0].stream, "log:a");
  EXPECT_EQ((*logs)[1].text, "short");
  EXPECT_EQ((*logs)[1].stream, "log:bb");
  EXPECT_EQ((*logs)[2].time, t + std::chrono::seconds(6));
  EXPECT_EQ(store.node("mac1")->lines, 7u);
}

bool matches(const std::string &pattern, std::string_view line) {
  auto re = Regex::compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern;
  MatchBlock block;
  std::vector<std::pair<std::string_view, std::string_view>> caps;
  const bool with_block = (*re)->match(line, caps, block);
  EXPECT_EQ(with_block, (*re)->matches(line)) << pattern << " on " << line;
  return with_block;
}

TEST(RegexFirstByte, AnchoredPatternsAreTurnedAwayOnlyWhenTheyCannotMatch) {
  EXPECT_TRUE(matches("^\\[ (?<x>\\d+)", "[ 12"));
  EXPECT_FALSE(matches("^\\[ (?<x>\\d+)", "x[ 12"));
  EXPECT_FALSE(matches("^\\[ (?<x>\\d+)", ""));
  EXPECT_TRUE(matches("(?i)^abc", "ABCdef"));
  EXPECT_TRUE(matches("^(?i:a)bc", "Abc"));
  EXPECT_TRUE(matches("^(?:\\(\\w+ pid=\\d+\\) )?(?<level>INFO|ERROR) x", "(w pid=1) INFO x"));
  EXPECT_TRUE(matches("^(?:\\(\\w+ pid=\\d+\\) )?(?<level>INFO|ERROR) x", "ERROR x"));
  EXPECT_FALSE(matches("^(?:\\(\\w+ pid=\\d+\\) )?(?<level>INFO|ERROR) x", "[STEP 1] x"));
  EXPECT_TRUE(matches("^x*", ""));  // can match empty: no first byte to require
  EXPECT_TRUE(matches("^x*", "y")); // likewise
  EXPECT_TRUE(matches("^\\d", "7"));
  EXPECT_TRUE(matches("^.", "\xff"));
  EXPECT_TRUE(matches("\\bfoo", "a foo")); // not anchored: never turned away
  // One block serves patterns of different capture counts in turn.
  auto small = Regex::compile("^(?<a>x)");
  auto big = Regex::compile("(?<a>a)(?<b>b)(?<c>c)(?<d>d)(?<e>e)");
  ASSERT_TRUE(small.ok() && big.ok());
  MatchBlock block;
  std::vector<std::pair<std::string_view, std::string_view>> caps;
  EXPECT_TRUE((*small)->match("xy", caps, block));
  EXPECT_TRUE((*big)->match("zabcde", caps, block));
  EXPECT_EQ(caps.size(), 5u);
  EXPECT_TRUE((*small)->match("x", caps, block));
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0].second, "x");
}

// The first-two-bytes gate (may_match, learnt by asking PCRE2 for partial matches) against
// the same pattern with no gate: put in an alternation with a branch that never matches, it
// is no longer anchored, so nothing is learnt and every line goes to PCRE2. Every pair of
// bytes from an alphabet that tries each pattern's edges, with tails after it.
TEST(RegexFirstBytes, TheGateTurnsAwayOnlyLinesThatCannotMatch) {
  const std::vector<std::string> patterns = {
      "^ab",
      "(?i)^ab",
      "^(?i:a)b",
      "^a(?=b)",
      "^a(?!b)",
      "^a\\b",
      "^a$",
      "^a\\z",
      "^a|^bc",
      "^(?:a|b)c",
      "^a?b",
      "^a*b",
      "^a{0}b",
      "^.",
      "^.b",
      "^\\[(?<ts>\\d{4})",
      "^a(*COMMIT)b",
      "^(a)\\1",
      "^a(?<=a)b",
      "^\\Qa[\\E",
      "^(?:(a+)+c|a+b)",
      "^[^a]b",
      "^\\x00a",
      "^a\\Kb",
      "^(?s).b",
      "^a(?#note)b",
      "^(?x) a b ",
      "^\\s\\S",
      "^a\\Rb",
      "^\\[ (?<ts>\\d{4}-\\d{2}-\\d{2}) \\| (?<level>[A-Z]+)"};
  const std::string alphabet = std::string("abcAB[ 19:-x()]") + '\n' + '\r' + '\0' + '\xff';
  const std::vector<std::string> tails = {"",  "b",   "bc", "c",   "1",
                                          "x", " 12", "]",  "abc", "026-02-23 | INFO"};
  std::size_t turned_away = 0;
  for (const auto &p : patterns) {
    auto gated = Regex::compile(p);
    auto open = Regex::compile("(?:" + p + ")|(*FAIL)");
    ASSERT_TRUE(gated.ok() && open.ok()) << p;
    for (const char a : alphabet)
      for (const char b : alphabet)
        for (const auto &tail : tails) {
          const std::string line = std::string{a, b} + tail;
          EXPECT_EQ((*gated)->matches(line), (*open)->matches(line)) << p << " on " << line;
          turned_away += (*gated)->may_match(line) ? 0 : 1;
        }
    EXPECT_TRUE((*open)->may_match("")) << p; // no gate on the reference
  }
  EXPECT_GT(turned_away, 10000u); // the gate was at work
  auto sglang = Regex::compile("^\\[(?<ts>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})");
  ASSERT_TRUE(sglang.ok());
  EXPECT_FALSE((*sglang)->may_match("[ 2026-02-23 10:46:36.340 | INFO ] exo line"));
  EXPECT_TRUE((*sglang)->may_match("[2026-02-23 10:46:36 TP0] Decode batch."));
}

// Our match limit (100 000), not PCRE2's default (10 million), bounds a match, also through
// the JIT: the first alternative fails after 2^n steps before the second matches. With n = 12
// that fits in the limit; with n = 18 the line is given up as no match (PCRE2's default
// would still find it).
TEST(RegexLimits, BacktrackingPastOurMatchLimitIsNoMatch) {
  const std::string pattern = "^(?:(a+)+c|a+b)";
  EXPECT_TRUE(matches(pattern, std::string(12, 'a') + "b"));
  EXPECT_FALSE(matches(pattern, std::string(18, 'a') + "b"));
  EXPECT_FALSE(matches("^(a+)+$", std::string(40, 'a') + "b")); // 2^40 steps: stops at once
}

TEST(LiteralSearch, AgreesWithFindForEveryAnchor) {
  const std::vector<std::string> lines = {"",
                                          "a",
                                          "[STEP 12] eval=29ms model=7ms",
                                          "Killed process 4121 (python)",
                                          "xx Killed proces",
                                          "SIGKILL",
                                          "prompt eval time = 1 ms",
                                          "[metal::malloc] Resource",
                                          std::string("a\0b Killed process", 18),
                                          "etsametsam",
                                          "\xff\xfe"
                                          "etsam"};
  const std::vector<std::string> literals = {"Killed process",
                                             "SIG",
                                             "[ ",
                                             "etsam",
                                             "a",
                                             "eval time",
                                             "[metal::malloc]",
                                             "b K",
                                             "\xfe"
                                             "e"};
  for (const auto &lit : literals) {
    EXPECT_LT(rare_byte_index(lit), lit.size());
    for (std::size_t anchor = 0; anchor < lit.size(); ++anchor)
      for (const auto &line : lines)
        EXPECT_EQ(contains_literal(line, lit, anchor),
                  std::string_view(line).find(lit) != std::string_view::npos)
            << lit << " @" << anchor << " in " << line;
  }
}

namespace fs = std::filesystem;

// Exact instants (a double of epoch seconds cannot hold milliseconds exactly).
TimePoint at_ms(long long ms) { return TimePoint{std::chrono::milliseconds(ms)}; }

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("clustertop_stream_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> all_lines(ReplaySource &src) {
  std::vector<std::string> out;
  while (!src.done())
    for (auto &ev : src.take_next())
      if (auto *b = std::get_if<LineBatch>(&ev))
        for (auto &l : b->lines) out.push_back(b->node + ":" + l);
  return out;
}

// Lines are read from 1 MiB reads; one that runs past a read's end is put together across
// them. Every length and ending around three read boundaries (a '\r' as a
// read's last byte, a newline as the next one's first, a line longer than a read and cut)
// gives the lines a plain split of the file gives.
TEST(ReplayLogs, LinesAcrossReadBoundariesAreThoseOfAPlainSplit) {
  TempDir dir;
  std::string text = "2026-02-23 18:00:01 first\n";
  std::vector<std::string> want = {"a:2026-02-23 18:00:01 first"};
  const auto add = [&](const std::string &line, bool crlf) {
    text += line + (crlf ? "\r\n" : "\n");
    want.push_back("a:" + line.substr(0, 64 * 1024));
  };
  unsigned n = 0;
  while (text.size() < 3 * (1u << 20) + 4096) {
    ++n;
    // Near each boundary, lines of every length from 0 to 40, ending in CRLF every third.
    const std::size_t to_boundary = (1u << 20) - text.size() % (1u << 20);
    const std::size_t len = to_boundary < 400 ? n % 41 : 97 + n % 300;
    add(std::string(len, static_cast<char>('a' + n % 26)), n % 3 == 0);
    if (n == 5000) add(std::string(1200 * 1024, 'z'), true); // longer than a read: cut
  }
  std::ofstream(dir.path / "a.log", std::ios::binary) << text;
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  const auto got = all_lines(*src);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "line " << i;
}

TEST(ReplayLogs, LinesAreCutCrlfEndedAndTheLastNeedsNoNewline) {
  TempDir dir;
  const std::string huge(70 * 1024, 'y');
  std::ofstream(dir.path / "a.log", std::ios::binary) << "banner\r\n2026-02-23 18:00:01 a1\r\n"
                                                      << huge << "\n\n2026-02-23 18:00:02 end";
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  const auto lines = all_lines(*src);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "a:banner");
  EXPECT_EQ(lines[1], "a:2026-02-23 18:00:01 a1");
  EXPECT_EQ(lines[2].size(), 2 + 64 * 1024u); // "a:" and the first 64 KiB
  EXPECT_EQ(lines[3], "a:");
  EXPECT_EQ(lines[4], "a:2026-02-23 18:00:02 end");
  EXPECT_EQ(src->last(), at_ms(1'771'869'602'000));
}

TEST(ReplayLogs, TakeUntilDrainsEveryArrivalOfATickInOrder) {
  TempDir dir;
  std::ofstream(dir.path / "a.log") << "2026-02-23 18:00:01.100 a1\nmore a1\n"
                                    << "2026-02-23 18:00:00.500 earlier: no rewind\n"
                                    << "2026-02-23 18:00:01.900 a2\n2026-02-23 18:00:03 a3\n";
  std::ofstream(dir.path / "b.log") << "2026-02-23 18:00:01.100 b1\n";
  auto src = ReplaySource::from_logs(
      {"a=" + (dir.path / "a.log").string(), "b=" + (dir.path / "b.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  const TimePoint t1 = at_ms(1'771'869'601'100);
  EXPECT_EQ(src->first(), t1);
  std::vector<Event> got;
  const auto last = src->take_until(t1 + std::chrono::milliseconds(900), got);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, t1 + std::chrono::milliseconds(800));
  // a's status and first batch, b's status and batch (both at t1), then a's batch at 1.9 s.
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(std::get<NodeStatus>(got[0]).node, "a");
  EXPECT_EQ(std::get<LineBatch>(got[1]).lines.size(), 3u);
  EXPECT_EQ(std::get<NodeStatus>(got[2]).node, "b");
  EXPECT_EQ(std::get<LineBatch>(got[3]).node, "b");
  EXPECT_EQ(std::get<LineBatch>(got[4]).lines,
            std::vector<std::string>{"2026-02-23 18:00:01.900 a2"});
  EXPECT_FALSE(src->done());
  got.clear();
  EXPECT_FALSE(src->take_until(t1 + std::chrono::milliseconds(1000), got));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(src->take_until(TimePoint::max(), got));
  EXPECT_TRUE(src->done());
  EXPECT_EQ(src->last(), at_ms(1'771'869'603'000));
}

TEST(ReplayLogs, LinesOfOneTimeGoOutInBoundedPiecesInOrder) {
  // Only the first line carries a time: every line shares it, and must still go out in
  // bounded batches and bounded takes rather than as one piece held whole.
  TempDir dir;
  {
    std::ofstream out(dir.path / "a.log");
    out << "2026-02-23 18:00:01.000 start\n";
    for (int i = 0; i < 300'000; ++i) out << "untimed " << i << "\n";
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::size_t lines = 0, takes = 0, largest_take = 0;
  bool in_order = true;
  std::vector<Event> got;
  while (!src->done()) {
    got.clear();
    ASSERT_TRUE(src->take_until(TimePoint::max(), got));
    ++takes;
    std::size_t take_lines = 0;
    for (const auto &e : got) {
      const auto *b = std::get_if<LineBatch>(&e);
      if (b == nullptr) continue;
      EXPECT_LE(b->lines.size(), 1024u);
      EXPECT_LE(b->lines.capacity(), 1024u); // nothing held for a line beyond the bound
      for (const auto &l : b->lines) {
        if (lines > 0 && l != "untimed " + std::to_string(lines - 1)) in_order = false;
        ++lines;
      }
      take_lines += b->lines.size();
    }
    largest_take = std::max(largest_take, take_lines);
  }
  EXPECT_TRUE(in_order);
  EXPECT_EQ(lines, 300'001u);
  EXPECT_GT(takes, 1u);
  // The bound, plus the rest of the batch that reached it.
  EXPECT_GE(largest_take, ReplaySource::kMaxTakeLines);
  EXPECT_LT(largest_take, ReplaySource::kMaxTakeLines + 1024);
}

// Lines longer than kMaxLineBytes are cut and counted, once each, one that spans several
// reads too (a replay said nothing of them; `parse` does).
TEST(ReplayLogs, LinesPastTheLongestKeptAreCutAndCounted) {
  TempDir dir;
  {
    std::ofstream out(dir.path / "a.log");
    out << "2026-02-23 18:00:01.000 start\n";
    out << std::string(100'000, 'x') << "\n";
    out << std::string(ReplaySource::kMaxLineBytes, 'y') << "\n"; // exactly the bound: kept
    out << std::string(3 << 20, 'z') << "\nlast\n";
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::size_t> sizes;
  while (!src->done())
    for (const auto &e : src->take_next())
      if (const auto *b = std::get_if<LineBatch>(&e))
        for (const auto &l : b->lines) sizes.push_back(l.size());
  const std::size_t max = ReplaySource::kMaxLineBytes;
  EXPECT_EQ(sizes, (std::vector<std::size_t>{29, max, max, max, 4}));
  EXPECT_EQ(src->log_counts().cut_lines, 2u);
}

TEST(ReplayLogs, RecycledStringsCarryTheNextLinesExactly) {
  // Long lines then short ones then long again: a recycled string keeps its larger storage,
  // and must hold exactly the new line, never a tail of the old one.
  TempDir dir;
  std::vector<std::string> want;
  {
    std::ofstream out(dir.path / "a.log");
    for (int i = 0; i < 5000; ++i) {
      std::string l = i % 7 == 0 ? "2026-02-23 18:00:" + std::to_string(10 + i / 500) + ".000 t"
                                 : std::string(static_cast<std::size_t>((i * 37) % 300), 'x');
      l += std::to_string(i);
      out << l << "\n";
      want.push_back("a:" + l);
    }
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<std::string> got;
  std::vector<Event> taken;
  while (!src->done()) {
    taken.clear();
    src->take_until(TimePoint::max(), taken);
    for (const auto &e : taken)
      if (const auto *b = std::get_if<LineBatch>(&e))
        for (const auto &l : b->lines) got.push_back(b->node + ":" + l);
    src->recycle(taken);
  }
  EXPECT_EQ(got, want);
}

// A log whose lines all carry one time goes out in full takes. Recycled after each, as the
// replay loop does, the takes must run on the strings of the takes before: once the first two
// are out (the second holds a batch read ahead during the first), lines are held in storage
// that earlier takes held.
TEST(ReplayLogs, TakesOfOneTimeRunOnTheStringsOfTheTakesBefore) {
  TempDir dir;
  {
    std::ofstream out(dir.path / "a.log");
    // Step lines of one length and no longer than the first: a longer line read into a
    // recycled string that held a shorter one would be a new allocation, not a new string.
    out << "2026-02-23 18:00:01.000 start, longer than the rest\n";
    for (int i = 0; i < 60'000; ++i) out << "[STEP " << 100'000 + i << "] a line longer than SSO\n";
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  std::vector<Event> taken;
  std::set<const char *> seen; // the line storage of every take so far
  std::size_t takes = 0, new_storage = 0, lines = 0;
  while (!src->done()) {
    taken.clear();
    src->take_until(TimePoint::max(), taken);
    for (const auto &e : taken)
      if (const auto *b = std::get_if<LineBatch>(&e))
        for (const auto &l : b->lines) {
          new_storage += seen.insert(l.data()).second && takes >= 2 ? 1 : 0;
          ++lines;
        }
    ++takes;
    src->recycle(taken);
  }
  EXPECT_EQ(lines, 60'001u);
  EXPECT_GT(takes, 5u);
  EXPECT_EQ(new_storage, 0u);
}

// Every batch of two logs replayed with their batches recycled after each take, as the
// replay loop does, against the same replay keeping every batch: node, stream, time and
// lines alike. The logs start with untimed lines, change time every line for a while (batches
// of one to three lines), then hold one time over 2500 lines (batches of 1024), so refilled
// batches hold more lines, and fewer, than they held before.
TEST(ReplayLogs, RecycledBatchesMatchAReplayWithoutRecycling) {
  TempDir dir;
  for (const char *name : {"a", "bb"}) {
    std::ofstream out(dir.path / (std::string(name) + ".log"));
    out << "untimed head\nmore head " << name << "\n";
    for (int i = 0; i < 3000; ++i) {
      if (i < 400 && i % (1 + i % 3) == 0)
        out << "2026-02-23 18:00:" << 10 + i / 40 << "." << 100 + i % 40 << " line " << i << "\n";
      else if (i == 400)
        out << "2026-02-23 18:01:00.000 " << std::string(200, name[0]) << "\n";
      else
        out << name << " " << std::string(static_cast<std::size_t>(i % 90), 'y') << i << "\n";
    }
  }
  const std::vector<std::string> specs{"a=" + (dir.path / "a.log").string(),
                                       "bb=" + (dir.path / "bb.log").string()};
  auto describe_all = [&](bool recycle) {
    auto src = ReplaySource::from_logs(specs);
    EXPECT_TRUE(src.ok());
    std::vector<std::string> out;
    std::vector<Event> taken;
    while (src.ok() && !src->done()) {
      taken.clear();
      src->take_until(TimePoint::max(), taken);
      for (const auto &e : taken)
        if (const auto *b = std::get_if<LineBatch>(&e)) {
          std::string d = b->node + "|" + b->stream + "|" +
                          std::to_string(b->received_at.time_since_epoch().count());
          for (const auto &l : b->lines) d += "\n" + l;
          out.push_back(std::move(d));
        }
      if (recycle) src->recycle(taken);
    }
    return out;
  };
  const auto kept = describe_all(false);
  EXPECT_GT(kept.size(), 300u);
  EXPECT_EQ(describe_all(true), kept);
}

struct Transitions : Sink {
  std::vector<AlertTransition> seen;
  int batches = 0;
  std::vector<TimePoint> ticks;
  void on_lines(const LineBatch &) override { ++batches; }
  void on_tick(const TickContext &ctx) override { ticks.push_back(ctx.now); }
  void on_transition(const AlertTransition &t, const TickContext &) override { seen.push_back(t); }
};

// Replays a one-node log with the default clock (100 ms slices, no tail) through a pipeline
// whose parser tags CRASH lines; what the sink saw, and where the clock ended.
struct TickReplay {
  Transitions sink;
  TimePoint end{};
  ReplayEnd how{};
};
void replay_log(const std::string &text, TickReplay &out, std::time_t modified = 0) {
  TempDir dir;
  std::ofstream(dir.path / "a.log") << text;
  if (modified != 0) { // else now
    const timespec times[2] = {{modified, 0}, {modified, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir.path / "a.log").c_str(), times, 0), 0);
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  p.add_sink(out.sink);
  ReplayClock clock;
  clock.tail = std::chrono::seconds(0);
  ASSERT_EQ(clock.slice, std::chrono::milliseconds(100));
  out.how = run_replay(*src, p, clock);
  out.end = out.how.at;
}

TEST(ReplayTick, AnAlertLeavesInTheTickOfItsLine) {
  TickReplay r;
  replay_log("2026-02-23 18:00:01.000 ok\n2026-02-23 18:00:01.200 CRASH\n"
             "2026-02-23 18:00:01.700 ok\n2026-02-23 18:00:02.500 ok\n",
             r);
  const TimePoint t0 = at_ms(1'771'869'601'000);
  EXPECT_EQ(r.end, t0 + std::chrono::milliseconds(1500));
  EXPECT_EQ(r.sink.batches, 4);
  ASSERT_FALSE(r.sink.seen.empty());
  EXPECT_EQ(r.sink.seen[0].finding.rule, "crash");
  // The first tick (to 18:00:02) holds three lines 200 and 500 ms apart: each is its own
  // slice, so the alert is stamped at its line's time, not at the tick's last arrival.
  EXPECT_EQ(r.sink.seen[0].at, t0 + std::chrono::milliseconds(200));
}

TEST(ReplayTick, ArrivalsWithinOneSliceGoToThePipelineTogether) {
  // Three lines within 100 ms: one process() call, stamped with the slice's latest arrival;
  // the next line, 400 ms on, is a slice of its own.
  TickReplay r;
  replay_log("2026-02-23 18:00:01.000 ok\n2026-02-23 18:00:01.020 CRASH\n"
             "2026-02-23 18:00:01.050 ok\n2026-02-23 18:00:01.450 ok\n",
             r);
  const TimePoint t0 = at_ms(1'771'869'601'000);
  EXPECT_EQ(r.sink.batches, 4); // a batch per timestamp, whatever the slices
  ASSERT_FALSE(r.sink.seen.empty());
  EXPECT_EQ(r.sink.seen[0].finding.rule, "crash");
  EXPECT_EQ(r.sink.seen[0].at, t0 + std::chrono::milliseconds(50));
}

// Fifty years without a line (a log last written in 2076): the clock ticks through the first
// hour of silence (the detectors' windows), then jumps to the tick before the next line
// instead of ticking every second of the gap; the crash after it still alerts, stamped with
// its own time.
TEST(ReplayTick, SilenceLongerThanAnHourIsJumpedAfterItsFirstHour) {
  TickReplay r;
  replay_log("2026-02-23 18:00:00.000 ok\n2026-02-23 18:00:01.000 ok\n"
             "2076-02-23 18:00:00.500 CRASH\n",
             r, 3'349'706'401); // modified a second after the crash line
  ASSERT_FALSE(HasFatalFailure());
  const TimePoint t0 = at_ms(1'771'869'600'000);
  const TimePoint crash = t0 + (at_ms(3'349'706'400'500) - at_ms(1'771'869'600'000));
  EXPECT_EQ(r.how.gaps_skipped, 1u);
  ASSERT_FALSE(r.sink.ticks.empty());
  // Every second of the first hour after the last line, then the one before the crash.
  std::size_t in_first_hour = 0;
  for (const auto t : r.sink.ticks) in_first_hour += t <= t0 + std::chrono::seconds(3601) ? 1 : 0;
  EXPECT_EQ(in_first_hour, 3601u);
  EXPECT_LT(r.sink.ticks.size(), 3610u);
  EXPECT_EQ(r.how.time_skipped,
            (crash - std::chrono::milliseconds(500)) - (t0 + std::chrono::seconds(3602)));
  for (const auto t : r.sink.ticks) // still on the start's grid of whole seconds
    EXPECT_EQ((t - t0) % std::chrono::seconds(1), Duration::zero());
  ASSERT_FALSE(r.sink.seen.empty());
  EXPECT_EQ(r.sink.seen[0].finding.rule, "crash");
  EXPECT_EQ(r.sink.seen[0].at, crash);
  EXPECT_EQ(r.end, crash);
}

// Silence up to an hour is ticked through, every second of it.
TEST(ReplayTick, SilenceOfAnHourIsTickedThrough) {
  TickReplay r;
  replay_log("2026-02-23 18:00:00.000 ok\n2026-02-23 19:00:00.000 ok\n", r);
  EXPECT_EQ(r.how.gaps_skipped, 0u);
  EXPECT_EQ(r.sink.ticks.size(), 3599u); // 18:00:01 to 18:59:59; the last line ends it (no tail)
}

// A replay asks `stop` as it goes, also at full speed: true ends it there, with the alerts so
// far given out and stopped set.
TEST(ReplayTick, StopEndsAReplayAtFullSpeed) {
  TempDir dir;
  {
    std::ofstream out(dir.path / "a.log");
    for (int i = 0; i < 20'000; ++i)
      out << "2026-02-23 18:" << 10 + i / 600 << ":" << 10 + (i / 10) % 60 << "." << 100 + i % 10
          << " line\n";
  }
  auto src = ReplaySource::from_logs({"a=" + (dir.path / "a.log").string()});
  ASSERT_TRUE(src.ok()) << src.error().message();
  Store store;
  Pipeline p(store, test::crash_parser, Rules{});
  Transitions sink;
  p.add_sink(sink);
  int asked = 0;
  const ReplayEnd end = run_replay(*src, p, ReplayClock{}, [&] { return ++asked == 3; });
  EXPECT_TRUE(end.stopped);
  EXPECT_EQ(asked, 3);
  EXPECT_FALSE(src->done());
  EXPECT_GT(sink.batches, 0);
  EXPECT_LT(sink.batches, 20'000);
}

} // namespace
} // namespace clustertop
