// Whether a followed log file can be read, from what `tail -F` says about it. Without this a
// mistyped or unreadable log path looked exactly like a quiet log: tail keeps running and
// waits for the file, and its complaint sat unread in the stream's stderr.
// GNU tail names each change on stderr ("tail: cannot open 'x' for reading: No such file or
// directory", "tail: 'x' has appeared;  following new file"); BSD tail (macOS) says only the
// failure and follows the file silently once it is there, so a line read says "readable" too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "clustertop/core/line_splitter.hpp"
#include "clustertop/core/model.hpp"
#include "clustertop/transport/follow_position.hpp"

namespace clustertop {

enum class FollowNews { none, unreadable, readable };

// What one line of tail's stderr says about the file (`none`: nothing about readability,
// e.g. "file truncated" or "reverting to polling").
FollowNews classify_tail_message(std::string_view line);

// One followed file's readability, owned by its stream. Each call returns the status to
// report when it changes.
class FollowWatch {
public:
  struct Change {
    NodeState state;
    std::string detail;
  };
  // One whole line of tail's stderr (FollowStderr splits them: glibc's error() writes the
  // program name, the text and the newline separately, and one read can end mid-line).
  std::optional<Change> on_line(std::string_view line);
  // Lines arrived from the file.
  std::optional<Change> on_lines() {
    if (!unreadable_) return std::nullopt;
    unreadable_ = false;
    return Change{NodeState::up, "following the file"};
  }
  [[nodiscard]] bool unreadable() const { return unreadable_; }
  void reset() {
    unreadable_ = false;
    last_.clear();
  }

private:
  bool unreadable_ = false;
  std::string last_; // the message last reported
};

// Tail's stderr of a followed log, split into lines for the stream's FollowWatch and, when it
// has one, its FollowPosition. Each transport's stream owns one; `report` gets each change of
// readability.
class FollowStderr {
public:
  template <typename Report>
  void feed(std::string_view bytes, FollowWatch &watch, FollowPosition *position, Report &&report) {
    lines_.clear();
    splitter_.feed(bytes, lines_);
    for (const auto &line : lines_) {
      if (auto change = watch.on_line(line)) report(*change);
      if (position != nullptr) position->on_stderr_line(line);
    }
  }
  void reset() { splitter_ = LineSplitter(kMaxLine); }

private:
  static constexpr std::size_t kMaxLine = 4096;
  LineSplitter splitter_{kMaxLine};
  std::vector<std::string> lines_;
};

} // namespace clustertop
