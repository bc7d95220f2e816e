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

#include "replay_floor_parts.hpp"

namespace {

using replay_floor::heartbeat_ms;
using replay_floor::is_digit;
using replay_floor::Ring;

struct Totals {
  std::uint64_t lines = 0, steps = 0;
  double checksum = 0;
};

// A step line's numbers, each into its key's ring (keys in the line's order).
void step_line(const char *p, const char *end, std::int64_t now, std::array<Ring, 16> &rings,
               Totals &totals) {
  replay_floor::step_numbers(p, end, rings.size(), [&](std::size_t k, double v) {
    rings[k].push(now, v);
    totals.checksum += v;
  });
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
