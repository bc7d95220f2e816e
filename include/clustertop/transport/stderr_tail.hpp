// What a stream's process last wrote to stderr, and the line of it that says why it stopped.
// Both transports report a dead stream with it.
#pragma once

#include <string>
#include <string_view>

namespace clustertop {

class StderrTail {
public:
  static constexpr std::size_t kKeep = 600;      // bytes kept
  static constexpr std::size_t kReasonMax = 300; // longest line put in a status

  // Keeps the tail, not the last read: a shell may write a message and its newline in two
  // writes, and the newline alone must not erase the message.
  void add(std::string_view bytes) {
    tail_.append(bytes);
    if (tail_.size() > kKeep) tail_.erase(0, tail_.size() - kKeep);
  }
  void clear() { tail_.clear(); }
  // The last non-blank line, cut to kReasonMax; empty when there is none.
  [[nodiscard]] std::string_view reason() const {
    std::string_view text = tail_;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
      text.remove_suffix(1);
    if (const auto nl = text.rfind('\n'); nl != std::string_view::npos) text.remove_prefix(nl + 1);
    return text.substr(0, kReasonMax);
  }

private:
  std::string tail_;
};

} // namespace clustertop
