#include "clustertop/transport/follow_position.hpp"

#include <fmt/format.h>

namespace clustertop {

std::string FollowPosition::command() const {
  // `wc -c` reads the size from stat (GNU and BSD); BSD pads it with blanks, which $((s))
  // takes out. A missing file is size 0: tail then says why on stderr (FollowWatch).
  std::string c = "s=$(wc -c 2>/dev/null <" + path_ + ") || s=0; s=$((s))";
  if (resume_at_)
    c += fmt::format("; if [ \"$s\" -lt {0} ]; then s=0; elif [ $((s - {0})) -gt {1} ]; then "
                     "s=$((s - {1})); else s={0}; fi",
                     *resume_at_, kMaxCatchUp);
  c += "; printf '\\036%s\\n' \"$s\"; exec tail -c +$((s + 1)) -F -- " + path_;
  return c;
}

void FollowPosition::take_marker() {
  awaiting_marker_ = false;
  std::uint64_t v = 0;
  bool ok = marker_.size() >= 3 && marker_.front() == kMarker && marker_.back() == '\n';
  for (std::size_t i = 1; ok && i + 1 < marker_.size(); ++i) {
    const char c = marker_[i];
    ok = c >= '0' && c <= '9' && v <= (UINT64_MAX - 9) / 10;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (ok) {
    at_ = v;
    resume_at_ = v;
  } else {
    resume_at_.reset(); // not our line: where the output starts is unknown
  }
}

void FollowPosition::feed(std::string_view bytes, LineSplitter &splitter,
                          std::vector<std::string> &lines) {
  if (awaiting_marker_) {
    const auto nl = bytes.find('\n');
    const std::size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
    if (marker_.size() + take > kMarkerMax) {
      // No offset line: all of it is the log's.
      awaiting_marker_ = false;
      resume_at_.reset();
      splitter.feed(marker_, lines);
      marker_.clear();
    } else {
      marker_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (nl == std::string_view::npos) return;
      take_marker();
      if (!resume_at_) splitter.feed(marker_, lines);
      marker_.clear();
    }
  }
  if (bytes.empty()) return;
  if (resume_at_) {
    at_ += bytes.size();
    if (const auto nl = bytes.rfind('\n'); nl != std::string_view::npos)
      resume_at_ = at_ - (bytes.size() - nl - 1);
  }
  splitter.feed(bytes, lines);
}

} // namespace clustertop
