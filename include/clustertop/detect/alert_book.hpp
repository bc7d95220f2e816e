// AlertBook: turns each evaluation's findings into alert transitions. Owns the open alerts
// (pending or firing), keyed by (rule, node, subject): `for` before firing, `clear_after`
// before resolving, one transition per change (de-dup). Never reads a clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "clustertop/detect/finding.hpp"
#include "clustertop/detect/rules.hpp"

namespace clustertop {

class AlertBook {
public:
  explicit AlertBook(Rules rules) : rules_(std::move(rules)) {}

  // Everything the detectors found at `now`. Returns the transitions, in order:
  //  new finding -> pending (or firing at once when its rule's `for` is 0);
  //  pending for `for` -> firing; firing with a higher severity held for `for` without a
  //  break -> firing again at it (one sample's chance fit of a noisy memory series made a
  //  firing time_to_oom warning critical for the rest of its episode; until the rise has
  //  held, the alert keeps the severity it fired with);
  //  firing, absent for `clear_after` -> resolved. A pending alert whose finding goes
  //  away before `for` is dropped without a transition, and while it keeps coming back its
  //  pending is announced at most once per kPendingQuiet (a finding that flickers around
  //  its threshold, evaluated after every batch of lines, printed a PENDING line for each
  //  flicker: 30 in 3 s). Firing starts a new episode: its next pending is news again.
  std::vector<AlertTransition> update(const std::vector<Finding> &findings, TimePoint now);
  static constexpr Duration kPendingQuiet = std::chrono::seconds(60);

  // Every time kept moves by `step`: this machine's clock was stepped (Pipeline::clock_stepped).
  void shift(Duration step);

  // Alerts firing now, in key order.
  [[nodiscard]] std::vector<Finding> firing() const;
  [[nodiscard]] std::size_t open_count() const { return open_.size(); }
  [[nodiscard]] const Rules &rules() const { return rules_; }

private:
  using Key = std::tuple<std::string, std::string, std::string>; // rule, node, subject
  struct Open {
    Finding finding;
    AlertState state = AlertState::pending;
    TimePoint first_seen;
    TimePoint last_seen;
    Severity fired{};                // the severity of its last firing transition
    std::optional<TimePoint> rising; // since when its finding has been above `fired`
    std::optional<TimePoint> easing; // since when it has been below `fired`
  };
  void see(const Finding &f, TimePoint now, std::vector<AlertTransition> &out);

  Rules rules_;
  std::map<Key, Open> open_;
  std::map<Key, TimePoint> announced_; // when a pending was last announced; kept kPendingQuiet
};

} // namespace clustertop
