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

#include "clustertop/core/model.hpp"
#include "clustertop/transport/stderr_tail.hpp"

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
  // Stderr bytes arrived and were added to `tail`. A message is judged once its line is whole
  // (glibc's error() writes the program name, the text and the newline separately).
  std::optional<Change> on_stderr(std::string_view bytes, const StderrTail &tail);
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

} // namespace clustertop
