#include "clustertop/sink/csv_text.hpp"

#include <cmath>
#include <fmt/format.h>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Whether a code point may stand in an exported text cell: not a control character or line
// separator (a line-oriented tool would split a row there), but tab and line ends, which
// the CSV writer quotes; not a control of direction either (a spreadsheet or `column`
// showed a crash line in another order, where JSON and text escape them).
bool printable_in_cell(char32_t cp) {
  return cp != kNotUtf8 && !is_bidi_control(cp) &&
         (!is_control_or_line_break(cp) || cp == '\t' || cp == '\n' || cp == '\r');
}

} // namespace

std::string clean_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t next = i;
    const char32_t cp = decode_utf8(text, next); // one byte of a broken character
    if (printable_in_cell(cp))
      out.append(text.substr(i, next - i));
    else
      out += kReplacement;
    i = next;
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

namespace {

// Cut to kMaxExportTextBytes at a character boundary, ending with "…".
void cut_cell(std::string &cell) {
  if (cell.size() <= kMaxExportTextBytes) return;
  cell.resize(utf8_boundary(cell, kMaxExportTextBytes));
  cell += "\xE2\x80\xA6"; // "…"
}

// Guarded against spreadsheet formulas, then quoted.
void append_guarded_cell(std::string &out, std::string cell) {
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    cell.insert(cell.begin(), '\'');
  append_csv_field(out, cell);
}

} // namespace

std::string cell_text(std::string_view text) {
  std::string cell = redact_secrets(clean_utf8(text));
  cut_cell(cell);
  return cell;
}

void append_text_cell(std::string &out, std::string_view text) {
  append_guarded_cell(out, cell_text(text));
}

void append_name_cell(std::string &out, std::string_view name) {
  std::string cell = clean_utf8(name);
  cut_cell(cell);
  append_guarded_cell(out, std::move(cell));
}

void append_joined_cell(std::string &out, std::string_view joined) {
  append_guarded_cell(out, std::string(joined));
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
