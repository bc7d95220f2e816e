// The `kv` kind: every `key=number[unit]` pair of a line, found by a hand-written scan
// (a literal prefilter first, no regex), so step lines parse at millions per second.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "clustertop/collect/units.hpp"
#include "clustertop/core/text.hpp"
#include "literal_set.hpp"
#include "parsers_internal.hpp"

namespace clustertop {
namespace {

// Character classes of the pair scan: key characters and the ends of units.
constexpr std::uint8_t kKey = 1, kEq = 2, kUnitEnd = 4;
constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = kKey;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = kKey;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = kKey;
  t['_'] = t['.'] = kKey;
  t['='] = kEq;
  t[' '] = t[','] = t[';'] = t[')'] = t['\t'] = kUnitEnd;
  return t;
}
constexpr auto kClass = make_classes();

std::uint8_t class_of(char c) { return kClass[static_cast<unsigned char>(c)]; }

// The first `c` in [p, end), or end. Eight bytes a step with the bit trick that finds a zero
// byte in a word (applied to the word XOR c in every byte): a step line's few '=' are 10 to
// 20 bytes apart, and a memchr call for each cost more than the search itself.
const char *find_byte(const char *p, const char *end, char c) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    const std::uint64_t pattern = kOnes * static_cast<unsigned char>(c);
    while (end - p >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, sizeof w);
      w ^= pattern;
      // The lowest flagged byte is the first match; flags above it may be false (borrows).
      const std::uint64_t hit = (w - kOnes) & ~w & kHighs;
      if (hit != 0) return p + std::countr_zero(hit) / 8;
      p += 8;
    }
  }
  while (p < end && *p != c) ++p;
  return p;
}

std::string_view suffix_for(UnitClass c) {
  switch (c) {
  case UnitClass::time: return "_ms";
  case UnitClass::bytes: return "_bytes";
  case UnitClass::percent: return "_pct";
  case UnitClass::rate: return "_tokens_per_s";
  case UnitClass::none: break;
  }
  return {};
}

class KvParser final : public LineParser {
public:
  explicit KvParser(const CollectorDef &def) : spec_(def.parse.kv) {}

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    (void)received_at;
    std::size_t at = std::string_view::npos;
    if (shared_ != nullptr && bit_ != LiteralSet::kMax && shared_->scanned(line)) {
      if (!shared_->contains(bit_)) return false;
      at = shared_->position(bit_);
    } else if (!spec_.prefilter.empty()) {
      at = line.find(spec_.prefilter);
      if (at == std::string_view::npos) return false;
    }
    Record &rec = out.next();
    std::size_t n = 0;
    {
      MetricWriter w(rec);
      // The index marker is usually the prefilter itself: reuse its position.
      add_index(line, spec_.index_after == spec_.prefilter ? at : line.find(spec_.index_after), w);
      scan_pairs(line, w);
      n = w.count();
    }
    if (n == 0) out.drop_last();
    return n > 0;
  }

  std::uint64_t share_literals(LiteralSet &set) override {
    shared_ = &set;
    bit_ = set.add(spec_.prefilter);
    return bit_ == LiteralSet::kMax ? ~std::uint64_t{0} : std::uint64_t{1} << bit_;
  }

private:
  void add_index(std::string_view line, std::size_t p, MetricWriter &w) const {
    if (spec_.index_after.empty() || p == std::string_view::npos) return;
    const auto text = line.substr(p + spec_.index_after.size());
    double v = 0;
    std::size_t used = 0;
    std::string_view rest;
    if (!parse_plain_decimal(text, v, used) && !parse_leading_number(text, v, rest)) return;
    Metric &m = w.add();
    m.name.assign(spec_.index_metric);
    m.device.clear();
    m.value = v;
  }

  // One forward pass: memchr jumps from '=' to '=' (a step line has a handful among ~70
  // bytes), and a key is the run of key characters just before one, not reaching back past
  // the end of the previous pair's unit.
  void scan_pairs(std::string_view line, MetricWriter &w) {
    const char *data = line.data();
    const std::size_t end = line.size();
    std::size_t from = 0; // where the next '=' is looked for; no key starts before it
    hint_ = 0;
    while (from < end) {
      const char *eq = find_byte(data + from, data + end, '=');
      if (eq == data + end) return;
      const auto pos = static_cast<std::size_t>(eq - data);
      std::size_t key_start = pos;
      while (key_start > from && class_of(data[key_start - 1]) == kKey) --key_start;
      from = pos + 1;
      if (key_start == pos) continue; // no key
      const auto key = line.substr(key_start, pos - key_start);
      const auto text = line.substr(pos + 1);
      double v = 0;
      std::size_t used = 0;
      std::string_view rest;
      if (parse_plain_decimal(text, v, used))
        rest = text.substr(used);
      else if (!parse_leading_number(text, v, rest))
        continue;
      std::size_t u = 0;
      while (u < rest.size() && class_of(rest[u]) != kUnitEnd) ++u;
      from = end - rest.size() + u + 1; // past the unit's end (or the line's)
      add_pair(key, v, rest.substr(0, u), w);
    }
  }

  void add_pair(std::string_view key, double v, std::string_view unit, MetricWriter &w) {
    double factor = 1.0;
    const bool ms = unit.size() == 2 && unit[0] == 'm' && unit[1] == 's'; // most step keys
    const auto cls = ms ? UnitClass::time : unit_class(unit, factor, false);
    const std::string *name = name_for(key, cls);
    if (name == nullptr) return;
    Metric &m = w.add();
    m.device.clear();
    m.value = v * factor;
    if (!same_text(m.name, *name)) m.name.assign(*name); // a reused slot usually holds it already
  }

  // Metric names by (key, unit class), built once: step lines repeat the same few keys.
  // nullptr: an ignored key. The cache is bounded so hostile lines cannot grow it.
  const std::string *name_for(std::string_view key, UnitClass cls) {
    // Lines of one stream print their keys in the same order: try the next entry first.
    if (hint_ < cache_.size()) {
      const auto &e = cache_[hint_];
      if (e.cls == cls && same_text(e.key, key)) {
        ++hint_;
        return e.ignored ? nullptr : &e.name;
      }
    }
    for (std::size_t i = 0; i < cache_.size(); ++i) {
      const auto &e = cache_[i];
      if (e.cls == cls && same_text(e.key, key)) {
        hint_ = i + 1;
        return e.ignored ? nullptr : &e.name;
      }
    }
    Entry e{std::string(key), cls, {}, false};
    for (const auto &ig : spec_.ignore)
      if (ig == key) e.ignored = true;
    const auto r = spec_.rename.find(e.key);
    if (r != spec_.rename.end())
      e.name = r->second;
    else
      e.name.assign(spec_.prefix).append(key).append(suffix_for(cls));
    Entry *slot = &scratch_;
    if (cache_.size() < 64) slot = &cache_.emplace_back();
    hint_ = cache_.size();
    *slot = std::move(e);
    return slot->ignored ? nullptr : &slot->name;
  }

  struct Entry {
    std::string key;
    UnitClass cls;
    std::string name;
    bool ignored;
  };
  std::vector<Entry> cache_;
  Entry scratch_{};
  std::size_t hint_ = 0; // cache_ index expected for the next key of this line
  const KvSpec &spec_;
  const LiteralSet *shared_ = nullptr;
  std::size_t bit_ = LiteralSet::kMax; // the prefilter in shared_
};

} // namespace

std::unique_ptr<LineParser> make_kv_parser(const CollectorDef &def) {
  return std::make_unique<KvParser>(def);
}

} // namespace clustertop
