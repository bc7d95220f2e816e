#include "literal_set.hpp"

#include <bit>
#include <cstring>

#include "parsers_internal.hpp"

namespace clustertop {

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
  if (literal.size() == 1) {
    anchors_.push_back(0);
    singles_ |= bit;
    return i;
  }
  const std::size_t at = key_pair(literal);
  anchors_.push_back(at);
  by_pair_[pair_key(static_cast<unsigned char>(literal[at]),
                    static_cast<unsigned char>(literal[at + 1]))] |= bit;
  return i;
}

void LiteralSet::scan(std::string_view line) {
  data_ = line.data();
  size_ = line.size();
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
}

} // namespace clustertop
