// The log search: one matcher for the highlight and the filter, over the text the log pane
// shows, so that the lines the filter keeps are the lines with a highlight.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace clustertop::tui {

// Stands, in searchable text, for a character the pane shows as '?' because it cannot show
// it (a control byte, invalid UTF-8, an emoji): no text holds it (it is past U+10FFFF),
// so it matches nothing, not even a typed '?'.
inline constexpr char32_t kUnshown = 0x110000;

// A line as the pane shows it, one element a cell (sanitize_utf8: a tab is a space, marks
// are left out, a CJK glyph is itself and a kWideTail), with kUnshown where the pane shows a
// '?' for something else.
std::u32string searchable_text(std::string_view line);

// Matches the needle in searchable text, ignoring ASCII case. The needle is read as the pane
// would show it: a typed mark is left out, as it is from the lines.
class LogSearch {
public:
  explicit LogSearch(std::string_view needle);
  [[nodiscard]] bool empty() const { return needle_.empty(); }
  [[nodiscard]] std::size_t cells() const { return needle_.size(); } // a match's length
  // Where each match starts in `shown` (searchable_text), in cells.
  [[nodiscard]] std::vector<std::size_t> find_all(std::u32string_view shown) const;
  // Whether the line, as shown, holds a match (the filter).
  [[nodiscard]] bool matches(std::string_view line) const;

private:
  [[nodiscard]] bool matches_at(std::u32string_view shown, std::size_t at) const;
  std::u32string needle_;
  std::string ascii_needle_; // the needle, when it is all printable ASCII: lines that are too
                             // are searched as they are, without decoding (most log lines)
  bool ascii_ = false;
};

} // namespace clustertop::tui
