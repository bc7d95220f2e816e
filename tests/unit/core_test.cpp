#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/wait.h>

#include "clustertop/core/event_queue.hpp"
#include "clustertop/core/line_splitter.hpp"
#include "clustertop/core/report.hpp"
#include "clustertop/core/result.hpp"
#include "clustertop/core/ring_buffer.hpp"
#include "clustertop/core/shell_quote.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/core/time.hpp"
#include "clustertop/core/unique_fd.hpp"

namespace clustertop {
namespace {

// Runs `sh -c "printf %s <quoted>"` and returns what the shell printed: the quoted value
// must come back byte for byte, with nothing executed.
std::string round_trip_through_shell(const std::string &value) {
  const std::string cmd = "printf %s " + shell_quote(value);
  FILE *p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Cuts (a quoted log line, an export cell, a backspace) never split a character; text that
// is no UTF-8 is cut within 3 bytes of where it was asked.
TEST(Utf8Boundary, ACutMovesBackToTheCharactersStart) {
  const std::string euro = "a\xE2\x82\xAC"
                           "b"; // a, U+20AC (3 bytes), b
  EXPECT_EQ(utf8_boundary(euro, 1), 1U);
  EXPECT_EQ(utf8_boundary(euro, 2), 1U);
  EXPECT_EQ(utf8_boundary(euro, 3), 1U);
  EXPECT_EQ(utf8_boundary(euro, 4), 4U);
  EXPECT_EQ(utf8_boundary(std::string(8, '\x80'), 6), 3U);
  EXPECT_EQ(utf8_boundary(std::string(2, '\x80'), 1), 0U);
}

TEST(ShellQuote, HostileStringsSurviveTheShellUnchanged) {
  const std::vector<std::string> hostile = {"it's",
                                            "$(touch /tmp/ct_pwned)",
                                            "`touch /tmp/ct_pwned`",
                                            "a\nb; rm -rf /x",
                                            "; echo hi",
                                            "-n",
                                            "--help",
                                            "\"double\"",
                                            "back\\slash",
                                            "$HOME",
                                            "*",
                                            "a b\tc",
                                            "'",
                                            "''",
                                            "",
                                            "&& |; <>"};
  for (const auto &v : hostile) EXPECT_EQ(round_trip_through_shell(v), v) << v;
  EXPECT_NE(std::system("test -e /tmp/ct_pwned"), 0) << "a quoted value was executed";
}

TEST(ShellQuote, LeadingDashStaysOneWordAndJoinQuotesEach) {
  EXPECT_EQ(shell_quote("-rf"), "'-rf'");
  EXPECT_EQ(shell_join({"tail", "-F", "/a b/c'd"}), "'tail' '-F' '/a b/c'\\''d'");
}

// Every offset a real zone has (quarter hours within ±14 h) is written as `date +%z` writes
// it and read back; the recorder and the recording reader rely on that.
TEST(UtcOffset, WrittenAsDateWritesItAndReadBack) {
  using std::chrono::minutes;
  EXPECT_EQ(format_utc_offset(minutes{-330}), "-0530");
  EXPECT_EQ(format_utc_offset(minutes{345}), "+0545");
  EXPECT_EQ(format_utc_offset(minutes{0}), "+0000");
  for (int m = -14 * 60; m <= 14 * 60; m += 15)
    EXPECT_EQ(parse_utc_offset(format_utc_offset(minutes{m})), minutes{m}) << m;
  for (const char *bad : {"0500", "+05:00", "+1500", "-0560", "EST", "+05000", "", "+0x00"})
    EXPECT_FALSE(parse_utc_offset(bad).has_value()) << bad;
}

TEST(ErrorText, OneLineKeepsTheHelpInParentheses) {
  const Error e{"cannot connect", "Connection refused", "mac1", "is sshd running?"};
  EXPECT_EQ(e.message(), "mac1: cannot connect: Connection refused\n  help: is sshd running?");
  EXPECT_EQ(e.one_line(), "mac1: cannot connect: Connection refused (help: is sshd running?)");
  EXPECT_EQ((Error{"x", "y", "", ""}).one_line(), "x: y");
}

// A newline in a part (a path from the command line) started a line of its own:
// `--node $'n=/x\nclustertop: FAKE'` printed a second "clustertop:" line.
TEST(ErrorText, ANewlineInAPartStaysOnItsLine) {
  const Error e{"cannot open log file", "No such\nfile", "/x\nclustertop: FAKE", "check\nit"};
  EXPECT_EQ(
      e.message(),
      "/x\\x0aclustertop: FAKE: cannot open log file: No such\\x0afile\n  help: check\\x0ait");
  EXPECT_EQ(e.one_line(),
            "/x\\x0aclustertop: FAKE: cannot open log file: No such\\x0afile (help: check\\x0ait)");
}

TEST(ClockSkew, DescribedInTheUnitThatReadsBest) {
  using std::chrono::seconds;
  EXPECT_EQ(describe_clock_skew(seconds{45}), "clock 45 s ahead");
  EXPECT_EQ(describe_clock_skew(seconds{-119}), "clock 119 s behind");
  EXPECT_EQ(describe_clock_skew(seconds{-600}), "clock 10 min behind");
  EXPECT_EQ(describe_clock_skew(seconds{7199}), "clock 120 min ahead");
  EXPECT_EQ(describe_clock_skew(seconds{-12600}), "clock 3.5 h behind");
}

TEST(LineSplitter, HoldsPartialLinesUntilComplete) {
  LineSplitter s;
  std::vector<std::string> out;
  s.feed("ab", out);
  EXPECT_TRUE(out.empty());
  s.feed("c\nde", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "abc");
  s.feed("\r\n\n", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], "de");
  EXPECT_EQ(out[2], "");
}

TEST(LineSplitter, CutsOverlongLinesAndCountsThem) {
  LineSplitter s(8);
  std::vector<std::string> out;
  s.feed("0123456789abc", out); // over-long, no newline yet
  s.feed("def\nshort\n", out);  // the tail of the long line is discarded
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "01234567");
  EXPECT_EQ(out[1], "short");
  EXPECT_EQ(s.cut_lines(), 1u);
}

// A log truncated under a writer that does not append (`exo > log`, then a copytruncate
// rotation) has a hole of NULs up to the writer's old offset before its next line: the line
// was cut at max_line with nothing of its text left, and its crash never alerted. NULs
// inside a line's text stay.
TEST(LineSplitter, NulsBeforeALinesTextAreDropped) {
  LineSplitter s(64 * 1024);
  std::vector<std::string> out;
  const std::string hole(300 * 1000, '\0');
  s.feed(hole.substr(0, 100000), out);
  s.feed(hole.substr(100000) + "libc++abi: terminating", out);
  s.feed(std::string("\na\0b\n\0\n", 7), out);
  EXPECT_EQ(out, (std::vector<std::string>{"libc++abi: terminating", std::string("a\0b", 3), ""}));
  EXPECT_EQ(s.cut_lines(), 0u);
}

TEST(LineSplitter, FinishFlushesThePartialLine) {
  LineSplitter s;
  std::vector<std::string> out;
  s.feed("tail without newline", out);
  s.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "tail without newline");
}

TEST(RingBuffer, KeepsTheNewestItems) {
  RingBuffer<int> r(3);
  for (int i = 1; i <= 5; ++i) r.push(i);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r.back(), 5);
  EXPECT_THROW((void)r.at(3), std::out_of_range);
}

TEST(EventQueue, DropsAndCountsWhenFullButKeepsStatuses) {
  EventQueue q(3);
  LineBatch b{"n", "s", wall_now(), {"1", "2"}};
  EXPECT_TRUE(q.push(b));
  EXPECT_FALSE(q.push(b));
  q.push(NodeStatus{"n", "", NodeState::up, "", wall_now()});
  EXPECT_EQ(q.dropped_lines(), 2u);
  auto events = q.drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<LineBatch>(events[0]));
  EXPECT_TRUE(std::holds_alternative<NodeStatus>(events[1]));
  EXPECT_TRUE(q.drain().empty());
}

// try_push leaves a batch that does not fit to the caller and counts nothing; a batch larger
// than the whole queue goes in once the queue is empty (a reader waiting for room would
// otherwise wait for ever).
TEST(EventQueue, TryPushKeepsWhatDoesNotFit) {
  EventQueue q(3);
  LineBatch b{"n", "s", wall_now(), {"1", "2"}};
  EXPECT_TRUE(q.try_push(b));
  LineBatch c{"n", "s", wall_now(), {"3", "4"}};
  EXPECT_FALSE(q.try_push(c));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(q.dropped_lines(), 0u);
  EXPECT_EQ(q.drain().size(), 1u);
  EXPECT_TRUE(q.try_push(c));
  q.drain();
  LineBatch big{"n", "s", wall_now(), {"a", "b", "c", "d", "e"}};
  EXPECT_TRUE(q.try_push(big));
  EXPECT_EQ(std::get<LineBatch>(q.drain().at(0)).lines.size(), 5u);
}

// same_text reads words, overlapping at the ends: against ==, for every length up to 40,
// a difference at every place (and a longer or shorter text) must be seen.
TEST(SameText, AgreesWithEqualsAtEveryLengthAndPlace) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (std::size_t i = 0; i < n; ++i) a += static_cast<char>('a' + i % 26);
    EXPECT_TRUE(same_text(a, std::string(a)));
    EXPECT_FALSE(same_text(a, a + "x"));
    if (n > 0) EXPECT_FALSE(same_text(a, a.substr(0, n - 1)));
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x20);
      EXPECT_FALSE(same_text(a, b)) << n << " " << i;
    }
  }
}

// Pairs of one length from bytes around the digits ('/' and ':' border them), high bytes
// and NUL, at every length the 16-byte blocks and their overlapping tail meet, against the
// byte-by-byte definition.
TEST(TerminalSafe, ControlsAndBrokenUtf8AreShownAndTextIsKept) {
  // C0 (but tab), DEL, C1 as raw bytes and as UTF-8, NUL: visible escapes.
  EXPECT_EQ(terminal_safe(std::string("a\x1b[2J\tb\r\b\x7f", 10) + '\0' + "\x9b\xc2\x9b\xc2\x9f"),
            "a\\x1b[2J\tb\\x0d\\x08\\x7f\\x00\\x9b\\xc2\\x9b\\xc2\\x9f");
  // UTF-8 is kept, from U+00A0 on; broken forms are escaped byte by byte: a stray
  // continuation, an overlong '/', a surrogate, past U+10FFFF, a sequence cut short.
  EXPECT_EQ(terminal_safe("caf\xc3\xa9 \xc2\xa0 \xe6\xbc\xa2 \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xc2\xa0 \xe6\xbc\xa2 \xf0\x9f\x98\x80");
  EXPECT_EQ(terminal_safe("\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe6\xbc"),
            "\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xe6\\xbc");
  // Safe output stays as it is (the figures line is made safe twice).
  const std::string once = terminal_safe("x\x1b]0;t\x07\xff");
  EXPECT_EQ(terminal_safe(once), once);
  // The cut falls between characters and is marked.
  EXPECT_EQ(terminal_safe("ab\xe6\xbc\xa2"
                          "cd",
                          4),
            "ab...");
  EXPECT_EQ(terminal_safe("ab\xe6\xbc\xa2"
                          "cd",
                          5),
            "ab\xe6\xbc\xa2...");
  EXPECT_EQ(terminal_safe("abc", 3), "abc");
  // Line separators and the controls of direction are shown, not obeyed: U+2028 is a line
  // break to a Unicode-aware reader of a text alerts.log, U+202E reverses what follows.
  EXPECT_EQ(terminal_safe("a\u2028b\u2029c \u202Eevil\u202C \u2066x\u2069 \u200Fy"),
            "a\\u2028b\\u2029c \\u202eevil\\u202c \\u2066x\\u2069 \\u200fy");
  EXPECT_EQ(terminal_safe("\u200C\u200D"), "\u200C\u200D"); // joiners are writing, kept
}

// Messages on stderr quote outside text: an sshd's banner (sent before any host key is
// checked), a theme file's line, a config value. They reached the terminal raw.
TEST(Report, OutsideTextIsShownNotActedOnAndLineEndsStay) {
  EXPECT_EQ(terminal_safe_lines("a\x1b]0;t\x07\nb\r\n\n"), "a\\x1b]0;t\\x07\nb\\x0d\n\n");
  std::FILE *file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  report(file, "clustertop: {} (banner: {})\n  help: {}\n", "n1", "SSH-1.5-\x1b]52;c;QQ==\x07",
         "ok");
  std::rewind(file);
  std::string got(256, '\0');
  got.resize(std::fread(got.data(), 1, got.size(), file));
  std::fclose(file);
  EXPECT_EQ(got, "clustertop: n1 (banner: SSH-1.5-\\x1b]52;c;QQ==\\x07)\n  help: ok\n");
}

TEST(SameExceptDigits, AgreesWithTheByteByByteDefinition) {
  const std::string alphabet = std::string("0123456789/:a ") + '\0' + '\x80' + '\xff' + '\xb9';
  const auto reference = [](const std::string &a, const std::string &b) {
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i] && !(digit(a[i]) && digit(b[i]))) return false;
    return true;
  };
  std::mt19937 rng(9);
  std::size_t alike = 0, apart = 0;
  for (int round = 0; round < 40000; ++round) {
    const std::size_t n = rng() % 70;
    std::string a(n, ' ');
    for (auto &c : a) c = alphabet[rng() % alphabet.size()];
    std::string b = a;
    const std::size_t changes = rng() % 3;
    for (std::size_t k = 0; k < changes && n > 0; ++k) // a few bytes changed, to anything
      b[rng() % n] = alphabet[rng() % alphabet.size()];
    for (std::size_t i = 0; i < n; ++i) // and digits to other digits
      if (b[i] >= '0' && b[i] <= '9' && rng() % 2 == 0) b[i] = static_cast<char>('0' + rng() % 10);
    const bool want = reference(a, b);
    ASSERT_EQ(same_except_digits(a.data(), b.data(), n), want) << a << " / " << b;
    ASSERT_EQ(same_except_digits(b.data(), a.data(), n), want) << b << " / " << a;
    (want ? alike : apart) += 1;
  }
  EXPECT_GT(alike, 10000u);
  EXPECT_GT(apart, 10000u);
}

TEST(Time, FractionsOfASecondAreExactNanoseconds) {
  std::size_t used = 99;
  EXPECT_EQ(fraction_nanos("", used), 0);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(fraction_nanos("5x", used), 500'000'000);
  EXPECT_EQ(used, 1u);
  EXPECT_EQ(fraction_nanos("001 | INFO", used), 1'000'000);
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(fraction_nanos("123456789", used), 123'456'789);
  EXPECT_EQ(used, 9u);
  EXPECT_EQ(fraction_nanos("123456789987", used), 123'456'789); // past the ninth: dropped
  EXPECT_EQ(used, 12u);
  EXPECT_EQ(fraction_nanos("099999999999999999999", used), 99'999'999);
  EXPECT_EQ(used, 21u);
}

// A step of the wall clock is the wall clock moving more or less than the boot clock (which
// runs on through a suspend or a SIGSTOP as the wall clock does); NTP's slewing is no step.
TEST(Time, AStepOfTheWallClockIsWhatTheBootClockDidNotMove) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  WallClockWatch w;
  const TimePoint t0{seconds(1000)};
  EXPECT_FALSE(w.observe(t0, seconds(50)));                                       // the first
  EXPECT_FALSE(w.observe(t0 + seconds(1), seconds(51)));                          // in step
  EXPECT_FALSE(w.observe(t0 + seconds(3600 + 1), seconds(3600 + 51)));            // a suspend
  EXPECT_FALSE(w.observe(t0 + seconds(3602) + milliseconds(400), seconds(3652))); // slewing
  const auto fwd = w.observe(t0 + seconds(3603 + 300), seconds(3653));
  ASSERT_TRUE(fwd);
  EXPECT_NEAR(to_seconds(*fwd), 299.6, 1e-9);
  const auto back = w.observe(t0 + seconds(3604), seconds(3654));
  ASSERT_TRUE(back);
  EXPECT_NEAR(to_seconds(*back), -300, 1e-9);
}

TEST(Time, ParsesDurationsAndRejectsJunk) {
  Duration d{};
  ASSERT_TRUE(parse_duration("30s", d));
  EXPECT_EQ(d, std::chrono::seconds(30));
  ASSERT_TRUE(parse_duration("250ms", d));
  EXPECT_EQ(d, std::chrono::milliseconds(250));
  ASSERT_TRUE(parse_duration("2m", d));
  EXPECT_EQ(d, std::chrono::minutes(2));
  for (const char *bad : {"", "abc", "-1s", "5 parsecs", "nan", "1e300s"})
    EXPECT_FALSE(parse_duration(bad, d)) << bad;
  EXPECT_EQ(iso8601_utc(from_epoch_seconds(1.5)), "1970-01-01T00:00:01.500Z");
}

// strtod read hex, exponents, signs and leading spaces: `--for 0x3s` collected for 3 s and
// `interval = "0x1p4s"` passed. Only the documented decimal form is a duration.
TEST(Time, DurationsAreDecimalNumbersOnly) {
  Duration d{};
  for (const char *bad :
       {"0x3s", "0x1p4s", "0X10",   " 5s", "5s ",  "+5s",  "-0s", "1e3s", "1e3",  "1E-3s", ".5s",
        "5.s",  "5 s",    "1.5.2s", "inf", "infs", "nans", "s",   "ms",   "5sec", "5S"})
    EXPECT_FALSE(parse_duration(bad, d)) << bad;
  ASSERT_TRUE(parse_duration("1.5s", d));
  EXPECT_EQ(d, std::chrono::milliseconds(1500));
  ASSERT_TRUE(parse_duration("0.25", d));
  EXPECT_EQ(d, std::chrono::milliseconds(250));
  ASSERT_TRUE(parse_duration("10", d));
  EXPECT_EQ(d, std::chrono::seconds(10));
  ASSERT_TRUE(parse_duration("0500us", d));
  EXPECT_EQ(d, std::chrono::microseconds(500));
  ASSERT_TRUE(parse_duration("1h", d));
  EXPECT_EQ(d, std::chrono::hours(1));
}

TEST(Error, MessageSaysWhereWhatWhyAndHelp) {
  Error e{"cannot read config", "No such file or directory", "cluster.toml", "check the path"};
  EXPECT_EQ(e.message(),
            "cluster.toml: cannot read config: No such file or directory\n  help: check the path");
  Result<int> r = e;
  EXPECT_FALSE(r.ok());
  Result<int> good = 4;
  EXPECT_EQ(*good, 4);
}

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFd, ClosesOnceWhereverItsOwnerGoes) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  {
    UniqueFd a(raw[0]);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid()); // NOLINT(bugprone-use-after-move): moved from is empty
    EXPECT_EQ(b.get(), raw[0]);
    UniqueFd c;
    c = std::move(b);
    EXPECT_TRUE(fd_open(raw[0]));
    c.reset(raw[1]); // closes raw[0], holds raw[1]
    EXPECT_FALSE(fd_open(raw[0]));
    const int given = c.release();
    EXPECT_EQ(given, raw[1]);
    EXPECT_FALSE(c.valid());
  }
  EXPECT_TRUE(fd_open(raw[1])) << "released: not closed";
  { UniqueFd d(raw[1]); }
  EXPECT_FALSE(fd_open(raw[1]));
}

} // namespace
} // namespace clustertop
