#include "literal_set.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "clustertop/core/text.hpp"
#include "parsers_internal.hpp"

namespace clustertop {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view longest_digit_free_piece(std::string_view literal) {
  std::string_view best;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= literal.size(); ++i) {
    if (i < literal.size() && !is_digit(literal[i])) continue;
    if (i - start > best.size()) best = literal.substr(start, i - start);
    start = i + 1;
  }
  return best;
}

} // namespace

void LiteralSet::learn_typical(const std::vector<std::string_view> &lines) {
  typical_ = std::make_unique<PairCounts>();
  for (const auto line : lines) {
    const auto *p = reinterpret_cast<const unsigned char *>(line.data());
    for (std::size_t i = 0; i + 1 < line.size(); ++i) ++(*typical_)[pair_key(p[i], p[i + 1])];
  }
}

std::size_t LiteralSet::key_pair(std::string_view literal) const {
  std::size_t best = rare_pair_index(literal);
  if (typical_ == nullptr) return best;
  const auto count = [&](std::size_t i) {
    return (*typical_)[pair_key(static_cast<unsigned char>(literal[i]),
                                static_cast<unsigned char>(literal[i + 1]))];
  };
  for (std::size_t i = 0; i + 1 < literal.size(); ++i)
    if (count(i) < count(best)) best = i; // strictly rarer: ties keep the fixed ranking's
  return best;
}

std::size_t LiteralSet::add(std::string_view literal) {
  if (literal.empty()) return kMax;
  for (std::size_t i = 0; i < literals_.size(); ++i)
    if (literals_[i] == literal) return i;
  if (literals_.size() == kMax) return kMax;
  const std::size_t i = literals_.size();
  const std::uint64_t bit = std::uint64_t{1} << i;
  literals_.emplace_back(literal);
  recent_count_ = 0; // answers given without this literal
  if (literal.size() == 1) {
    anchors_.push_back(0);
    singles_ |= bit;
  } else {
    const std::size_t at = key_pair(literal);
    anchors_.push_back(at);
    by_pair_[pair_key(static_cast<unsigned char>(literal[at]),
                      static_cast<unsigned char>(literal[at + 1]))] |= bit;
  }
  if (literal.find_first_of("0123456789") != std::string_view::npos) {
    // Its longest digit-free piece is a literal of its own: where a recent line lacks the
    // piece, a line like it lacks the whole too, and is not searched for it.
    const std::string_view piece = longest_digit_free_piece(literal);
    const std::size_t piece_at = piece.size() >= 2 ? add(piece) : kMax;
    digit_checks_.push_back({i, piece_at});
    if (piece_at == kMax)
      unpieced_ = true;
    else
      digit_pieces_ |= std::uint64_t{1} << piece_at;
  }
  return i;
}

namespace {

// Whether `a` and `b` are the same text once each run of digits counts as one symbol: equal
// bytes are skipped eight at a time, and where they differ both lines must be in a run of
// digits (one that started before, or one starting here in both), which is skipped in each.
bool same_outside_digits(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::size_t i = 0, j = 0;
  while (true) {
    if constexpr (std::endian::native == std::endian::little) {
      while (i + 8 <= n && j + 8 <= m) {
        std::uint64_t wa = 0, wb = 0;
        std::memcpy(&wa, a.data() + i, 8);
        std::memcpy(&wb, b.data() + j, 8);
        if (wa != wb) {
          const auto same = static_cast<std::size_t>(std::countr_zero(wa ^ wb)) / 8;
          i += same;
          j += same;
          break;
        }
        i += 8;
        j += 8;
      }
    }
    while (i < n && j < m && a[i] == b[j]) {
      ++i;
      ++j;
    }
    if (i == n && j == m) return true;
    const bool in_run = i > 0 && is_digit(a[i - 1]); // then b[j - 1] is the same digit
    const bool da = i < n && is_digit(a[i]), db = j < m && is_digit(b[j]);
    if (!da && !db) return false;             // they differ outside digits
    if (!in_run && !(da && db)) return false; // a run starts in one line only
    while (i < n && is_digit(a[i])) ++i;
    while (j < m && is_digit(b[j])) ++j;
  }
}

} // namespace

void LiteralSet::scan(std::string_view line) {
  data_ = line.data();
  size_ = line.size();
  kind_ = 0;
  const bool recent = line.size() <= kMaxRecentLine;
  if (recent && reuse_recent(line)) return;
  full_scan(line);
  if (recent) remember(line);
}

bool LiteralSet::reuse_recent(std::string_view line) {
  // Lines of one length first (16 bytes a step), then run by run: kinds that take turns
  // (an exo heartbeat between step lines) then cost no failed comparison. Any kind that
  // matches has this line's answer, so the order only changes which is found.
  const auto digit_literals_agree = [&](const Recent &r) {
    // Most lines lack every digit literal's piece ("tg_" on an exo step line): no search.
    return ((r.present & digit_pieces_) == 0 && !unpieced_) || same_digit_literals(line, r.present);
  };
  std::size_t k = 0;
  for (; k < recent_count_; ++k) {
    const Recent &r = recent_[order_[k]];
    if (line.size() == r.line.size() &&
        same_except_digits(line.data(), r.line.data(), line.size()) && digit_literals_agree(r))
      break;
  }
  bool wider = false;
  if (k == recent_count_) {
    for (k = 0; k < recent_count_; ++k) {
      const Recent &r = recent_[order_[k]];
      if (same_outside_digits(line, r.line) && digit_literals_agree(r)) break;
    }
    if (k == recent_count_) return false;
    wider = true;
  }
  if (wider) {
    // A number changed width: this line stands for its kind from now on, so that the next
    // lines, most likely of its length, are compared in 16-byte steps.
    recent_[order_[k]].line.assign(line);
    recent_[order_[k]].kind = next_kind_++;
  }
  present_ = recent_[order_[k]].present;
  kind_ = recent_[order_[k]].kind;
  located_ = 0;
  ++reused_;
  std::swap(order_[0], order_[k]); // tried first next time
  return true;
}

// A literal with a digit in it may span a digit run, so a line the same as a recent one but
// for digits may hold it where the recent line did not, or the other way round: each is
// looked for again, unless the recent line lacks its digit-free piece.
bool LiteralSet::same_digit_literals(std::string_view line, std::uint64_t recent_present) const {
  for (const auto &check : digit_checks_) {
    const bool piece_absent = check.piece != kMax && ((recent_present >> check.piece) & 1U) == 0;
    const bool had = ((recent_present >> check.literal) & 1U) != 0;
    const bool has =
        !piece_absent && find_literal(line, literals_[check.literal], anchors_[check.literal]) !=
                             std::string_view::npos;
    if (had != has) return false;
  }
  return true;
}

// Into the last slot in order (a free one, else the one tried last), then first in order.
void LiteralSet::remember(std::string_view line) {
  if (recent_count_ < kRecent) ++recent_count_;
  Recent &r = recent_[order_[recent_count_ - 1]];
  r.line.assign(line);
  r.present = present_;
  r.kind = kind_ = next_kind_++;
  std::swap(order_[0], order_[recent_count_ - 1]);
}

void LiteralSet::locate(std::size_t i) const {
  positions_[i] = find_literal({data_, size_}, literals_[i], anchors_[i]);
  located_ |= std::uint64_t{1} << i;
}

void LiteralSet::full_scan(std::string_view line) {
  const auto *p = reinterpret_cast<const unsigned char *>(line.data());
  const std::size_t n = line.size();
  // Four independent ORs: the table loads, not one chain of ORs, set the pace.
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  std::size_t i = 0;
  for (; i + 4 < n; i += 4) {
    a |= by_pair_[pair_key(p[i], p[i + 1])];
    b |= by_pair_[pair_key(p[i + 1], p[i + 2])];
    c |= by_pair_[pair_key(p[i + 2], p[i + 3])];
    d |= by_pair_[pair_key(p[i + 3], p[i + 4])];
  }
  for (; i + 1 < n; ++i) a |= by_pair_[pair_key(p[i], p[i + 1])];
  std::uint64_t candidates = a | b | c | d;
  present_ = 0;
  while (candidates != 0) {
    const auto k = static_cast<std::size_t>(std::countr_zero(candidates));
    candidates &= candidates - 1;
    const std::size_t at = find_literal(line, literals_[k], anchors_[k]);
    if (at == std::string_view::npos) continue;
    present_ |= std::uint64_t{1} << k;
    positions_[k] = at;
  }
  for (std::uint64_t s = singles_; s != 0; s &= s - 1) {
    const auto k = static_cast<std::size_t>(std::countr_zero(s));
    const void *at = n != 0 ? std::memchr(p, literals_[k][0], n) : nullptr;
    if (at == nullptr) continue;
    present_ |= std::uint64_t{1} << k;
    positions_[k] = static_cast<std::size_t>(static_cast<const unsigned char *>(at) - p);
  }
  located_ = present_;
}

} // namespace clustertop
