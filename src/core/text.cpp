#include "clustertop/core/text.hpp"

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
