// What bench/replay_floor.cpp and bench/replay_floor_parallel.cpp both do with the benchmark
// log of bench/pipeline_vs_grep.sh, and nothing more: a ring of 3600 points per key, a
// heartbeat's time by fixed offsets, and a step line's numbers in order.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace replay_floor {

struct Point {
  std::int64_t time_ms;
  double value;
};

class Ring {
public:
  void push(std::int64_t t, double v) {
    points_[next_] = Point{t, v};
    next_ = next_ + 1 == points_.size() ? 0 : next_ + 1;
  }

private:
  std::vector<Point> points_ = std::vector<Point>(3600);
  std::size_t next_ = 0;
};

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "[ YYYY-MM-DD HH:MM:SS.mmm": the time of day in ms (the day is the file's one day).
inline std::int64_t heartbeat_ms(const char *s) {
  const auto d = [s](int i) { return static_cast<std::int64_t>(s[i] - '0'); };
  const std::int64_t secs =
      (d(13) * 10 + d(14)) * 3600 + (d(16) * 10 + d(17)) * 60 + d(19) * 10 + d(20);
  return secs * 1000 + d(22) * 100 + d(23) * 10 + d(24);
}

// "[STEP n] key=number[unit] ..." from after "[STEP ": n and every number after a '=', digits
// with an optional point, at most `max` of them, each given to `take(k, value)`. Returns how
// many.
template <typename Take>
std::size_t step_numbers(const char *p, const char *end, std::size_t max, Take take) {
  std::size_t k = 0;
  while (p < end && k < max) {
    while (p < end && !is_digit(*p)) ++p;
    std::uint64_t mant = 0;
    int decimals = -1;
    for (; p < end && (is_digit(*p) || (*p == '.' && decimals < 0)); ++p) {
      if (*p == '.') {
        decimals = 0;
        continue;
      }
      mant = mant * 10 + static_cast<unsigned>(*p - '0');
      decimals += decimals >= 0 ? 1 : 0;
    }
    static constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    double v = static_cast<double>(mant);
    if (decimals > 0) v /= kPow10[decimals < 8 ? decimals : 8];
    take(k++, v);
    const void *eq = std::memchr(p, '=', static_cast<std::size_t>(end - p));
    p = eq != nullptr ? static_cast<const char *>(eq) + 1 : end;
  }
  return k;
}

} // namespace replay_floor
