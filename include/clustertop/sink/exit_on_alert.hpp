// --exit-on SEVERITY (headless): notes the first alert that fires at that severity or worse,
// so that a watch or a replay ends there with exit status 5 (a script or a systemd unit that
// waits for trouble, a CI job that checks a log).
#pragma once

#include <fmt/format.h>
#include <optional>
#include <string>

#include "clustertop/core/result.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

class ExitOnAlert : public Sink {
public:
  // `word`: warning or critical, as the command line allows.
  explicit ExitOnAlert(std::string word)
      : word_(std::move(word)),
        at_least_(word_ == "critical" ? Severity::critical : Severity::warning) {}

  void on_transition(const AlertTransition &t, const TickContext & /*ctx*/) override {
    if (!first_ && t.state == AlertState::firing && t.finding.severity >= at_least_) first_ = t;
  }
  // The first such alert, if one fired.
  [[nodiscard]] const std::optional<AlertTransition> &fired() const { return first_; }
  // What stopped the run, for stderr: "--exit-on critical: critical crash fired on mac1 at …".
  [[nodiscard]] std::string said() const {
    if (!first_) return {};
    const Finding &f = first_->finding;
    return fmt::format("--exit-on {}: {} {} fired on {} at {}", word_, to_string(f.severity),
                       f.rule, f.node.empty() ? "the cluster" : f.node, iso8601_utc(first_->at));
  }
  // Where it cannot apply: a dashboard ends with q, a snapshot after --for.
  static Error needs_headless() {
    return Error{"--exit-on needs --headless", "a dashboard ends with q, a snapshot after --for",
                 "", "add --headless"};
  }

private:
  std::string word_;
  Severity at_least_;
  std::optional<AlertTransition> first_;
};

} // namespace clustertop
