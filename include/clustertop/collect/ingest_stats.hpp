// Per-stream line counts kept by Ingest, so skipped lines are visible per stream.
#pragma once

#include <cstdint>
#include <string>

namespace clustertop {

struct StreamCount {
  std::string node;
  std::string stream;
  std::uint64_t parsed = 0;  // lines a parser used (log lines: every line)
  std::uint64_t skipped = 0; // lines no parser could use
  bool known = true;         // false: no definition matches the stream's name
};

} // namespace clustertop
