#include "clustertop/core/text.hpp"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace clustertop {

namespace {
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
} // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

namespace {

// The length of the UTF-8 character at s[i] (1-4), or 0 when the bytes there are not one
// (stray continuation, overlong form, surrogate, past U+10FFFF, cut short).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

} // namespace

std::string terminal_safe(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max) + 8);
  const auto escape = [&](unsigned char c) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_length(s, i);
    if (i + std::max<std::size_t>(n, 1) > max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0) {
      escape(c); // not UTF-8: shown byte by byte
      ++i;
    } else if (n == 1) {
      if ((c < 0x20 && c != '\t') || c == 0x7F)
        escape(c);
      else
        out += static_cast<char>(c);
      ++i;
    } else if (c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      escape(c); // C1 control, U+0080-U+009F
      escape(static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool same_except_digits(const char *a, const char *b, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    // A byte is wrong where the two differ and the larger is above '9' or the smaller below
    // '0': saturating differences are non-zero exactly there. Ored over the whole line and
    // tested once: most lines compared are alike, and a branch a block cost more.
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8('9');
    __m128i wrong = _mm_setzero_si128();
    const auto add_block = [&](std::size_t at) {
      const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a + at));
      const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + at));
      const __m128i lo = _mm_min_epu8(va, vb), hi = _mm_max_epu8(va, vb);
      const __m128i differ = _mm_subs_epu8(hi, lo);
      const __m128i not_digits = _mm_or_si128(_mm_subs_epu8(hi, nine), _mm_subs_epu8(zero, lo));
      wrong = _mm_or_si128(wrong, _mm_min_epu8(differ, not_digits));
    };
    for (; i + 16 <= n; i += 16) add_block(i);
    if (i < n) add_block(n - 16); // the last 16 bytes, overlapping
    return _mm_movemask_epi8(_mm_cmpeq_epi8(wrong, _mm_setzero_si128())) == 0xFFFF;
  }
#endif
  for (; i < n; ++i)
    if (a[i] != b[i] && !(is_digit(a[i]) && is_digit(b[i]))) return false;
  return true;
}

} // namespace clustertop
