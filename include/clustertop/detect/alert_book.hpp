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
  //  pending held for `for` -> firing; firing with a higher severity held for `for` without
  //  a break -> firing again at it (one sample's chance fit of a noisy memory series made a
  //  firing time_to_oom warning critical for the rest of its episode; until the rise has
  //  held, the alert keeps the severity it fired with);
  //  firing, absent for `clear_after` -> resolved.
  //  A pending has held once it has lasted `for` and its finding was missing from at most
  //  half of the last `for` (see Gaps); missing for more than half of `for` in a row, it is
  //  dropped without a transition. While a pending keeps coming back it is announced at most
  //  once per kPendingQuiet (a finding that flickers, evaluated after every batch of lines,
  //  printed a PENDING line for each flicker: 30 in 3 s). Firing starts a new episode: its
  //  next pending is news again.
  std::vector<AlertTransition> update(const std::vector<Finding> &findings, TimePoint now);
  static constexpr Duration kPendingQuiet = std::chrono::seconds(60);

  // Every time kept moves by `step`: this machine's clock was stepped (Pipeline::clock_stepped).
  void shift(Duration step);

  // Alerts firing now, in key order.
  [[nodiscard]] std::vector<Finding> firing() const;
  [[nodiscard]] std::size_t open_count() const { return open_.size(); }
  [[nodiscard]] const Rules &rules() const { return rules_; }

private:
  // The stretches of time a pending's finding was missing from, kept for the last `for`.
  // Each evaluation stands for the time since the one before. A finding that
  // sits on its threshold (GPU memory at 97.96-98.04 % against 98 %, macOS pressure "warn"
  // two thirds of the time) had to hold `for` without a single break, and never fired.
  class Gaps {
  public:
    void add(TimePoint end, Duration length);
    // Whether a finding seen since `since` (and now) has held for `for_`: lasted it, and
    // missing for at most half of the last `for_`.
    [[nodiscard]] bool held(TimePoint since, TimePoint now, Duration for_) const;
    void forget_before(TimePoint t);
    void shift(Duration step);
    void clear() { list_.clear(); }

  private:
    std::vector<std::pair<TimePoint, Duration>> list_; // (end, length)
  };

  using Key = std::tuple<std::string, std::string, std::string>; // rule, node, subject
  struct Open {
    Open(const Finding &f, AlertState s, TimePoint now)
        : finding(f), state(s), first_seen(now), last_seen(now), fired(f.severity) {}
    Finding finding;
    AlertState state = AlertState::pending;
    TimePoint first_seen;
    TimePoint last_seen;
    Gaps missing;                    // while pending: the finding's gaps
    Severity fired{};                // the severity of its last firing transition
    std::optional<TimePoint> rising; // since when its finding has been above `fired`
    std::optional<TimePoint> easing; // since when it has been below `fired`
  };
  void see(const Finding &f, TimePoint now, std::vector<AlertTransition> &out);

  Rules rules_;
  std::map<Key, Open> open_;
  std::map<Key, TimePoint> announced_;   // when a pending was last announced; kept kPendingQuiet
  std::optional<TimePoint> last_update_; // the evaluation before: what each one stands for
};

} // namespace clustertop
