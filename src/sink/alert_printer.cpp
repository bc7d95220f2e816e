#include "clustertop/sink/alert_printer.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "clustertop/core/text.hpp"

namespace clustertop {
namespace {

nlohmann::json number(double v) {
  return is_known(v) && std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Four significant figures, but no exponent for large values up to any byte count a node
// has: a byte count reads "2074000000", not "2.074e+09"; past 1e15 the exponent (a garbled
// line's 9e99 printed a hundred digits).
std::string figure(double v) {
  if (!is_known(v)) return "unknown";
  if (std::isfinite(v) && std::fabs(v) >= 1e4 && std::fabs(v) < 1e15)
    return fmt::format("{:.0f}", v);
  return fmt::format("{:.4g}", v);
}

} // namespace

nlohmann::json alert_json(const AlertTransition &t) {
  const Finding &f = t.finding;
  nlohmann::json j;
  j["rule"] = f.rule;
  j["node"] = f.node;
  j["subject"] = f.subject;
  j["severity"] = to_string(f.severity);
  j["state"] = to_string(t.state);
  j["value"] = number(f.value);
  j["threshold"] = number(f.threshold);
  j["message"] = f.message;
  j["first_seen"] = iso8601_utc(t.first_seen);
  j["time"] = iso8601_utc(t.at);
  return j;
}

std::string json_line(const nlohmann::json &j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // DEL, C1 controls (U+0080-U+009F: NEL ends a line for Unicode-aware readers, CSI is acted
  // on by some terminals showing the lines), U+2028/U+2029 and the controls of direction go as
  // \u escapes (escaped_in_json); the dump escapes C0 itself. The dump is valid UTF-8 and
  // JSON's own syntax is ASCII: these can only be inside a string, where the escape means the
  // same. A NUL (the dump's \u0000) becomes U+FFFD, as in the CSV: PostgreSQL's jsonb refuses
  // \u0000, and a C string ends there (`jq -r .message | logger` passed it on).
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\\') { // an escape: its two characters, or the six of \uXXXX
      if (text.compare(i, 6, "\\u0000") == 0) {
        out += "\xEF\xBF\xBD";
        i += 6;
      } else {
        out.append(text, i, 2);
        i += 2;
      }
      continue;
    }
    std::size_t next = i;
    const char32_t cp = decode_utf8(text, next);
    if (escaped_in_json(cp))
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    else
      out.append(text, i, next - i);
    i = next;
  }
  return out;
}

std::string alert_line(const AlertTransition &t) {
  const Finding &f = t.finding;
  std::string who = f.node.empty() ? "cluster" : f.node;
  if (!f.subject.empty()) who += "[" + f.subject + "]";
  // A resolved alert's finding is the last one seen, whose words ("out of memory in about
  // 0 s") no longer hold: said as what it last said, after how long it was open.
  const std::string message = t.state == AlertState::resolved
                                  ? fmt::format("cleared after {} open; it last said: {}",
                                                format_age(t.at - t.first_seen), f.message)
                                  : f.message;
  // The message quotes log lines and the names come from configs and logs: shown, never
  // acted on by the terminal (escape sequences, \r, NUL as visible escapes).
  return terminal_safe(fmt::format("{} {:<8} {:<8} {} {}: {} (value {}, threshold {})",
                                   iso8601_utc(t.at), upper(to_string(t.state)),
                                   to_string(f.severity), f.rule, who, message, figure(f.value),
                                   figure(f.threshold)));
}

void AlertPrinter::on_transition(const AlertTransition &t, const TickContext & /*ctx*/) {
  // Invalid UTF-8 from a log line must not abort the JSON dump: replace it.
  const std::string text = json_ ? json_line(alert_json(t)) : alert_line(t);
  out_.write(text);
  out_.write("\n");
  out_.flush();
}

} // namespace clustertop
