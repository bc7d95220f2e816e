// Text hygiene for exports (CSV cells, Prometheus label values): UTF-8 repair, control
// characters, secret redaction, RFC 4180 quoting, spreadsheet-formula neutralisation.
// Pure functions over strings; no I/O, no knowledge of the store.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "clustertop/core/redact.hpp" // redact_secrets

namespace clustertop {

// Remote text longer than this is cut (at a character boundary) and ends with "…".
inline constexpr std::size_t kMaxExportTextBytes = 2048;

// Invalid UTF-8 sequences, NUL and C0/DEL controls other than tab, LF and CR become U+FFFD,
// so every export is valid UTF-8 and carries no terminal escapes.
std::string clean_utf8(std::string_view text);

// RFC 4180: the field is quoted when it holds a comma, a quote, CR or LF; quotes doubled.
void append_csv_field(std::string &out, std::string_view field);

// A cell made of remote-supplied text (log text, status details, metric and device names):
// cleaned, redacted, cut to kMaxExportTextBytes, and when it starts with = + - @ tab or CR
// prefixed with ' so a spreadsheet shows it as text instead of evaluating it; then quoted.
void append_text_cell(std::string &out, std::string_view text);

// Remote text as a text cell holds it: cleaned, redacted, cut to kMaxExportTextBytes.
std::string cell_text(std::string_view text);

// A cell joined from parts that are each cell_text (the alerts and their messages): guarded
// and quoted only. Redacted as a whole, one message's unclosed quoted secret ran into the
// next and took the separator with it; cut as a whole, alerts fell off the end of the list.
void append_joined_cell(std::string &out, std::string_view joined);

// A node name's cell: as append_text_cell but not redacted. A node name is the user's own
// label, refused where redaction would change it (validate_node_name), so the cell is the
// name that /metrics labels, --json lines and hooks show, and two nodes are never one row.
void append_name_cell(std::string &out, std::string_view name);

// A number cell: the shortest exact decimal; empty when NaN or infinite (unknown is never 0).
void append_number_cell(std::string &out, double value);

} // namespace clustertop
