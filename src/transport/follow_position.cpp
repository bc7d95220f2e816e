#include "clustertop/transport/follow_position.hpp"

#include <fmt/format.h>

namespace clustertop {

std::string FollowPosition::command() const {
  // `ls -di` gives the inode on GNU and BSD alike; `wc -c` reads the size from stat (BSD pads
  // it with blanks, which $((s)) takes out). A missing file is inode 0, size 0: tail then
  // says why on stderr (FollowWatch). No globbing of ls's words: only the first is used.
  std::string c = "set -f; set -- $(ls -di -- " + path_ + " 2>/dev/null); i=${1:-0}; " +
                  "s=$(wc -c 2>/dev/null <" + path_ + ") || s=0; s=$((s))";
  if (resume_at_)
    c += fmt::format("; if [ \"$i\" = {0} ] && [ \"$s\" -ge {1} ]; then "
                     "if [ $((s - {1})) -gt {2} ]; then s=$((s - {2})); else s={1}; fi; fi",
                     inode_, *resume_at_, kMaxCatchUp);
  c += "; printf '\\036%s %s\\n' \"$i\" \"$s\"; exec tail -c +$((s + 1)) -F -- " + path_;
  return c;
}

void FollowPosition::on_stderr(std::string_view bytes, const StderrTail &tail) {
  if (bytes.empty() || bytes.back() != '\n') return;
  const std::string_view line = tail.reason();
  for (const std::string_view switched : {"has appeared", "has been replaced", "file truncated",
                                          "following new file", "has become accessible"})
    if (line.find(switched) != std::string_view::npos) {
      resume_at_.reset();
      return;
    }
}

void FollowPosition::take_marker() {
  awaiting_marker_ = false;
  // RS, inode digits, one space, offset digits, '\n'.
  std::uint64_t numbers[2] = {0, 0};
  std::size_t which = 0;
  bool digits = false;
  bool ok = marker_.size() >= 5 && marker_.front() == kMarker && marker_.back() == '\n';
  for (std::size_t i = 1; ok && i + 1 < marker_.size(); ++i) {
    const char c = marker_[i];
    if (c == ' ') {
      ok = digits && which == 0;
      which = 1;
      digits = false;
      continue;
    }
    std::uint64_t &v = numbers[which];
    ok = c >= '0' && c <= '9' && v <= (UINT64_MAX - 9) / 10;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  if (ok && which == 1 && digits) {
    inode_ = numbers[0];
    at_ = numbers[1];
    resume_at_ = numbers[1];
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
