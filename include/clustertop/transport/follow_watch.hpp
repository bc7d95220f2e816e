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
#include "clustertop/transport/transport.hpp"

namespace clustertop {

enum class FollowNews { none, unreadable, readable };

// What one line of tail's stderr says about the file (`none`: nothing about readability,
// e.g. "file truncated" or "reverting to polling").
FollowNews classify_tail_message(std::string_view line);
// Whether it says tail now reads another file, or the same one from its start (GNU: "has
// appeared", "has been replaced", "file truncated"): bytes counted before are no offset in it.
bool tail_switched_file(std::string_view line);
// Whether it says tail now reads a new file under the name (GNU: "has appeared", "has been
// replaced", "following new file"), not the same one from its start.
bool tail_follows_new_file(std::string_view line);

// One followed file's readability, owned by its stream. Each call returns the status to
// report when it changes.
class FollowWatch {
public:
  struct Change {
    NodeState state;
    std::string detail;
  };
  // One whole line of tail's stderr (StreamFollow splits them: glibc's error() writes the
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

// What a stream of either transport keeps to follow its output, in one place for both: the
// followed file's readability (tail's stderr, line by line: glibc's error() writes the
// program name, the text and the newline separately, and a read can end mid-line), its read
// position when it has one, and whether the stream was reported up since it (re)started. A
// stream started again after a failure counts as up after kUpAfterRestart or its first line,
// so one that keeps dying stays down. `report(state, detail)` takes each status to report.
class StreamFollow {
public:
  // The stream's read position, kept by its owner (the node, across connections); may be
  // null (no position).
  void attach(FollowPosition *position) { position_ = position; }
  // The command to start: the position's when there is one.
  [[nodiscard]] std::string command(const std::string &spec_command) const {
    return position_ != nullptr ? position_->command() : spec_command;
  }
  // A (re)start of the command, before any of its output.
  void starting() {
    watch_ = FollowWatch{};
    stderr_ = LineSplitter(kMaxStderrLine);
    if (position_ != nullptr) position_->starting();
  }
  // The command runs. A first start is up at once, unless tail already said it cannot read
  // the file (its stderr can arrive before the exec's reply); a restart is up later.
  template <typename Report> void started(bool restarted, Report &&report) {
    up_reported_ = !restarted && !watch_.unreadable();
    if (up_reported_) report(NodeState::up, "running");
  }
  // Stderr of a stream that follows a file (StreamSpec::follows_file). Where tail says it
  // follows a new file (a rename rotation), the old file's unfinished last line ends there,
  // into `lines`: it was glued to the new file's first line. (A truncated file is the same
  // file: its writer may yet finish the line.)
  template <typename Report>
  void stderr_bytes(std::string_view bytes, Report &&report, LineSplitter &splitter,
                    std::vector<std::string> &lines) {
    lines_.clear();
    stderr_.feed(bytes, lines_);
    for (const auto &line : lines_) {
      if (auto change = watch_.on_line(line)) up_now(*change, report);
      if (tail_switched_file(line) && position_ != nullptr) position_->file_switched();
      if (tail_follows_new_file(line)) splitter.finish(lines);
    }
  }
  // Stdout: through the position (its offset line taken out) or straight to `splitter`.
  void stdout_bytes(std::string_view bytes, LineSplitter &splitter,
                    std::vector<std::string> &lines) {
    if (position_ != nullptr)
      position_->feed(bytes, splitter, lines);
    else
      splitter.feed(bytes, lines);
  }
  // FollowPosition::take_backfilled (0 without a position).
  std::size_t take_backfilled() { return position_ != nullptr ? position_->take_backfilled() : 0; }
  // Lines came from the command.
  template <typename Report> void lines_came(Report &&report) {
    if (auto change = watch_.on_lines())
      up_now(*change, report);
    else if (!up_reported_)
      up_now(FollowWatch::Change{NodeState::up, "running"}, report);
  }
  // The command has run this long since its start, silently.
  template <typename Report> void running_for(Duration d, Report &&report) {
    if (!up_reported_ && d >= kUpAfterRestart && !watch_.unreadable())
      up_now(FollowWatch::Change{NodeState::up, "running"}, report);
  }
  // The command's output ended: its partial last line is passed on, unless the position
  // reads it again whole at the restart.
  void ended(LineSplitter &splitter, std::vector<std::string> &lines) {
    if (position_ != nullptr) {
      position_->ended(splitter);
      if (position_->resume_at()) return;
    }
    splitter.finish(lines);
  }

private:
  static constexpr std::size_t kMaxStderrLine = 4096;
  template <typename Report> void up_now(FollowWatch::Change change, Report &report) {
    if (change.state == NodeState::up) up_reported_ = true;
    report(change.state, std::move(change.detail));
  }

  FollowWatch watch_;
  LineSplitter stderr_{kMaxStderrLine};
  std::vector<std::string> lines_;
  FollowPosition *position_ = nullptr;
  bool up_reported_ = true;
};

} // namespace clustertop
