#include "clustertop/core/text.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

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

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

std::size_t utf8_boundary(std::string_view s, std::size_t pos) {
  // A character has at most 3 bytes after its first; text that is no UTF-8 is cut anywhere.
  for (int k = 0; k < 3 && pos > 0 && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80; ++k)
    --pos;
  return pos;
}

char32_t decode_utf8(std::string_view s, std::size_t &i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = 0;
  char32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0)
    len = 2, cp = b0 & 0x1F;
  else if ((b0 & 0xF0) == 0xE0)
    len = 3, cp = b0 & 0x0F;
  else if ((b0 & 0xF8) == 0xF0)
    len = 4, cp = b0 & 0x07;
  else {
    ++i;
    return kNotUtf8;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return kNotUtf8;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kNotUtf8;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kNotUtf8;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

std::string one_to_one_text(std::string_view s, bool keep_newline) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const char32_t cp = decode_utf8(s, i);
    const bool shown = cp != kNotUtf8 && !is_bidi_control(cp) &&
                       (!is_control_or_line_break(cp) || (keep_newline && cp == '\n'));
    if (cp == '\\')
      out += "\\\\";
    else if (shown)
      out.append(s.substr(start, i - start));
    else
      for (std::size_t k = start; k < i; ++k) {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto c = static_cast<unsigned char>(s[k]);
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
  }
  return out;
}

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
    std::size_t next = i;
    const char32_t cp = decode_utf8(s, next);
    if (next > max) {
      out += "...";
      break;
    }
    // Not UTF-8 (one byte), C0 but tab, DEL, C1 (raw bytes or UTF-8): each byte as \xHH.
    if (cp == kNotUtf8 || (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp < 0xA0))
      for (std::size_t k = i; k < next; ++k) escape(static_cast<unsigned char>(s[k]));
    else if (cp == 0x2028 || cp == 0x2029 || is_bidi_control(cp))
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    else
      out.append(s.substr(i, next - i));
    i = next;
  }
  return out;
}

std::string terminal_safe_lines(std::string_view s) {
  std::string out;
  for (std::size_t start = 0; start <= s.size();) {
    const std::size_t end = std::min(s.find('\n', start), s.size());
    out += terminal_safe(s.substr(start, end - start));
    if (end == s.size()) break;
    out += '\n';
    start = end + 1;
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

std::string fixed_or_figures(double v, int decimals) {
  if (std::fabs(v) < 1e6) return fmt::format("{:.{}f}", v, decimals);
  return fmt::format("{:.4g}", v);
}

} // namespace clustertop
