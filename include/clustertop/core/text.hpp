// Small text helpers shared by the parsers and the theme reader.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clustertop {

// `s` without leading and trailing spaces, tabs and carriage returns (CRLF files).
std::string_view trim(std::string_view s);

// The parts of `s` between each `sep` (empty ones too: "a,,b" is three).
std::vector<std::string_view> split(std::string_view s, char sep);

// a == b, ASCII letters compared without case (header names, key words).
bool iequals_ascii(std::string_view a, std::string_view b);

// The code point of the UTF-8 character at s[i], advancing i past it; kNotUtf8 (one byte
// eaten) for bytes that are not one (a stray continuation, an overlong form, a surrogate,
// past U+10FFFF, a sequence cut short).
inline constexpr char32_t kNotUtf8 = 0xFFFFFFFF;
char32_t decode_utf8(std::string_view s, std::size_t &i);
// Whether a code point (decode_utf8's) is a control character (C0, DEL, C1) or a line or
// paragraph separator (U+2028, U+2029): what a line-oriented reader (Python's splitlines
// takes U+0085 and the separators as line ends) or a terminal (C1 CSI) may act on. The
// exporters (CSV, Prometheus, JSON) each keep out these, less the few their format allows.
constexpr bool is_control_or_line_break(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}
// Controls of the text's direction: the embeddings and overrides (U+202A-U+202E), isolates
// (U+2066-U+2069) and marks (LRM, RLM, ALM). A terminal that orders text by them shows a line
// in another order than it was written ("Trojan Source").
constexpr bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}
// What clustertop's JSON writes as `\uXXXX` though JSON allows it raw: a line-oriented reader
// or a terminal showing the record (`tail -f alerts.jsonl`) must act on none of it, as on
// none of the text form, which escapes the same.
constexpr bool escaped_in_json(char32_t cp) {
  return cp >= 0x7F && (is_control_or_line_break(cp) || is_bidi_control(cp));
}
// Where to cut s at pos (< s.size()) or just before without splitting a UTF-8 character:
// pos moved back past at most 3 continuation bytes.
std::size_t utf8_boundary(std::string_view s, std::size_t pos);

// `s` made safe to print on a terminal: text from a node's log must be shown, never acted on.
// Control characters (C0 but tab, DEL, and C1: U+0080-U+009F, which some terminals take as
// CSI and OSC), NUL and bytes that are not UTF-8 are written as visible `\xHH` escapes, the
// line separators U+2028/U+2029 (a reader's line break: a forged line in alerts.log) and
// the controls of direction as `\uXXXX`; the rest, UTF-8 included, is kept. At most `max` bytes of
// `s` are read (the cut falls between characters; "..." marks it).
std::string terminal_safe(std::string_view s, std::size_t max = std::string_view::npos);
// A name from a node's output (a device id, a label value) made printable one to one: a byte
// that is not UTF-8, a control character or line separator (but a newline when
// `keep_newline`) and a control of direction become `\xHH` per byte and a backslash `\\`, so
// that no two names read the same (replacing them with U+FFFD made two GPUs one series, or
// one CSV column; a CSV cell still replaces controls of direction, so they are escaped here).
std::string one_to_one_text(std::string_view s, bool keep_newline = false);
// terminal_safe for a message of several lines: each line's text made safe, its line ends
// kept.
std::string terminal_safe_lines(std::string_view s);

// `v` with `decimals` fixed decimals, or four significant figures from 1e6 on: a garbled
// line's 9e99 printed a hundred digits in alert messages and figures lines.
std::string fixed_or_figures(double v, int decimals);

// Whether the n bytes at a and b are the same except where both hold an ASCII digit: two log
// lines of one kind whose numbers kept their widths ("[STEP 8] eval=31ms" after "[STEP 7]
// eval=29ms"). Sixteen bytes a step where SSE2 is there.
bool same_except_digits(const char *a, const char *b, std::size_t n);

// The last line a reader worked through, kept to tell whether a later one is that line but
// for digits (same_except_digits, one length): by comparing, or by a kind both lines were
// given (LiteralSet::kind; 0: none; lines given one kind are alike that way). The kinds
// given to one KeptLine must come from one LiteralSet.
class KeptLine {
public:
  [[nodiscard]] bool same_but_digits(std::string_view line, std::uint64_t kind) {
    if (!held_) return false;
    if (kind == 0 || kind != kind_) {
      if (line.size() != text_.size() ||
          !same_except_digits(line.data(), text_.data(), line.size()))
        return false;
      kind_ = kind; // every line of this kind is the kept one but for digits too
    }
    return true;
  }
  void keep(std::string_view line, std::uint64_t kind) {
    text_.assign(line);
    kind_ = kind;
    held_ = true;
  }
  void forget() { held_ = false; }
  [[nodiscard]] std::string_view text() const { return text_; }

private:
  std::string text_;
  std::uint64_t kind_ = 0;
  bool held_ = false;
};

// a == b for the short keys and metric names of the parse hot path, inline: 8-byte words
// compared in registers beat a call to memcmp for strings of 5 to 30 bytes.
inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    if (n >= 4) { // two 4-byte words, overlapping
      std::uint32_t a0 = 0, b0 = 0, a1 = 0, b1 = 0;
      std::memcpy(&a0, a.data(), 4);
      std::memcpy(&b0, b.data(), 4);
      std::memcpy(&a1, a.data() + n - 4, 4);
      std::memcpy(&b1, b.data() + n - 4, 4);
      return a0 == b0 && a1 == b1;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  const auto word = [](const char *p) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, sizeof v); // one unaligned load once inlined
    return v;
  };
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    if (word(a.data() + i) != word(b.data() + i)) return false;
  return word(a.data() + n - 8) == word(b.data() + n - 8); // the tail, overlapping
}

} // namespace clustertop
