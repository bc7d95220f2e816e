// replay_floor's work split over threads by file region, the one split this machine rewards
// (a reader thread that parses and hands numbers to a storing thread is slower than one
// thread: docs/benchmarks.md). Each reader thread claims the next 1 MiB region of the file,
// reads it with pread, splits the lines that start in it, reads each heartbeat's time and each
// step line's numbers into records and copies the lines into the region's text arena; the
// main thread takes the regions in file order, gives lines before a region's first heartbeat
// the time carried from the regions before, pushes the numbers into the rings and copies
// into the log ring only the lines that stay there (the last 2000 of a region: nothing reads
// the ring while a region is stored). Readers run at most kSlots regions ahead. A bound for
// such a design on this log, not a design of its own.
//
//   build/ci/bench/replay_floor_parallel FILE [READERS]   (READERS: 2 unless given)
//
// Prints the same line, step and checksum figures as replay_floor; exits 2 when FILE cannot
// be read.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "replay_floor_parts.hpp"

namespace {

using replay_floor::heartbeat_ms;
using replay_floor::is_digit;
using replay_floor::Ring;

constexpr std::size_t kMaxValues = 8;
constexpr std::size_t kLogLines = 2000;
constexpr std::size_t kRegion = 1 << 20;
constexpr std::size_t kLongestLine = 1 << 16; // read past a region's end for its last line
constexpr std::size_t kSlots = 8;

// One line: its time (-1: before the region's first heartbeat), its numbers and its text.
struct LineRecord {
  std::int64_t time_ms;
  std::uint32_t text_at, text_len;
  std::uint32_t value_at;
  std::uint8_t values;
};

struct Region {
  std::vector<char> bytes;
  std::vector<LineRecord> lines;
  std::vector<double> value;
  std::string text;
  std::int64_t latest = -1; // the latest heartbeat time in it
  std::size_t index = 0;    // which region of the file (slot reuse)
  bool ready = false;
};

void step_numbers(const char *p, const char *end, LineRecord &r, std::vector<double> &out) {
  r.value_at = static_cast<std::uint32_t>(out.size());
  r.values = static_cast<std::uint8_t>(replay_floor::step_numbers(
      p, end, kMaxValues, [&out](std::size_t, double v) { out.push_back(v); }));
}

// Reads and parses the lines that start in region `index` (a line starts at offset 0 or
// right after a '\n').
void parse_region(int fd, std::size_t file_size, std::size_t index, Region &r) {
  r.lines.clear();
  r.value.clear();
  r.text.clear();
  r.latest = -1;
  const std::size_t start = index * kRegion;
  const std::size_t from = start == 0 ? 0 : start - 1; // the byte before: a '\n' or not
  const std::size_t want = std::min(file_size, start + kRegion + kLongestLine) - from;
  r.bytes.resize(want);
  const ssize_t got = ::pread(fd, r.bytes.data(), want, static_cast<off_t>(from));
  if (got <= 0) return;
  const char *const base = r.bytes.data();
  const char *const end = base + got;
  const char *const region_end = base + (start + kRegion - from);
  const char *pos = base;
  if (start != 0) { // skip the line that began before the region
    const auto *nl = static_cast<const char *>(std::memchr(pos, '\n', end - pos));
    if (nl == nullptr) return;
    pos = nl + 1;
  }
  while (pos < region_end) {
    const auto *nl = static_cast<const char *>(std::memchr(pos, '\n', end - pos));
    if (nl == nullptr) break; // an unfinished last line, or one longer than kLongestLine
    const auto len = static_cast<std::size_t>(nl - pos);
    LineRecord &rec = r.lines.emplace_back();
    rec.values = 0;
    if (len > 6 && std::memcmp(pos, "[STEP ", 6) == 0) {
      step_numbers(pos + 6, nl, rec, r.value);
    } else if (len > 25 && pos[0] == '[' && pos[1] == ' ' && is_digit(pos[2])) {
      const std::int64_t t = heartbeat_ms(pos);
      if (t > r.latest) r.latest = t;
    }
    rec.time_ms = r.latest;
    rec.text_at = static_cast<std::uint32_t>(r.text.size());
    rec.text_len = static_cast<std::uint32_t>(len);
    r.text.append(pos, len);
    pos = nl + 1;
  }
}

class Regions {
public:
  Regions(int fd, std::size_t size)
      : fd_(fd), size_(size), count_((size + kRegion - 1) / kRegion) {}
  [[nodiscard]] std::size_t count() const { return count_; }

  void read_loop() {
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= count_) return;
      Region &r = slots_[i % kSlots];
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return i < consumed_ + kSlots; });
      }
      parse_region(fd_, size_, i, r);
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        r.index = i;
        r.ready = true;
      }
      cv_.notify_all();
    }
  }
  Region &take(std::size_t i) {
    Region &r = slots_[i % kSlots];
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return r.ready && r.index == i; });
    return r;
  }
  void done(std::size_t i) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      slots_[i % kSlots].ready = false;
      consumed_ = i + 1;
    }
    cv_.notify_all();
  }

private:
  int fd_;
  std::size_t size_, count_;
  std::atomic<std::size_t> next_{0};
  std::array<Region, kSlots> slots_;
  std::size_t consumed_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: replay_floor_parallel FILE [READERS]\n");
    return 2;
  }
  const int fd = ::open(argv[1], O_RDONLY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::perror(argv[1]);
    return 2;
  }
  const int readers = argc == 3 ? std::max(1, std::atoi(argv[2])) : 2;
  Regions regions(fd, static_cast<std::size_t>(st.st_size));
  std::vector<std::thread> threads;
  for (int i = 0; i < readers; ++i) threads.emplace_back([&regions] { regions.read_loop(); });
  std::vector<std::string> log(kLogLines);
  std::size_t log_next = 0;
  std::array<Ring, kMaxValues> rings;
  std::uint64_t lines = 0, steps = 0;
  double checksum = 0;
  std::int64_t now = 0;
  for (std::size_t i = 0; i < regions.count(); ++i) {
    Region &b = regions.take(i);
    const std::size_t n = b.lines.size();
    for (std::size_t j = 0; j < n; ++j) {
      const LineRecord &r = b.lines[j];
      const std::int64_t t = r.time_ms > now ? r.time_ms : now;
      for (std::size_t k = 0; k < r.values; ++k) {
        const double v = b.value[r.value_at + k];
        rings[k].push(t, v);
        checksum += v;
      }
      steps += r.values > 0 ? 1 : 0;
      if (j + kLogLines >= n) { // stays in the log ring past this region
        log[log_next].assign(b.text, r.text_at, r.text_len);
        log_next = log_next + 1 == log.size() ? 0 : log_next + 1;
      }
    }
    if (b.latest > now) now = b.latest;
    lines += n;
    regions.done(i);
  }
  for (auto &t : threads) t.join();
  ::close(fd);
  std::printf("%llu lines, %llu step lines, checksum %.6g\n",
              static_cast<unsigned long long>(lines), static_cast<unsigned long long>(steps),
              checksum);
  return 0;
}
