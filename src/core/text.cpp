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
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
  const auto all_good = [&](std::size_t at) {
    const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a + at));
    const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + at));
    const __m128i da = _mm_sub_epi8(va, zero), db = _mm_sub_epi8(vb, zero);
    const __m128i digits = _mm_and_si128(_mm_cmpeq_epi8(_mm_min_epu8(da, nine), da),
                                         _mm_cmpeq_epi8(_mm_min_epu8(db, nine), db));
    return _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(va, vb), digits)) == 0xFFFF;
  };
  for (; i + 16 <= n; i += 16)
    if (!all_good(i)) return false;
  if (i < n && n >= 16) return all_good(n - 16); // the last 16 bytes, overlapping
#endif
  for (; i < n; ++i)
    if (a[i] != b[i] && !(is_digit(a[i]) && is_digit(b[i]))) return false;
  return true;
}

} // namespace clustertop
