// libFuzzer target: the read position of a followed log (FollowPosition: tail's offset line,
// the bytes before the offset, the count of bytes read) over runs of a restarted tail on
// arbitrary output. Runs are split at 0xFF bytes; a run opening with 0xFE has tail switch
// files first. The first 8 bytes choose the sizes of the pieces each run's output arrives
// in: the lines passed on, the position and the next command must be those of the output
// arriving whole.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/transport/follow_position.hpp"

namespace {

// Everything the runs made: lines, each run's position and the command after it.
template <class Piece> std::vector<std::string> follow(std::string_view out, Piece piece) {
  clustertop::FollowPosition pos("'/var/log/x.log'");
  std::vector<std::string> seen{pos.command()};
  while (!out.empty()) {
    const auto end = out.find('\xff');
    std::string_view run = out.substr(0, end);
    out.remove_prefix(end == std::string_view::npos ? out.size() : end + 1);
    if (!run.empty() && run.front() == '\xfe') {
      pos.file_switched();
      run.remove_prefix(1);
    }
    clustertop::LineSplitter splitter(48); // short, so lines are cut too
    pos.starting();
    while (!run.empty()) {
      const std::size_t n = std::min(piece(), run.size());
      pos.feed(run.substr(0, n), splitter, seen);
      run.remove_prefix(n);
    }
    pos.ended(splitter);
    if (!pos.resume_at()) splitter.finish(seen);
    seen.push_back(pos.resume_at() ? "at " + std::to_string(*pos.resume_at()) : "at none");
    seen.push_back(pos.command());
  }
  return seen;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 8) return 0;
  const std::string_view out(reinterpret_cast<const char *>(data) + 8, size - 8);
  std::size_t next = 0;
  if (follow(out, [&] { return std::size_t{data[next++ % 8]} % 80 + 1; }) !=
      follow(out, [] { return SIZE_MAX; }))
    __builtin_trap();
  return 0;
}
