#include "clustertop/sink/csv_text.hpp"

#include <cmath>
#include <fmt/format.h>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid (overlong forms,
// surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF)
    len = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return len;
}

bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

// The sequence of `len` bytes at text[i] is a C1 control (U+0080-U+009F: NEL is a line break
// to many readers) or a line or paragraph separator (U+2028, U+2029): a line-oriented tool
// (Python's str.splitlines) would split a row there.
bool breaks_lines(std::string_view text, std::size_t i, std::size_t len) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (len == 2) return b(0) == 0xC2 && b(1) <= 0x9F;
  return len == 3 && b(0) == 0xE2 && b(1) == 0x80 && (b(2) == 0xA8 || b(2) == 0xA9);
}

} // namespace

std::string clean_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0 || (len == 1 && is_control(static_cast<unsigned char>(text[i]))) ||
        breaks_lines(text, i, len)) {
      out += kReplacement;
      i += len == 0 ? 1 : len; // a whole character, or one byte of a broken one
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

void append_csv_field(std::string &out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_text_cell(std::string &out, std::string_view text) {
  std::string cell = redact_secrets(clean_utf8(text));
  if (cell.size() > kMaxExportTextBytes) {
    cell.resize(utf8_boundary(cell, kMaxExportTextBytes));
    cell += "\xE2\x80\xA6"; // "…"
  }
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    cell.insert(cell.begin(), '\'');
  append_csv_field(out, cell);
}

void append_number_cell(std::string &out, double value) {
  if (!std::isfinite(value)) return;
  // Integral values (bytes, tokens) print without exponent or ".0" up to 2^53.
  if (std::fabs(value) < 9007199254740992.0 && value == std::trunc(value))
    fmt::format_to(std::back_inserter(out), "{:.0f}", value);
  else
    fmt::format_to(std::back_inserter(out), "{}", value);
}

} // namespace clustertop
