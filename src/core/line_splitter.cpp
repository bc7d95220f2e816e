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
    const auto chunk = bytes.substr(0, nl);
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
