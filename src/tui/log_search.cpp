#include "clustertop/tui/log_search.hpp"

#include <algorithm>

#include "clustertop/tui/canvas.hpp"

namespace clustertop::tui {
namespace {

template <typename Char> Char fold(Char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<Char>(c + ('a' - 'A')) : c;
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

} // namespace

std::u32string searchable_text(std::string_view line) { return sanitize_utf8(line, kUnshown); }

LogSearch::LogSearch(std::string_view needle) : needle_(searchable_text(needle)) {
  ascii_ = std::all_of(needle_.begin(), needle_.end(), [](char32_t c) { return c < 0x7F; });
  if (ascii_)
    for (char32_t c : needle_) ascii_needle_.push_back(static_cast<char>(c));
}

bool LogSearch::matches_at(std::u32string_view shown, std::size_t at) const {
  for (std::size_t k = 0; k < needle_.size(); ++k)
    if (shown[at + k] == kUnshown || fold(shown[at + k]) != fold(needle_[k])) return false;
  return true;
}

std::vector<std::size_t> LogSearch::find_all(std::u32string_view shown) const {
  std::vector<std::size_t> out;
  if (needle_.empty()) return out;
  for (std::size_t i = 0; i + needle_.size() <= shown.size(); ++i)
    if (matches_at(shown, i)) out.push_back(i);
  return out;
}

bool LogSearch::matches(std::string_view line) const {
  if (needle_.empty()) return true;
  if (printable_ascii(line)) { // shown as it is: one byte a cell, nothing replaced
    if (!ascii_) return false;
    return std::search(line.begin(), line.end(), ascii_needle_.begin(), ascii_needle_.end(),
                       [](char a, char b) { return fold(a) == fold(b); }) != line.end();
  }
  const auto shown = searchable_text(line);
  for (std::size_t i = 0; i + needle_.size() <= shown.size(); ++i)
    if (matches_at(shown, i)) return true;
  return false;
}

} // namespace clustertop::tui
