#include "clustertop/collect/regex.hpp"

#include <bit>
#include <cctype>
#include <pcre2.h>
#include <utility>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

// Bounds that keep a hostile line from costing more than a few milliseconds.
constexpr std::uint32_t kMatchLimit = 100000;
constexpr std::uint32_t kDepthLimit = 1000;

pcre2_code *code_of(void *p) { return static_cast<pcre2_code *>(p); }

std::string pcre_message(int err) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(err, buf, sizeof buf);
  return std::string(reinterpret_cast<const char *>(buf));
}

void set_byte(std::array<std::uint64_t, 4> &bits, std::uint32_t c) {
  if (c < 256) bits[c / 64] |= std::uint64_t{1} << (c % 64);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Where the quantifier {n}, {n,} or {n,m} that opens at `open` closes, or npos: its digits are
// counts, not bytes of a subject.
std::size_t quantifier_end(std::string_view p, std::size_t open) {
  std::size_t j = open + 1;
  while (j < p.size() && is_digit(p[j])) ++j;
  if (j == open + 1) return std::string_view::npos; // "{,n}" is a literal in PCRE2 10.42
  if (j < p.size() && p[j] == ',')
    for (++j; j < p.size() && is_digit(p[j]);) ++j;
  return j < p.size() && p[j] == '}' ? j : std::string_view::npos;
}

// Where a group name that starts at `from` ends (at `close`), or npos when the name holds
// anything but letters, digits and '_'.
std::size_t name_end(std::string_view p, std::size_t from, char close) {
  const std::size_t end = p.find(close, from);
  if (end == std::string_view::npos) return end;
  for (std::size_t k = from; k < end; ++k)
    if (std::isalnum(static_cast<unsigned char>(p[k])) == 0 && p[k] != '_')
      return std::string_view::npos;
  return end;
}

// See Regex::digits_alike. A scan of the pattern's text that errs towards "no": what it does
// not know (an escape it has no entry for, a digit anywhere but in a quantifier, a group
// name or the range 0-9) counts as treating digits apart.
bool treats_digits_alike(std::string_view p) {
  bool in_class = false;
  // In a class, the last member was a '-' that may make a range with the next: `[.-0-9]` is
  // the range `.` to `0`, a '-' and a '9', which holds 0 and 9 but not 1 to 8.
  bool dash = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      dash = false;
      if (++i == p.size()) return false;
      // Escaped punctuation is that byte. Of the letters, only classes, assertions and
      // control bytes that hold for every digit or for none: \x, \o, \N, \p, \Q, \g, \k,
      // \1 and the like could name a digit or compare one.
      const char e = p[i];
      if (std::isalnum(static_cast<unsigned char>(e)) != 0 &&
          std::string_view("dDsSwWbBhHvVtnrfeaAzZG").find(e) == std::string_view::npos)
        return false;
      continue;
    }
    if (in_class) {
      const bool after_dash = std::exchange(dash, false);
      if (c == ']') {
        in_class = false;
      } else if (c == '-') {
        dash = true; // (a '-' first in the class was skipped as a member when it opened)
      } else if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') { // [:alpha:], [:^digit:]
        const std::size_t end = p.find(":]", i + 2);
        if (end == std::string_view::npos) return false;
        for (std::size_t k = i + 2; k < end; ++k)
          if (std::isalpha(static_cast<unsigned char>(p[k])) == 0 && p[k] != '^') return false;
        i = end + 1;
      } else if (is_digit(c)) {
        // A range of some digits, or one; or a range that ends or goes on at a digit.
        if (after_dash || p.compare(i, 3, "0-9") != 0) return false;
        i += 2;
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') return false;
      }
      continue; // a range between non-digits holds every digit or none
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && (p[i + 1] == ']' || p[i + 1] == '-')) ++i; // a member, first
      continue;
    }
    if (c == '{') {
      const std::size_t end = quantifier_end(p, i);
      if (end != std::string_view::npos) i = end;
      continue; // else a literal '{'; digits after it are caught as literals
    }
    if (c == '(' && p.compare(i, 2, "(?") == 0) {
      std::size_t j = i + 2;
      // A comment, or options with x (text after '#' is a comment, whitespace is not text):
      // what this scan would read there as class or text is not.
      if (p.compare(j, 1, "#") == 0) return false;
      std::size_t k = j;
      while (k < p.size() &&
             (std::isalpha(static_cast<unsigned char>(p[k])) != 0 || p[k] == '-' || p[k] == '^'))
        ++k;
      if (k < p.size() && (p[k] == ')' || p[k] == ':') &&
          p.substr(j, k - j).find('x') != std::string_view::npos)
        return false;
      if (p.compare(j, 2, "P=") == 0) return false; // a backreference by name
      if (p.compare(j, 2, "P<") == 0) ++j;
      const bool angle = j + 1 < p.size() && p[j] == '<' && p[j + 1] != '=' && p[j + 1] != '!';
      if (angle || (j < p.size() && p[j] == '\'')) { // (?<name>, (?P<name>, (?'name'
        const std::size_t end = name_end(p, j + 1, angle ? '>' : '\'');
        if (end == std::string_view::npos) return false;
        i = end;
      }
      continue;
    }
    if (is_digit(c)) return false;
  }
  return !in_class;
}

} // namespace

MatchBlock::~MatchBlock() { pcre2_match_data_free(static_cast<pcre2_match_data *>(data_)); }

Result<std::shared_ptr<const Regex>> Regex::compile(const std::string &pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  // No UTF mode: lines are bytes, and invalid UTF-8 must not make a match fail.
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_DUPNAMES, &err, &offset, nullptr);
  if (code == nullptr)
    return Error{"invalid regex", pcre_message(err) + " at offset " + std::to_string(offset), "",
                 "fix the pattern: " + pattern};
  // Without JIT support (or memory for it) the interpreter runs instead.
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  std::shared_ptr<Regex> re(new Regex());
  re->jit_ = jit;
  re->digits_alike_ = treats_digits_alike(pattern);
  re->pattern_ = pattern;
  re->code_ = code;
  auto *ctx = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(ctx, kMatchLimit);
  pcre2_set_depth_limit(ctx, kDepthLimit);
  re->context_ = ctx;
  std::uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  re->pairs_ = groups + 1;
  std::uint32_t options = 0, min_length = 0, first_type = 0;
  pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &options);
  pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &min_length);
  pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &first_type);
  const std::uint8_t *bitmap = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &bitmap);
  // Only where a match must start at byte 0 and cannot be empty is the first byte decisive.
  if ((options & PCRE2_ANCHORED) != 0 && min_length > 0) {
    if (bitmap != nullptr) {
      for (std::uint32_t c = 0; c < 256; ++c)
        if ((bitmap[c / 8] & (1u << (c % 8))) != 0) set_byte(re->first_bytes_, c);
      re->first_known_ = true;
    } else if (first_type == 1) {
      std::uint32_t unit = 0;
      pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &unit);
      set_byte(re->first_bytes_, unit);
      // PCRE2 does not say whether the unit is caseless: allow both ASCII cases.
      if (unit < 128 && std::isalpha(static_cast<int>(unit)) != 0)
        set_byte(re->first_bytes_, unit ^ 0x20u);
      re->first_known_ = unit < 256;
    }
  }
  if (re->first_known_) re->learn_second_bytes();
  std::uint32_t count = 0;
  std::uint32_t entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto *entry = table + i * entry_size;
    const int group = (entry[0] << 8) | entry[1];
    re->names_.emplace_back(std::string(reinterpret_cast<const char *>(entry + 2)), group);
  }
  return std::shared_ptr<const Regex>(std::move(re));
}

// The bytes that can follow each possible first byte, asked of PCRE2 itself: a two-byte
// subject that is no match, not even a partial one (PCRE2_PARTIAL_HARD: the subject's end
// reached with more of the pattern to match), cannot start a line that matches. Only for
// patterns with few first bytes: 256 probes each, once at load.
void Regex::learn_second_bytes() {
  constexpr int kMaxFirstBytes = 16;
  int firsts = 0;
  for (const auto w : first_bytes_) firsts += std::popcount(w);
  if (firsts > kMaxFirstBytes) return;
  auto *md = pcre2_match_data_create(1, nullptr);
  if (md == nullptr) return;
  auto *ctx = static_cast<pcre2_match_context *>(context_);
  for (std::uint32_t b = 0; b < 256; ++b) {
    if (!has_byte(first_bytes_, b)) continue;
    ByteSet seconds{};
    for (std::uint32_t c = 0; c < 256; ++c) {
      const std::array<unsigned char, 2> subject{static_cast<unsigned char>(b),
                                                 static_cast<unsigned char>(c)};
      const int rc = pcre2_match(code_of(code_), subject.data(), subject.size(), 0,
                                 PCRE2_PARTIAL_HARD | PCRE2_NO_JIT, md, ctx);
      if (rc != PCRE2_ERROR_NOMATCH) set_byte(seconds, c); // a match, a partial one, a limit
    }
    second_bytes_.push_back(seconds);
    second_slot_[b] = static_cast<std::uint8_t>(second_bytes_.size());
  }
  pcre2_match_data_free(md);
}

Regex::~Regex() {
  pcre2_match_context_free(static_cast<pcre2_match_context *>(context_));
  pcre2_code_free(code_of(code_));
}

bool Regex::match(std::string_view line,
                  std::vector<std::pair<std::string_view, std::string_view>> &captures) const {
  MatchBlock block;
  return match(line, captures, block);
}

bool Regex::match(std::string_view line,
                  std::vector<std::pair<std::string_view, std::string_view>> &captures,
                  MatchBlock &block, std::uint64_t kind) const {
  captures.clear();
  if (!may_match(line)) return false;
  if (block.pairs_ < pairs_) {
    pcre2_match_data_free(static_cast<pcre2_match_data *>(block.data_));
    block.data_ = pcre2_match_data_create(pairs_, nullptr);
    block.pairs_ = block.data_ != nullptr ? pairs_ : 0;
    if (block.data_ == nullptr) return false;
  }
  auto *md = static_cast<pcre2_match_data *>(block.data_);
  int rc = 0;
  const bool kept = block.last_regex_ == this && !block.last_alive_.expired();
  // The block's last subject for this regex, but for digits: its answer and offsets hold.
  if (digits_alike_ && kept && block.last_subject_.same_but_digits(line, kind)) {
    rc = block.last_rc_;
    ++block.recalled_;
  } else {
    // pcre2_jit_match is the JIT's fast path: what pcre2_match would call, without its
    // checks of arguments that are the same on every call here.
    const auto *subject = reinterpret_cast<PCRE2_SPTR>(line.data());
    auto *ctx = static_cast<pcre2_match_context *>(context_);
    rc = jit_ ? pcre2_jit_match(code_of(code_), subject, line.size(), 0, 0, md, ctx)
              : pcre2_match(code_of(code_), subject, line.size(), 0, 0, md, ctx);
    block.last_regex_ = digits_alike_ ? this : nullptr; // the ovector is this match's now
    if (digits_alike_) {
      if (!kept) block.last_alive_ = weak_from_this();
      block.last_subject_.keep(line, kind);
      block.last_rc_ = rc;
    }
  }
  if (rc > 0) {
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (const auto &[name, group] : names_) {
      const auto g = static_cast<std::size_t>(group);
      if (g >= static_cast<std::size_t>(rc) || ov[2 * g] == PCRE2_UNSET) continue;
      captures.emplace_back(name, line.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    }
  }
  return rc > 0;
}

bool Regex::matches(std::string_view line) const {
  std::vector<std::pair<std::string_view, std::string_view>> caps;
  return match(line, caps);
}

} // namespace clustertop
