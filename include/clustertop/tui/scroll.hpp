// Scrolling a pane whose items keep arriving (the log tail, the alert transitions). A
// scrolled pane is anchored to an item by its number (items are numbered as they arrive:
// RingBuffer::pushed), not by its distance from the newest, so new items do not move it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace clustertop::tui {

// `newest_first`: the numbers of the items the pane can show, newest first (descending);
// `rows`: how many it shows at once; `anchor`: the newest item shown, unset while the pane
// follows the newest. Returns how many newer items are left out: 0 while following, else
// those newer than the anchor, but at most size - rows, so the oldest item stops at the
// pane's far edge and the pane stays full (an anchor that has left the ring lands there).
std::size_t scroll_offset(std::span<const std::uint64_t> newest_first,
                          std::optional<std::uint64_t> anchor, std::size_t rows);

// The anchor that leaves out `offset` newer items (clamped as above); unset at 0, where the
// pane follows the newest again.
std::optional<std::uint64_t> anchor_at(std::span<const std::uint64_t> newest_first, long offset,
                                       std::size_t rows);

} // namespace clustertop::tui
