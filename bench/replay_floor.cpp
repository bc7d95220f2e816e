// The least work a replay of bench/pipeline_vs_grep.sh's log must do, written for that one
// log and nothing else: read it in 1 MiB chunks, split the lines, read the time of each
// heartbeat ("[ YYYY-MM-DD HH:MM:SS.mmm | ...", no rewind), read every `key=number` of each
// step line into a ring of 3600 points per key, and keep the last 2000 lines. No definitions,
// no records, no detectors, no line kinds: a floor for what `clustertop replay` costs on that
// log, printed beside grep's and clustertop's figures by pipeline_vs_grep.sh.
//
//   build/ci/bench/replay_floor FILE
//
// Prints the lines, step lines and a checksum of every value read (so that nothing is left
// out by the compiler); exits 2 when FILE cannot be read.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "[ YYYY-MM-DD HH:MM:SS.mmm": the time of day in ms (the day is the file's one day).
std::int64_t heartbeat_ms(const char *s) {
  const auto d = [s](int i) { return static_cast<std::int64_t>(s[i] - '0'); };
  const std::int64_t secs =
      (d(13) * 10 + d(14)) * 3600 + (d(16) * 10 + d(17)) * 60 + d(19) * 10 + d(20);
  return secs * 1000 + d(22) * 100 + d(23) * 10 + d(24);
}

struct Totals {
  std::uint64_t lines = 0, steps = 0;
  double checksum = 0;
};

// "[STEP n] key=number[unit] ...": n and every number after a '=', digits with an optional
// point, each into its key's ring (keys in the line's order).
void step_line(const char *p, const char *end, std::int64_t now, std::array<Ring, 16> &rings,
               Totals &totals) {
  std::size_t k = 0;
  while (p < end && k < rings.size()) {
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
    rings[k++].push(now, v);
    totals.checksum += v;
    const void *eq = std::memchr(p, '=', static_cast<std::size_t>(end - p));
    p = eq != nullptr ? static_cast<const char *>(eq) + 1 : end;
  }
  ++totals.steps;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: replay_floor FILE\n");
    return 2;
  }
  std::FILE *f = std::fopen(argv[1], "rb");
  if (f == nullptr) {
    std::perror(argv[1]);
    return 2;
  }
  std::vector<char> buf(1 << 20);
  std::vector<std::string> log(2000);
  std::size_t log_next = 0;
  std::array<Ring, 16> rings;
  Totals totals;
  std::int64_t now = 0;
  std::size_t held = 0; // bytes of an unfinished line kept at the buffer's start
  for (;;) {
    if (held == buf.size()) held = 0; // a line longer than the buffer: dropped
    const std::size_t n = std::fread(buf.data() + held, 1, buf.size() - held, f);
    if (n == 0) break;
    const char *pos = buf.data();
    const char *const end = buf.data() + held + n;
    while (const auto *nl = static_cast<const char *>(
               std::memchr(pos, '\n', static_cast<std::size_t>(end - pos)))) {
      const auto len = static_cast<std::size_t>(nl - pos);
      ++totals.lines;
      if (len > 6 && std::memcmp(pos, "[STEP ", 6) == 0) {
        step_line(pos + 6, nl, now, rings, totals);
      } else if (len > 25 && pos[0] == '[' && pos[1] == ' ' && is_digit(pos[2])) {
        const std::int64_t t = heartbeat_ms(pos);
        if (t > now) now = t;
      }
      log[log_next].assign(pos, len);
      log_next = log_next + 1 == log.size() ? 0 : log_next + 1;
      pos = nl + 1;
    }
    held = static_cast<std::size_t>(end - pos);
    std::memmove(buf.data(), pos, held);
  }
  std::fclose(f);
  std::printf("%llu lines, %llu step lines, checksum %.6g\n",
              static_cast<unsigned long long>(totals.lines),
              static_cast<unsigned long long>(totals.steps), totals.checksum);
  return 0;
}
