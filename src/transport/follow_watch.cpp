#include "clustertop/transport/follow_watch.hpp"

#include <array>

namespace clustertop {

FollowNews classify_tail_message(std::string_view line) {
  // GNU coreutils tail.c and BSD tail's messages; errno texts for the BSD form
  // ("tail: /x: No such file or directory").
  static constexpr std::array<std::string_view, 4> kReadable = {
      "has appeared", "has become accessible", "following new file", "following end of new file"};
  static constexpr std::array<std::string_view, 9> kUnreadable = {
      "cannot open",       "has become inaccessible", "No such file or directory",
      "Permission denied", "giving up on this name",  "cannot follow end of",
      "error reading",     "Is a directory",          "Not a directory"};
  for (auto s : kReadable)
    if (line.find(s) != std::string_view::npos) return FollowNews::readable;
  for (auto s : kUnreadable)
    if (line.find(s) != std::string_view::npos) return FollowNews::unreadable;
  return FollowNews::none;
}

bool tail_switched_file(std::string_view line) {
  static constexpr std::array<std::string_view, 5> kSwitched = {
      "has appeared", "has been replaced", "file truncated", "following new file",
      "has become accessible"};
  for (auto s : kSwitched)
    if (line.find(s) != std::string_view::npos) return true;
  return false;
}

bool tail_follows_new_file(std::string_view line) {
  static constexpr std::array<std::string_view, 3> kNewFile = {"has appeared", "has been replaced",
                                                               "following new file"};
  for (auto s : kNewFile)
    if (line.find(s) != std::string_view::npos) return true;
  return false;
}

std::optional<FollowWatch::Change> FollowWatch::on_line(std::string_view line) {
  switch (classify_tail_message(line)) {
  case FollowNews::unreadable:
    // Said again on every change of the error ("has become inaccessible" after "cannot
    // open"): reported again only when the words change.
    if (unreadable_ && line == last_) return std::nullopt;
    unreadable_ = true;
    last_ = line;
    return Change{NodeState::down, std::string(line)};
  case FollowNews::readable:
    if (!unreadable_) return std::nullopt;
    unreadable_ = false;
    return Change{NodeState::up, std::string(line)};
  case FollowNews::none: break;
  }
  return std::nullopt;
}

} // namespace clustertop
