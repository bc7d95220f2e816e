// Where a followed log has been read up to, so that a restarted `tail -F` (a reconnect after
// a dropped connection, a tail that died) goes on from the byte after the last whole line
// read instead of from the file's end: the lines written while the node was unreachable (a
// crash during a network outage) are read, each once, and none is read twice or split.
//
// The command starts tail at a byte offset (`tail -c +N`, GNU and BSD alike) that it first
// prints, with the file's inode (`ls -diL`), as a line of its own: RS, inode, offset, and K,
// the bytes before the offset that tail is started early to send first (up to 64: they are
// kept for the check below, not passed on). Lines before it (a login shell's greeting) are
// passed on as they are; every byte after the K moves the position. The first start is at
// the file's end, as `tail -n 0` was.
//
// A restart resumes only in the file it counted in: the same inode, at least as long, the
// same last 64 bytes before the offset (`dd | cksum` on the node: a copytruncate that grew
// back past the offset has other bytes there), and a file tail never left. After tail said
// it switched files (GNU: "has appeared", "has been replaced", "file truncated"; except the
// first appearance of a file that was missing at the start, read from its first byte), or
// when any check fails, the bytes counted are no offset in the file now there, and the
// restart starts at the end again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clustertop/core/line_splitter.hpp"

namespace clustertop {

// POSIX `cksum` of `bytes` (CRC-32, polynomial 0x04C11DB7, the length appended): what the
// node's cksum prints for them, before the length.
std::uint32_t posix_cksum(std::string_view bytes);

class FollowPosition {
public:
  // A restart after an outage that grew the file by more than this starts this far before
  // its end (mid-line: the first line read is cut) instead of reading it all.
  static constexpr std::uint64_t kMaxCatchUp = std::uint64_t{64} << 20U;
  static constexpr char kMarker = '\036';                              // RS: begins the offset line
  static constexpr std::size_t kCheckBytes = 64;                       // compared before resuming
  static constexpr std::uint64_t kMaxOffset = std::uint64_t{1} << 60U; // from here: no position

  // `path` as the node's shell should read it (quoted, or "$HOME"/'rest').
  explicit FollowPosition(std::string path) : path_(std::move(path)) {}

  // The command for the next start: the file's end the first time; after that the byte
  // after the last whole line read when the checks above hold, else the end again.
  [[nodiscard]] std::string command() const;
  // tail said it switched files (tail_switched_file): the count is lost.
  void file_switched();
  // A start of the command: its offset line is looked for.
  void starting();
  // The command's output: the offset line taken out, the rest fed to `splitter`.
  void feed(std::string_view bytes, LineSplitter &splitter, std::vector<std::string> &lines);
  // The stream ended (its channel closed) with `splitter` as it was: a line the splitter cut
  // at its limit and is still discarding is not read again (its cut part was passed on).
  void ended(const LineSplitter &splitter);
  // The offset of the byte after the last whole line read; unset until the first offset
  // line, when none came, and after tail switched files.
  [[nodiscard]] std::optional<std::uint64_t> resume_at() const { return resume_at_; }
  // How many of the lines passed on since the last call were read back: written before this
  // start of the command (a restart resumed at an earlier offset), not as they came. Such
  // lines come first after a start, so they are the first lines of what was passed on.
  std::size_t take_backfilled() { return std::exchange(backfilled_, 0); }

private:
  static constexpr std::size_t kMarkerMax = 86; // RS, four numbers of up to 20 digits, ' ', '\n'
  static constexpr int kMaxGreeting = 16;       // lines looked past for the offset line
  bool take_marker(std::string_view line);
  void count(std::string_view bytes);
  // Counted, then to `splitter` (after the rest of a cut line, which is dropped).
  void pass_on(std::string_view bytes, LineSplitter &splitter, std::vector<std::string> &lines);
  void awaiting(std::string_view &bytes, LineSplitter &splitter, std::vector<std::string> &lines);

  std::string path_;
  std::optional<std::uint64_t> resume_at_;
  std::uint64_t inode_ = 0;         // of the file the position is in (0: not checked)
  std::uint64_t at_ = 0;            // offset of the next byte, while resume_at_ is set
  bool missing_at_start_ = false;   // inode 0 at the start: tail reads the file from its start
  bool skip_to_newline_ = false;    // resumed inside a line cut before: not passed on
  std::string last_;                // the last kCheckBytes bytes received
  std::string check_;               // the last kCheckBytes bytes before resume_at_
  std::uint64_t seed_left_ = 0;     // bytes before the offset still to come after the offset line
  std::uint64_t backfill_left_ = 0; // bytes still to come that were written before this start
  std::size_t backfilled_ = 0;      // lines of them passed on, for take_backfilled
  // Looking for the offset line: the line so far, lines passed, and whether the current
  // line is already too long to be it (passed on as it comes).
  bool awaiting_ = false;
  std::string line_;
  int greeting_lines_ = 0;
  bool in_long_line_ = false;
};

} // namespace clustertop
