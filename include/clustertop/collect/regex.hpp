// A PCRE2 regex with JIT, named captures and match/depth limits, safe on hostile lines.
// Compiled once at load; match() is const. A caller that matches often passes its own
// MatchBlock so that no match allocates; without one, each call makes a block of its own.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/text.hpp"

namespace clustertop {

class Regex;

// A PCRE2 match data block reused between matches. Owned by one parser (never shared
// between threads); grows to the largest pattern it has served. It also keeps the last
// subject matched through it by a regex that treats digits alike, with the answer, so that
// the next subject that differs from it only in digits (compared, or known by its kind) is
// answered without PCRE2.
class MatchBlock {
public:
  MatchBlock() = default;
  ~MatchBlock();
  MatchBlock(const MatchBlock &) = delete;
  MatchBlock &operator=(const MatchBlock &) = delete;
  // Matches answered from the last subject (for tests).
  [[nodiscard]] std::uint64_t recalled() const { return recalled_; }

private:
  friend class Regex;
  void *data_ = nullptr; // pcre2_match_data*
  std::uint32_t pairs_ = 0;
  // Whose answer for last_subject_ the block holds; last_alive_ tells whether that regex
  // still lives (a regex freed since, and another at its address, must not be answered).
  const Regex *last_regex_ = nullptr;
  std::weak_ptr<const Regex> last_alive_;
  KeptLine last_subject_;
  int last_rc_ = 0; // and its ovector, when a match
  std::uint64_t recalled_ = 0;
};

class Regex : public std::enable_shared_from_this<Regex> {
public:
  static Result<std::shared_ptr<const Regex>> compile(const std::string &pattern);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  // Named captures of the first match, or false (no match, or a limit was hit).
  // Unset groups are left out.
  bool match(std::string_view line,
             std::vector<std::pair<std::string_view, std::string_view>> &captures) const;
  // `kind`: the line's kind in a LiteralSet scan (LiteralSet::kind; 0: none). A block whose
  // last subject had the same kind holds the answer without comparing; a block must be
  // given the kinds of one LiteralSet only.
  bool match(std::string_view line,
             std::vector<std::pair<std::string_view, std::string_view>> &captures,
             MatchBlock &block, std::uint64_t kind = 0) const;
  bool matches(std::string_view line) const;
  // false when the line's first two bytes already rule a match out (see first_known_): the
  // check match() starts with, for a caller deciding whether to try at all.
  [[nodiscard]] bool may_match(std::string_view line) const {
    if (!first_known_) return true;
    if (line.empty()) return false;
    const auto c = static_cast<unsigned char>(line[0]);
    if (!has_byte(first_bytes_, c)) return false;
    const std::uint8_t slot = second_slot_[c];
    return slot == 0 || line.size() < 2 ||
           has_byte(second_bytes_[slot - 1], static_cast<unsigned char>(line[1]));
  }
  // Whether every test the pattern makes on a subject byte treats the ten ASCII digits alike
  // (no digit in it but quantifier counts and group names, no backreference, no escape that
  // could name a digit). Then two subjects of one length that differ only where both hold
  // digits take the same path through the pattern: same answer, same capture offsets.
  [[nodiscard]] bool digits_alike() const { return digits_alike_; }
  [[nodiscard]] const std::string &pattern() const { return pattern_; }
  [[nodiscard]] const std::vector<std::pair<std::string, int>> &names() const { return names_; }

private:
  using ByteSet = std::array<std::uint64_t, 4>; // bit c: byte c
  static bool has_byte(const ByteSet &set, unsigned c) {
    return (set[c / 64] & (std::uint64_t{1} << (c % 64))) != 0;
  }

  Regex() = default;
  std::string pattern_;
  void *code_ = nullptr;    // pcre2_code*
  void *context_ = nullptr; // pcre2_match_context*
  std::uint32_t pairs_ = 1; // ovector pairs a match needs (captures + the whole match)
  bool jit_ = false;        // compiled to machine code: matched with pcre2_jit_match
  bool digits_alike_ = false;
  // An anchored pattern whose possible first bytes are known (from PCRE2's start bitmap or
  // its fixed first code unit): a line starting with any other byte cannot match, and is
  // turned away before PCRE2 is called.
  bool first_known_ = false;
  ByteSet first_bytes_{};
  // For a few possible first bytes (see learn_second_bytes), the bytes that can follow:
  // second_bytes_[second_slot_[first] - 1]; slot 0: not learned, any byte may follow.
  std::array<std::uint8_t, 256> second_slot_{};
  std::vector<ByteSet> second_bytes_;
  void learn_second_bytes();
  std::vector<std::pair<std::string, int>> names_;
};

} // namespace clustertop
