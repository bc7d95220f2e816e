#include "clustertop/sink/csv_text.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <fmt/format.h>

namespace clustertop {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD
constexpr std::string_view kRedacted = "[redacted]";

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

bool iequals_at(std::string_view text, std::size_t i, std::string_view word) {
  if (i + word.size() > text.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(text[i + k])) != word[k]) return false;
  return true;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool ends_value(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0 || c == ',' || c == ';' || c == '&' ||
         c == '"' || c == '\'';
}

// At a secret keyword (a whole word): the index where its value starts
// ("password = hunter2" -> 'h'), or npos when no "=" or ":" follows.
std::size_t secret_value_start(std::string_view text, std::size_t i) {
  static constexpr std::array<std::string_view, 14> kKeys = {
      "password",     "passwd",     "pwd",           "secret",     "token",
      "api_key",      "apikey",     "api-key",       "access_key", "secret_key",
      "access_token", "auth_token", "client_secret", "hf_token"};
  if (i > 0 && is_word_char(text[i - 1])) return std::string_view::npos;
  if (iequals_at(text, i, "bearer ")) return i + 7;
  for (auto key : kKeys) {
    std::size_t j = i + key.size();
    if (!iequals_at(text, i, key) || (j < text.size() && is_word_char(text[j]))) continue;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || (text[j] != '=' && text[j] != ':')) return std::string_view::npos;
    ++j;
    while (j < text.size() && (text[j] == ' ' || text[j] == '"' || text[j] == '\'')) ++j;
    return j;
  }
  return std::string_view::npos;
}

// At "://": the index of the password in "://user:pass@", or npos.
std::size_t url_password_start(std::string_view text, std::size_t i) {
  if (text.substr(i, 3) != "://") return std::string_view::npos;
  std::size_t colon = std::string_view::npos;
  for (std::size_t j = i + 3; j < text.size(); ++j) {
    const char c = text[j];
    if (c == '/' || std::isspace(static_cast<unsigned char>(c)) != 0) break;
    if (c == ':' && colon == std::string_view::npos) colon = j;
    if (c == '@') return colon == std::string_view::npos ? colon : colon + 1;
  }
  return std::string_view::npos;
}

} // namespace

std::string clean_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0 || (len == 1 && is_control(static_cast<unsigned char>(text[i])))) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t start = secret_value_start(text, i);
    const bool url = start == std::string_view::npos;
    if (url) start = url_password_start(text, i);
    if (start == std::string_view::npos || start >= text.size()) {
      out += text[i++];
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && !ends_value(text[end]) && !(url && text[end] == '@')) ++end;
    if (end == start) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, start - i));
    out += kRedacted;
    i = end;
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
    std::size_t cut = kMaxExportTextBytes;
    while (cut > 0 && (static_cast<unsigned char>(cell[cut]) & 0xC0) == 0x80) --cut;
    cell.resize(cut);
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
