// LineSplitter: turns a byte stream into complete lines, the stream semantics every
// transport shares. A partial line is held until its newline arrives; a line longer than
// max_line is cut at max_line bytes (the rest of it is discarded up to the next newline)
// and counted. A trailing '\r' is removed (PTY output ends lines in CRLF), and so are NUL
// bytes before a line's text (the hole a copytruncate rotation leaves under a writer that
// does not append).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clustertop {

class LineSplitter {
public:
  explicit LineSplitter(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  // Appends complete lines to `out`.
  void feed(std::string_view bytes, std::vector<std::string> &out);
  // At end of stream: a held partial line becomes a line of its own.
  void finish(std::vector<std::string> &out);

  [[nodiscard]] std::uint64_t cut_lines() const { return cut_lines_; }
  [[nodiscard]] std::size_t pending_bytes() const { return partial_.size(); }
  // Inside a line cut at max_line: its first part was passed on, the rest is being dropped.
  [[nodiscard]] bool cutting() const { return discarding_; }

private:
  void emit(std::vector<std::string> &out);

  std::string partial_;
  std::size_t max_line_;
  bool discarding_ = false; // inside the tail of an over-long line
  std::uint64_t cut_lines_ = 0;
};

} // namespace clustertop
