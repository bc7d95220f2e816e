// --exit-on SEVERITY (headless): notes the first alert that fires at that severity or worse,
// so that a watch or a replay ends there with exit status 5 (a script or a systemd unit that
// waits for trouble, a CI job that checks a log).
#pragma once

#include <optional>
#include <string>

#include "clustertop/sink/sink.hpp"

namespace clustertop {

// --exit-on's word (the command line allows warning and critical only).
inline Severity severity_named(const std::string &word) {
  return word == "critical" ? Severity::critical : Severity::warning;
}

class ExitOnAlert : public Sink {
public:
  explicit ExitOnAlert(Severity at_least) : at_least_(at_least) {}

  void on_transition(const AlertTransition &t, const TickContext & /*ctx*/) override {
    if (!first_ && t.state == AlertState::firing && t.finding.severity >= at_least_) first_ = t;
  }
  // The first such alert, if one fired.
  [[nodiscard]] const std::optional<AlertTransition> &fired() const { return first_; }

private:
  Severity at_least_;
  std::optional<AlertTransition> first_;
};

} // namespace clustertop
