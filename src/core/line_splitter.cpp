#include "clustertop/core/line_splitter.hpp"

#include <algorithm>

namespace clustertop {

void LineSplitter::emit(std::vector<std::string> &out) {
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  out.push_back(std::move(partial_));
  partial_.clear();
}

void LineSplitter::feed(std::string_view bytes, std::vector<std::string> &out) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    auto chunk = bytes.substr(0, nl);
    if (partial_.empty() && !discarding_) {
      // NUL bytes before a line's text are no part of it: a log truncated under a writer
      // that does not append (`engine > log` and a copytruncate rotation) gets a hole of
      // NULs up to the writer's old offset before its next line, which was cut at
      // max_line with none of its text left (a crash line lost).
      const auto text = chunk.find_first_not_of('\0');
      chunk.remove_prefix(text == std::string_view::npos ? chunk.size() : text);
    }
    if (discarding_) {
      if (nl == std::string_view::npos) return;
      discarding_ = false;
    } else {
      const auto room = max_line_ - partial_.size();
      partial_.append(chunk.substr(0, std::min(room, chunk.size())));
      if (chunk.size() > room) {
        // Cut: keep what fits, drop the rest of this line.
        ++cut_lines_;
        emit(out);
        discarding_ = nl == std::string_view::npos;
      } else if (nl != std::string_view::npos) {
        emit(out);
      }
    }
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
  }
}

void LineSplitter::finish(std::vector<std::string> &out) {
  if (!partial_.empty()) emit(out);
  discarding_ = false;
}

} // namespace clustertop
