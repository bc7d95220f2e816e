// AlertPrinter: the headless output. One readable line, or one JSON object per line
// (--json), per alert transition, flushed at once. Owns nothing but its format.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "clustertop/core/report.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

// {"rule","node","subject","severity","state","value","threshold","message","first_seen",
//  "time"}; times ISO 8601 UTC; NaN -> null.
nlohmann::json alert_json(const AlertTransition &t);
// `j` as one line of JSON text: bytes that are not UTF-8 become U+FFFD, and U+0085, U+2028
// and U+2029 (line ends to Unicode-aware readers such as Python's splitlines) are written as
// \u escapes, so that a log line quoted in a message never splits a record in two.
std::string json_line(const nlohmann::json &j);
// "2026-02-23T18:07:01.123Z FIRING critical gpu_spin mac2: <message> (value 56, threshold 10)"
std::string alert_line(const AlertTransition &t);

class AlertPrinter : public Sink {
public:
  AlertPrinter(std::FILE *out, bool json) : out_(out), json_(json) {}
  void on_transition(const AlertTransition &t, const TickContext &ctx) override;
  void flush() override { out_.flush(); }
  // The errno of the first write to `out` that failed, or 0.
  [[nodiscard]] int failed() const { return out_.failed(); }

private:
  CheckedOutput out_;
  bool json_;
};

} // namespace clustertop
