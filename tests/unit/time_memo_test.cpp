// The timestamp memos against the readers they stand in for: every text of a sequence read
// with the memo (carried from text to text) gives what a reading without it gives, over
// sequences built to change every part of a stamp, one part at a time.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../../src/transport/replay_internal.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {
namespace {

// Variants of `base`, each after `base` itself (which the memo then holds): a digit changed,
// every digit from a place on changed (the fraction's and a zone's), a byte replaced by one
// that is no digit, a byte cut, a byte added.
std::vector<std::string> variants(const std::string &base, std::mt19937 &rng) {
  std::vector<std::string> out;
  for (int round = 0; round < 60; ++round) {
    std::string v = base;
    switch (rng() % 6) {
    case 5: // one byte replaced by one that is no digit
      v[rng() % v.size()] = "x.:+ Z"[rng() % 6];
      break;
    case 0: // one digit changed
    case 1: {
      const std::size_t i = rng() % v.size();
      if (v[i] >= '0' && v[i] <= '9') v[i] = static_cast<char>('0' + rng() % 10);
      break;
    }
    case 2: // every digit after a place changed: the fraction's, and the zone's
      for (std::size_t i = rng() % v.size(); i < v.size(); ++i)
        if (v[i] >= '0' && v[i] <= '9') v[i] = static_cast<char>('0' + rng() % 10);
      break;
    case 3: // a byte cut
      v.erase(rng() % v.size(), 1);
      break;
    default: // a byte added: a digit, a point, a sign, a letter
      v.insert(v.begin() + static_cast<std::ptrdiff_t>(rng() % (v.size() + 1)),
               "7.+-Pa "[rng() % 7]);
      break;
    }
    out.push_back(base);
    out.push_back(v);
  }
  return out;
}

TEST(FractionMemo, ParseTimeWithAMemoReadsEveryTextAsWithout) {
  struct Case {
    std::string format;
    std::vector<std::string> texts;
  };
  const std::vector<Case> cases = {
      {"%Y-%m-%d %H:%M:%S",
       {"2026-02-23 10:46:36.340", "2026-02-23 10:46:36", "2026-02-23 10:46:36,5",
        "2026-02-23 10:46:36.123456789123", "2026-02-23  10:46:36.3 tail"}},
      {"iso8601",
       {"2026-03-06T20:06:05.259623+01:00", "2026-03-06T20:06:05Z", "2026-03-06T20:06:05.5-0930"}},
      {"%I:%M:%S%p", {"10:23:45.1234PM", "12:00:00.999AM", "11:59:59.5PM"}},
      {"%H:%M:%S", {"23:59:59.999", "00:00:00.001"}}, // no date: the arrival's, never kept
  };
  std::mt19937 rng(5);
  std::uint64_t recalled = 0;
  for (const auto &c : cases) {
    FractionMemo memo;
    for (const auto &base : c.texts)
      for (const auto &text : variants(base, rng))
        for (const TimePoint arrival :
             {from_epoch_seconds(1767225600), from_epoch_seconds(1767312000)}) {
          TimePoint with{}, without{};
          const bool a = parse_time(text, c.format, arrival, with, &memo);
          const bool b = parse_time(text, c.format, arrival, without);
          ASSERT_EQ(a, b) << c.format << " " << text;
          if (a) ASSERT_EQ(with, without) << c.format << " " << text;
        }
    recalled += memo.recalled();
  }
  EXPECT_GT(recalled, 500u); // the memo answered, often
}

TEST(FractionMemo, FindStampWithAMemoReadsEveryLineAsWithout) {
  const std::vector<std::string> lines = {
      "[ 2026-02-23 10:46:36.340 | INFO     | exo.worker.runner:step:88 ] heartbeat ok",
      "[ 10:46:36.3400AM | INFO    ] runner started",
      "[ 06:07:01.5000PM | INFO ] ready",
      "INFO 02-23 18:07:01 [loggers.py:116] Engine 000: Avg prompt throughput",
      "[2026-02-23T18:07:01.250+01:00] x",
      "2026-02-23T18:07:01.250Z",
      "2026-02-23 18:07:01.250",
      "12 x 2026-02-23 18:07:01.250 stamp after a number",
      "7:5 2026-02-23 18:07:01.250",
      "[STEP 9] eval=36ms 2026-02-23 18:07:01.250",
      "eval=36ms model=7ms 12:345",
  };
  std::mt19937 rng(9);
  const TimePoint day = from_epoch_seconds(1771804800); // 2026-02-23
  replay_detail::StampMemo memo;
  for (const auto &base : lines)
    for (const auto &line : variants(base, rng)) {
      const auto with = replay_detail::find_stamp(line, 2026, day, &memo);
      const auto without = replay_detail::find_stamp(line, 2026, day);
      ASSERT_EQ(with.has_value(), without.has_value()) << line;
      if (!with) continue;
      ASSERT_EQ(with->t, without->t) << line;
      ASSERT_EQ(with->dated, without->dated) << line;
    }
  EXPECT_GT(memo.fraction.recalled(), 200u);
}

} // namespace
} // namespace clustertop
