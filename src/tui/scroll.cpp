#include "clustertop/tui/scroll.hpp"

#include <algorithm>

namespace clustertop::tui {
namespace {

std::size_t max_offset(std::size_t items, std::size_t rows) {
  return items > rows ? items - rows : 0;
}

} // namespace

std::size_t scroll_offset(std::span<const std::uint64_t> newest_first,
                          std::optional<std::uint64_t> anchor, std::size_t rows) {
  if (!anchor) return 0;
  const auto newer = std::partition_point(newest_first.begin(), newest_first.end(),
                                          [&](std::uint64_t n) { return n > *anchor; });
  return std::min(static_cast<std::size_t>(newer - newest_first.begin()),
                  max_offset(newest_first.size(), rows));
}

std::optional<std::uint64_t> anchor_at(std::span<const std::uint64_t> newest_first, long offset,
                                       std::size_t rows) {
  const auto most = static_cast<long>(max_offset(newest_first.size(), rows));
  const long at = std::clamp(offset, 0L, most);
  if (at == 0) return std::nullopt;
  return newest_first[static_cast<std::size_t>(at)];
}

} // namespace clustertop::tui
