#include "json_out.hpp"

#include <cmath>

#include <fmt/compile.h>

#include "clustertop/core/text.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {
namespace {

bool ends_with(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         same_text(std::string_view(s).substr(s.size() - suffix.size()), suffix);
}

void append_string(fmt::memory_buffer &out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0; // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    std::size_t next = i + 1;
    char32_t cp = c;
    if (c >= 0x80) {
      next = i;
      cp = decode_utf8(s, next);
      // C1 controls (U+0085 ends a line for Unicode-aware readers; U+009B is CSI to some
      // terminals), U+2028, U+2029 and the controls of direction: escaped, as C0 controls and
      // DEL are, so that one record is never read as two nor acted on by a terminal showing
      // it (escaped_in_json).
      if (cp != kNotUtf8 && !escaped_in_json(cp)) {
        i = next;
        continue;
      }
    }
    out.append(s.substr(run, i - run));
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (cp == kNotUtf8 || cp == 0) {
      // A byte that is not UTF-8, and a NUL (PostgreSQL's jsonb refuses \u0000; a C string
      // ends there): U+FFFD, as the alerts' JSON and the CSV have them.
      out.append(std::string_view("\xEF\xBF\xBD"));
    } else {
      fmt::format_to(fmt::appender(out), "\\u{:04x}", static_cast<unsigned>(cp));
    }
    i = next;
    run = i;
  }
  out.append(s.substr(run));
  out.push_back('"');
}

} // namespace

const char *unit_of(const std::string &m) {
  if (ends_with(m, "_ms")) return "ms";
  if (ends_with(m, "_bytes")) return "bytes";
  if (ends_with(m, "_pct")) return "%";
  if (ends_with(m, "_w")) return "W";
  if (ends_with(m, "_c")) return "C";
  if (ends_with(m, "_per_s")) return "tokens/s";
  if (ends_with(m, "_ratio")) return "ratio";
  if (ends_with(m, ".tokens")) return "tokens";
  return "";
}

void append_record_json(fmt::memory_buffer &out, const Record &r) {
  auto it = fmt::appender(out);
  out.append(std::string_view("{\"time\":"));
  if (r.time)
    append_string(out, iso8601_utc(*r.time));
  else
    out.append(std::string_view("null"));
  out.append(std::string_view(",\"metrics\":["));
  for (std::size_t i = 0; i < r.metrics.size(); ++i) {
    const auto &m = r.metrics[i];
    if (i > 0) out.push_back(',');
    out.append(std::string_view("{\"name\":"));
    append_string(out, m.name);
    if (!m.device.empty()) {
      out.append(std::string_view(",\"device\":"));
      append_string(out, m.device);
    }
    if (!std::isfinite(m.value)) // JSON has no NaN or infinity
      out.append(std::string_view(",\"value\":null"));
    else
      fmt::format_to(it, FMT_COMPILE(",\"value\":{}"), m.value); // compiled: one a metric
    out.append(std::string_view(",\"unit\":\""));
    out.append(std::string_view(unit_of(m.name)));
    out.append(std::string_view("\"}"));
  }
  out.append(std::string_view("],\"level\":"));
  append_string(out, r.level);
  out.append(std::string_view(",\"tags\":["));
  for (std::size_t i = 0; i < r.tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_string(out, r.tags[i]);
  }
  out.append(std::string_view("],\"severity\":\""));
  out.append(std::string_view(to_string(r.severity)));
  out.append(std::string_view("\"}\n"));
}

} // namespace clustertop
