// The `kv` kind: every `key=number[unit]` pair of a line, found by a hand-written scan
// (a literal prefilter first, no regex), so step lines parse at millions per second.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
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
  case UnitClass::power: return "_w";
  case UnitClass::temperature: return "_c";
  case UnitClass::frequency: return "_mhz";
  case UnitClass::none: break;
  }
  return {};
}

// A node-wide metric into the record's next slot. A reused slot usually holds the name
// already: comparing it is cheaper than copying it again.
[[gnu::always_inline]] inline void put_metric(MetricWriter &w, const std::string &name,
                                              double value) {
  Metric &m = w.add();
  m.device.clear();
  m.value = value;
  if (!same_text(m.name, name)) m.name.assign(name);
}

// A number at the start of `text` (the plain-decimal fast path, else the general parser) and
// how many characters it took. The full scan and KvShape read every number through this, so
// both find the same value ending at the same place. Always inline: GCC otherwise makes it (or
// MetricWriter::add) a call, and a step line read by shape gets 15 % slower.
[[gnu::always_inline]] inline bool read_number(std::string_view text, double &v,
                                               std::size_t &used) {
  if (parse_plain_decimal(text, v, used)) return true;
  std::string_view rest;
  if (!parse_leading_number(text, v, rest)) return false;
  used = text.size() - rest.size();
  return true;
}

// read_number without a minus sign: a line read by shape leaves a negative number to the full
// scan, which decides (a negative duration is no value there). Looked at only when the
// plain-decimal fast path failed (it takes no sign): a check before it cost 7 ns a line.
[[gnu::always_inline]] inline bool read_unsigned_number(std::string_view text, double &v,
                                                        std::size_t &used) {
  if (parse_plain_decimal(text, v, used)) return true;
  if (!text.empty() && text.front() == '-') return false;
  std::string_view rest;
  if (!parse_leading_number(text, v, rest)) return false;
  used = text.size() - rest.size();
  return true;
}

// A step line's text with its numbers cut out. Step lines of one stream differ only in their
// numbers, so a line whose text between numbers is the previous line's is read by comparing
// that text and parsing the numbers, keys, units and metric names being known already. It
// gives exactly what the full scan gives: the numbers are read by the same parser from the
// same places, and a shape is only kept where every key, unit and the prefilter lie in the
// compared text, never in a number (see KvParser::keep_shape).
class KvShape {
public:
  static constexpr std::size_t kMaxValues = 32;
  static constexpr std::size_t kMaxLine = 1024;
  struct Value {
    bool kept = true; // false: a number read but not kept (an ignored key)
    std::string name;
    double factor = 1.0;
  };
  using Numbers = std::array<double, kMaxValues>;
  // Where each number of a line read by shape began and how many characters it took.
  struct Span {
    std::uint32_t start = 0, used = 0;
  };
  using Spans = std::array<Span, kMaxValues>;

  [[nodiscard]] bool empty() const { return values_.empty(); }
  // The metrics a line of this shape gives (the values kept).
  [[nodiscard]] std::size_t kept() const { return kept_; }
  void clear() {
    chunks_.clear();
    values_.clear();
    kept_ = 0;
    digit_free_ = true;
    prefilter_chunk_ = std::string::npos;
    at_start_ = false;
  }
  // No chunk holds a digit: a line that is a line of this shape but for digits (the same
  // length, digits where it had digits) has its numbers where that line had them.
  [[nodiscard]] bool digit_free() const { return digit_free_; }
  [[nodiscard]] const std::vector<Value> &values() const { return values_; }

  // The numbers of `line` when it has this shape and its prefilter first occurs where it did.
  bool read(std::string_view line, std::size_t prefilter_at, Numbers &out, Spans &spans) const {
    std::size_t pos = 0;
    for (std::size_t k = 0; k < values_.size(); ++k) {
      if (!at_chunk(line, pos, k, prefilter_at)) return false;
      std::size_t used = 0;
      if (!read_unsigned_number(line.substr(pos), out[k], used)) return false;
      spans[k] = Span{static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(used)};
      pos += used;
    }
    return at_chunk(line, pos, values_.size(), prefilter_at) && pos == line.size();
  }

  // Building: chunk text up to the next number, then that number's metric.
  void add_chunk(std::string_view text) {
    chunks_.emplace_back(text);
    digit_free_ = digit_free_ && text.find_first_of("0123456789") == std::string_view::npos;
  }
  void add_value(const Value &v) {
    values_.push_back(v);
    kept_ += v.kept ? 1 : 0;
  }
  void set_prefilter(std::size_t chunk, std::size_t offset) {
    prefilter_chunk_ = chunk;
    prefilter_offset_ = offset;
  }
  // After the chunks are added: when the prefilter's place is in the first chunk and it does
  // not occur there earlier, every line of this shape has its first occurrence there (the
  // line starts with that chunk), and read() need not be told where it is.
  void note_prefilter_at_start(std::string_view prefilter) {
    at_start_ = prefilter_chunk_ == 0 && !chunks_.empty() &&
                std::string_view(chunks_[0]).find(prefilter) == prefilter_offset_;
  }
  // Whether read() needs the prefilter's first place in the line.
  [[nodiscard]] bool needs_prefilter_place() const {
    return prefilter_chunk_ != std::string::npos && !at_start_;
  }

private:
  // Compares chunk k at pos and moves pos past it.
  bool at_chunk(std::string_view line, std::size_t &pos, std::size_t k,
                std::size_t prefilter_at) const {
    const std::string &c = chunks_[k];
    if (line.size() - pos < c.size() || !same_text(line.substr(pos, c.size()), c)) return false;
    if (k == prefilter_chunk_ && !at_start_ && pos + prefilter_offset_ != prefilter_at)
      return false;
    pos += c.size();
    return true;
  }

  std::vector<std::string> chunks_; // one more than values_: text before each, and the tail
  std::vector<Value> values_;
  std::size_t kept_ = 0;
  bool digit_free_ = true;
  std::size_t prefilter_chunk_ = std::string::npos; // where the prefilter first occurred
  std::size_t prefilter_offset_ = 0;
  bool at_start_ = false; // see note_prefilter_at_start
};

class KvParser final : public LineParser {
public:
  explicit KvParser(const CollectorDef &def)
      : spec_(def.parse.kv),
        prefilter_digit_free_(spec_.prefilter.find_first_of("0123456789") == std::string::npos) {}

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    (void)received_at;
    std::size_t at = std::string_view::npos; // the prefilter's first place, once known
    const bool shared = shared_ != nullptr && bit_ != LiteralSet::kMax && shared_->scanned(line);
    if (shared) {
      if (!shared_->contains(bit_)) return false;
    } else if (!spec_.prefilter.empty()) {
      at = line.find(spec_.prefilter);
      if (at == std::string_view::npos) return false;
    }
    // Where the shared scan found it, looked up only when needed (a shape whose prefilter
    // opens the line needs no place).
    const auto place = [&] {
      if (shared && at == std::string_view::npos) at = shared_->position(bit_);
      return at;
    };
    Record &rec = out.next();
    std::size_t n = 0;
    const std::uint64_t kind = shared ? shared_->kind() : 0;
    const bool by_shape =
        !shape_.empty() && (read_like_last(line, kind) || read_by_shape(line, kind, place));
    const RecordLayout layout{this, shape_version_};
    // The record holds this shape's metrics already (the size check only guards the index).
    if (by_shape && rec.layout == layout && rec.metrics.size() == shape_.kept()) {
      const auto &values = shape_.values();
      for (std::size_t k = 0; k < values.size(); ++k)
        if (values[k].kept) rec.metrics[n++].value = numbers_[k] * values[k].factor;
    } else {
      MetricWriter w(rec);
      if (by_shape) {
        const auto &values = shape_.values();
        for (std::size_t k = 0; k < values.size(); ++k) {
          if (!values[k].kept) continue;
          put_metric(w, values[k].name, numbers_[k] * values[k].factor);
        }
      } else {
        found_n_ = 0;
        // The index marker is usually the prefilter itself: reuse its position.
        add_index(line,
                  spec_.index_after == spec_.prefilter ? place() : line.find(spec_.index_after), w);
        scan_pairs(line, w);
        keep_shape(line, place());
      }
      n = w.count();
    }
    if (by_shape) rec.layout = layout; // after the writer's end: it resets the layout
    if (n == 0) out.drop_last();
    return n > 0;
  }

  std::uint64_t share_literals(LiteralSet &set) override {
    shared_ = &set;
    bit_ = set.add(spec_.prefilter);
    return bit_ == LiteralSet::kMax ? ~std::uint64_t{0} : std::uint64_t{1} << bit_;
  }

private:
  // By the shape, comparing its text; a line so read is the one the next is compared with.
  template <typename Place>
  bool read_by_shape(std::string_view line, std::uint64_t kind, Place &place) {
    const bool read = shape_.read(
        line, shape_.needs_prefilter_place() ? place() : std::string_view::npos, numbers_, spans_);
    if (read && shape_.digit_free() && prefilter_digit_free_) {
      last_line_.keep(line, kind);
      note_number_forms();
    } else {
      last_line_.forget(); // spans_ may be this line's, not the last line's
    }
    return read;
  }

  // A line that is the last line read by shape but for digits: its text between numbers is
  // that line's (the shape's text has no digit), its prefilter where that line's was (the
  // prefilter has none either), and its numbers are where that line's were, of the same
  // form, so the plain-decimal reader would read each the same way: it is done here from
  // the span, without looking for where the number ends. A line of last_line_'s kind in the
  // shared scan (`kind`, LiteralSet::kind) is known to be such a line without comparing.
  bool read_like_last(std::string_view line, std::uint64_t kind) {
    static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6, 1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14};
    if (!last_line_.same_but_digits(line, kind)) return false;
    const auto &values = shape_.values();
    for (std::size_t k = 0; k < values.size(); ++k) {
      const KvShape::Span &span = spans_[k];
      if (!last_plain_[k]) { // read as the shape read it
        std::size_t used = 0;
        if (!read_number(line.substr(span.start), numbers_[k], used) || used != span.used)
          return false;
        continue;
      }
      // Digits, or digits '.' digits, where the last line had them: as parse_plain_decimal
      // reads them, the digits as an integer over a power of ten.
      const char *p = line.data() + span.start;
      const std::size_t whole = last_point_[k] != 0 ? last_point_[k] : span.used;
      std::uint64_t mant = 0;
      for (std::size_t i = 0; i < whole; ++i) mant = mant * 10 + static_cast<unsigned>(p[i] - '0');
      for (std::size_t i = whole + 1; i < span.used; ++i)
        mant = mant * 10 + static_cast<unsigned>(p[i] - '0');
      double v = static_cast<double>(mant);
      if (whole < span.used) v /= kPow10[span.used - whole - 1];
      numbers_[k] = v;
    }
    return true;
  }

  // Notes the form of each number of last_line_: a plain decimal of at most 15 characters
  // (digits, or digits '.' digits) and where its point is, else not plain.
  void note_number_forms() {
    for (std::size_t k = 0; k < shape_.values().size(); ++k) {
      const KvShape::Span &span = spans_[k];
      const auto t = last_line_.text().substr(span.start, span.used);
      bool plain = !t.empty() && t.size() <= 15 && t.front() != '.' && t.back() != '.';
      std::size_t points = 0;
      for (const char c : t) {
        if (c == '.')
          ++points;
        else if (c < '0' || c > '9')
          plain = false;
      }
      last_plain_[k] = plain && points <= 1;
      last_point_[k] = static_cast<std::uint8_t>(points == 1 ? t.find('.') : 0);
    }
  }

  void add_index(std::string_view line, std::size_t p, MetricWriter &w) {
    if (spec_.index_after.empty() || p == std::string_view::npos) return;
    const auto text = line.substr(p + spec_.index_after.size());
    double v = 0;
    std::size_t used = 0;
    if (!read_number(text, v, used)) return;
    put_metric(w, spec_.index_metric, v);
    const std::size_t start = line.size() - text.size();
    record(start, start, start + used, start + used, &spec_.index_metric, 1.0);
  }

  // One forward pass: find_byte jumps from '=' to '=' (a step line has a handful among ~70
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
      double v = 0;
      std::size_t used = 0;
      if (!read_number(line.substr(pos + 1), v, used)) continue;
      const std::size_t number_end = pos + 1 + used;
      std::size_t unit_end = number_end;
      while (unit_end < end && class_of(data[unit_end]) != kUnitEnd) ++unit_end;
      from = unit_end + 1; // past the unit's end (or the line's)
      double factor = 1.0;
      UnitClass cls = UnitClass::none;
      if (!pair_value(line, key, number_end, unit_end, v, cls, factor)) continue;
      const std::string *name = add_pair(key, v, cls, w, factor);
      record(key_start, pos + 1, number_end, unit_end, name, factor);
    }
  }

  // Whether the number that ends at `number_end`, with the unit up to `unit_end`, is a value:
  // a known unit (or none), not a decimal comma's first half ("1,5ms"), not a negative
  // duration, and of the class the key's own suffix names, if any (`free_bytes=4K` is 4096
  // bytes, `wait_ms=-1` a negative duration, `eval_ms=5MB` nothing). Anything else is no value,
  // not a wrong one: `0x10ms` read as 0, `36zz` as 36, a time of day `12:30:01` as 12 under a
  // name of their own. Its class and unit factor.
  static bool pair_value(std::string_view line, std::string_view key, std::size_t number_end,
                         std::size_t unit_end, double v, UnitClass &cls, double &factor) {
    const std::string_view unit = line.substr(number_end, unit_end - number_end);
    if (unit.size() == 2 && unit[0] == 'm' && unit[1] == 's') { // most step keys
      cls = UnitClass::time;
      if (const auto key_cls = metric_class(key); key_cls != UnitClass::none && key_cls != cls)
        return false; // `x_bytes=5ms`
    } else {
      const UnitClass key_cls = metric_class(key);
      const auto known = known_unit_class(unit, factor, key_cls == UnitClass::bytes);
      if (!known) return false;
      cls = unit.empty() ? key_cls : *known; // a bare number is in the key's unit
      if (key_cls != UnitClass::none && cls != key_cls) return false;
      if (unit.empty() && unit_end + 1 < line.size() && line[unit_end] == ',' &&
          line[unit_end + 1] >= '0' && line[unit_end + 1] <= '9')
        return false;
    }
    return !(cls == UnitClass::time && std::signbit(v)); // -0 too
  }

  // The metric's name (nullptr: an ignored key), its value put in `w` times `factor`.
  const std::string *add_pair(std::string_view key, double v, UnitClass cls, MetricWriter &w,
                              double factor) {
    const std::string *name = name_for(key, cls);
    if (name == nullptr) return nullptr;
    put_metric(w, *name, v * factor);
    return name;
  }

  // Notes a number the full scan read, for keep_shape. The name is copied (into storage
  // reused from line to line): cache_ may move its entries while the line is read.
  void record(std::size_t key_start, std::size_t start, std::size_t end, std::size_t unit_end,
              const std::string *name, double factor) {
    if (found_n_ == found_.size()) found_.emplace_back();
    Found &f = found_[found_n_++];
    f.key_start = key_start;
    f.start = start;
    f.end = end;
    f.unit_end = unit_end;
    f.value.kept = name != nullptr;
    f.value.name.assign(name != nullptr ? *name : std::string_view());
    f.value.factor = factor;
  }

  // After a full scan: the line's shape, for the next lines, when the numbers found can be
  // cut out cleanly: in order, each key (or the index marker) and each unit between the
  // numbers around it, and the prefilter inside one piece of text.
  void keep_shape(std::string_view line, std::size_t prefilter_at) {
    shape_.clear();
    last_line_.forget(); // read by the shape before
    ++shape_version_;    // records of the shape before list other metrics
    if (line.size() > KvShape::kMaxLine || found_n_ == 0 || found_n_ > KvShape::kMaxValues ||
        (!spec_.index_after.empty() && spec_.index_after != spec_.prefilter))
      return;
    std::size_t prev_end = 0; // where the previous number ended
    for (std::size_t k = 0; k < found_n_; ++k) {
      const Found &f = found_[k];
      const std::size_t next_start = k + 1 < found_n_ ? found_[k + 1].start : line.size();
      if (f.key_start < prev_end || f.start < prev_end || f.unit_end > next_start) return;
      prev_end = f.end;
    }
    bool prefilter_placed = prefilter_at == std::string_view::npos;
    std::size_t chunk_start = 0;
    for (std::size_t k = 0; k <= found_n_; ++k) {
      const std::size_t chunk_end = k < found_n_ ? found_[k].start : line.size();
      if (!prefilter_placed && prefilter_at >= chunk_start &&
          prefilter_at + spec_.prefilter.size() <= chunk_end) {
        shape_.set_prefilter(k, prefilter_at - chunk_start);
        prefilter_placed = true;
      }
      shape_.add_chunk(line.substr(chunk_start, chunk_end - chunk_start));
      if (k == found_n_) break;
      shape_.add_value(found_[k].value);
      chunk_start = found_[k].end;
    }
    if (!prefilter_placed) {
      shape_.clear();
      return;
    }
    shape_.note_prefilter_at_start(spec_.prefilter);
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
    if (r != spec_.rename.end()) {
      e.name = r->second; // named whole by the definition
    } else {
      e.name.assign(spec_.prefix).append(key);
      // A key that names its unit already (`free_bytes`, `gen_per_s`) keeps that suffix.
      if (metric_class(key) != cls) e.name.append(suffix_for(cls));
    }
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
  // A number the full scan read: where its key began (its start for the index), where it
  // began and ended, where its unit ended, and its metric as a shape keeps it.
  struct Found {
    std::size_t key_start = 0, start = 0, end = 0, unit_end = 0;
    KvShape::Value value;
  };
  std::vector<Found> found_; // the first found_n_ are this line's
  std::size_t found_n_ = 0;
  KvShape shape_;
  std::uint64_t shape_version_ = 0; // the layout version of records read by shape_
  KvShape::Numbers numbers_{};
  KvShape::Spans spans_{};
  // Per number of last_line_: a plain decimal, and where its point is (0: none).
  std::array<bool, KvShape::kMaxValues> last_plain_{};
  std::array<std::uint8_t, KvShape::kMaxValues> last_point_{};
  KeptLine last_line_; // the last line read by shape_ comparing its text, see read_like_last
  const KvSpec &spec_;
  const bool prefilter_digit_free_;
  const LiteralSet *shared_ = nullptr;
  std::size_t bit_ = LiteralSet::kMax; // the prefilter in shared_
};

} // namespace

std::unique_ptr<LineParser> make_kv_parser(const CollectorDef &def) {
  return std::make_unique<KvParser>(def);
}

} // namespace clustertop
