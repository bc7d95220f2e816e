// Where a followed log has been read up to, so that a restarted `tail -F` (a reconnect after
// a dropped connection, a tail that died) goes on from the byte after the last whole line
// read instead of from the file's end: the lines written while the node was unreachable (a
// crash during a network outage) are read, each once, and none is read twice.
// The command starts tail at a byte offset (`tail -c +N`, GNU and BSD alike) that it first
// prints, with the file's inode (`ls -di`), as its output's first line: RS, inode, space,
// offset. Every byte after that line moves the position. The first start is at the file's
// end, as `tail -n 0` was. A restart resumes only in the same file (same inode, at least as
// long) that tail never left: after tail said it switched files (GNU: "has appeared",
// "has been replaced", "file truncated") or when the inode differs, the bytes counted are
// not an offset in the file now there, and the restart starts at the end again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clustertop/core/line_splitter.hpp"
#include "clustertop/transport/stderr_tail.hpp"

namespace clustertop {

class FollowPosition {
public:
  // A restart after an outage that grew the file by more than this starts this far before
  // its end (mid-line: the first line read is cut) instead of reading it all.
  static constexpr std::uint64_t kMaxCatchUp = std::uint64_t{64} << 20U;
  static constexpr char kMarker = '\036'; // RS: begins the offset line

  // `path` as the node's shell should read it (quoted, or "$HOME"/'rest').
  explicit FollowPosition(std::string path) : path_(std::move(path)) {}

  // The command for the next start: the file's end the first time; after that the byte
  // after the last whole line read, when the file is the same one and at least that long;
  // else the end again.
  [[nodiscard]] std::string command() const;
  // Tail's stderr (added to `tail`): a whole line saying it switched files loses the track.
  void on_stderr(std::string_view bytes, const StderrTail &tail);
  // A start of the command: its first line is the offset.
  void starting() {
    awaiting_marker_ = true;
    marker_.clear();
  }
  // The command's output: the offset line taken out, the rest fed to `splitter`.
  void feed(std::string_view bytes, LineSplitter &splitter, std::vector<std::string> &lines);
  // The offset of the byte after the last whole line read; unset until the first offset
  // line, after output that did not begin with one, and after tail switched files.
  [[nodiscard]] std::optional<std::uint64_t> resume_at() const { return resume_at_; }

private:
  static constexpr std::size_t kMarkerMax = 44; // RS, two numbers of up to 20 digits, ' ', '\n'
  void take_marker();

  std::string path_;
  std::optional<std::uint64_t> resume_at_;
  std::uint64_t inode_ = 0; // of the file the position is in (0: none there)
  std::uint64_t at_ = 0;    // offset of the next byte, while resume_at_ is set
  bool awaiting_marker_ = false;
  std::string marker_; // the offset line so far
};

} // namespace clustertop
