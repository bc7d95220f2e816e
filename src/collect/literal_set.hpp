// Which of a fixed set of literals a line contains, answered for all of them by one pass over
// the line. A log line is offered to every log definition, and their rules name ~30 literals
// between them: looking for each with its own memchr cost more than all the parsing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clustertop {

class LiteralSet {
public:
  static constexpr std::size_t kMax = 64; // literals with a bit; add() returns kMax beyond

  // Until forget_typical(), a literal added is keyed on its pair of adjacent bytes that is
  // least frequent in `lines`, lines like those the set will scan (ties, and without lines:
  // a fixed ranking of bytes). Every pair finds the literal; one rarer in the scanned lines
  // makes fewer of them false candidates ("eval time" keyed on "va" is a candidate in every
  // exo step line, "eval=").
  void learn_typical(const std::vector<std::string_view> &lines);
  void forget_typical() { typical_.reset(); }

  // The literal's number (the same for the same text), or kMax when the set is full and
  // the caller must look for it itself. The empty literal is never added.
  std::size_t add(std::string_view literal);
  // Where literal i's key pair (or its one byte) starts.
  [[nodiscard]] std::size_t anchor(std::size_t i) const { return anchors_[i]; }
  [[nodiscard]] std::size_t size() const { return literals_.size(); }

  // Finds which literals `line` contains; contains() then answers for this line, and
  // scanned() tells a parser whether the answers are about the line it holds. A line that
  // differs from one of the last few scanned only inside its digit runs ("[STEP 8] eval=31ms"
  // after "[STEP 7] eval=29ms") has the same answer, which is reused without a scan: each
  // occurrence of a digit-free literal lies in text outside the digit runs, and that text is
  // the same in both lines. Literals with a digit ("tg_3s") are looked for again; where one's
  // answer differs, the line is scanned and becomes a kind of its own.
  void scan(std::string_view line);
  [[nodiscard]] bool scanned(std::string_view line) const {
    return line.data() == data_ && line.size() == size_;
  }
  [[nodiscard]] bool contains(std::size_t i) const {
    return i < kMax && ((present_ >> i) & 1U) != 0; // kMax: add() gave the literal no bit
  }
  // The scanned line's kind, when not 0: lines scanned with one kind are all of one length
  // and the same but for digits (each is, so, one recent line), and a parser that compared
  // a line of this kind with its own need not compare the next.
  [[nodiscard]] std::uint64_t kind() const { return kind_; }
  // Scans whose answer was reused from a recent line's (for tests).
  [[nodiscard]] std::uint64_t reused() const { return reused_; }
  // Bit i set: the scanned line contains literal i.
  [[nodiscard]] std::uint64_t present() const { return present_; }
  // Where literal i first occurs in the scanned line; only when contains(i). Looked for
  // on the first ask when the answer was reused.
  [[nodiscard]] std::size_t position(std::size_t i) const {
    if (((located_ >> i) & 1U) == 0) locate(i);
    return positions_[i];
  }

private:
  // Adjacent byte pairs hashed to kPairBits bits: small enough for the L1 cache, large
  // enough that the ~80 pairs of a log line rarely collide with the few literals' pairs.
  static constexpr unsigned kPairBits = 11;
  using PairCounts = std::array<std::uint32_t, std::size_t{1} << kPairBits>;
  static std::size_t pair_key(unsigned char first, unsigned char second) {
    return ((std::size_t{first} << 3U) ^ second) & ((std::size_t{1} << kPairBits) - 1);
  }

  [[nodiscard]] std::size_t key_pair(std::string_view literal) const;
  void full_scan(std::string_view line);
  void locate(std::size_t i) const;
  bool reuse_recent(std::string_view line);
  [[nodiscard]] bool same_digit_literals(std::string_view line, std::uint64_t recent_present) const;
  void remember(std::string_view line);

  // The answers for the last few kinds of line scanned, the one that answered last first,
  // each with a line of its kind (the latest whose numbers changed width; see scan()). Lines
  // longer than kMaxRecentLine are neither compared nor kept.
  struct Recent {
    std::string line;
    std::uint64_t present = 0;
    std::uint64_t kind = 0; // new whenever `line` is replaced
  };
  static constexpr std::size_t kRecent = 4;
  static_assert(kRecent == 4, "order_ below lists the slots");
  static constexpr std::size_t kMaxRecentLine = 4096;
  std::array<Recent, kRecent> recent_{};
  std::array<std::uint8_t, kRecent> order_{0, 1, 2, 3}; // recent_ in the order tried
  std::size_t recent_count_ = 0;
  // Literals with a digit, each with its longest digit-free piece's number (kMax: none of
  // two bytes or more, so the literal is always looked for again).
  struct DigitCheck {
    std::size_t literal;
    std::size_t piece;
  };
  std::vector<DigitCheck> digit_checks_;
  std::uint64_t digit_pieces_ = 0; // the pieces' bits
  bool unpieced_ = false;          // a digit literal without a piece
  std::uint64_t reused_ = 0;

  std::unique_ptr<PairCounts> typical_; // per hashed pair, its count in typical lines
  std::vector<std::string> literals_;
  std::vector<std::size_t> anchors_; // where each literal's rarest byte (pair) starts
  // Bit i of by_pair_[k]: literal i's rarest pair of adjacent bytes hashes to k. A literal
  // can only be in a line that has that pair, so one table lookup per byte of the line
  // narrows ~30 literals to a few candidates, which are then looked for one by one.
  std::array<std::uint64_t, std::size_t{1} << kPairBits> by_pair_{};
  std::uint64_t singles_ = 0; // one-byte literals: looked for with memchr
  std::uint64_t present_ = 0;
  std::uint64_t kind_ = 0;
  std::uint64_t next_kind_ = 1;
  mutable std::uint64_t located_ = 0; // bit i: positions_[i] holds literal i's first place
  mutable std::array<std::size_t, kMax> positions_{};
  const char *data_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace clustertop
