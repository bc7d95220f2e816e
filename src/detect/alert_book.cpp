#include "clustertop/detect/alert_book.hpp"

#include <algorithm>
#include <set>

namespace clustertop {

void AlertBook::Gaps::add(TimePoint end, Duration length) {
  if (length > Duration::zero()) list_.emplace_back(end, length);
}

bool AlertBook::Gaps::held(TimePoint since, TimePoint now, Duration for_) const {
  if (now - since < for_) return false;
  const TimePoint from = now - for_;
  Duration missing{0};
  for (const auto &[end, length] : list_)
    if (end > from) missing += end - std::max(end - length, from);
  return missing * 2 <= for_;
}

void AlertBook::Gaps::forget_before(TimePoint t) {
  std::erase_if(list_, [t](const auto &g) { return g.first <= t; });
}

void AlertBook::Gaps::shift(Duration step) {
  for (auto &g : list_) g.first += step;
}

void AlertBook::see(const Finding &f, TimePoint now, std::vector<AlertTransition> &out) {
  const auto &policy = rules_.policy(f.rule);
  Key key{f.rule, f.node, f.subject};
  auto it = open_.find(key);
  if (it == open_.end()) {
    const auto state = policy.for_.count() <= 0 ? AlertState::firing : AlertState::pending;
    it = open_.emplace(key, Open(f, state, now)).first;
    // A pending is announced at most once per kPendingQuiet while it keeps coming back.
    if (state == AlertState::pending) {
      const auto last = announced_.find(key);
      if (last != announced_.end() && now - last->second < kPendingQuiet) return;
      announced_[key] = now;
    }
    out.push_back(AlertTransition{f, state, now, now});
    return;
  }
  Open &o = it->second;
  o.last_seen = now;
  if (o.state == AlertState::firing && f.episode > o.finding.episode) {
    // Another occurrence: the one before is over, this one is news. An episode that begins
    // earlier is the same one, seen more fully: an older line of it that arrived late (a
    // log read back) resolved the alert and paged it again.
    out.push_back(AlertTransition{o.finding, AlertState::resolved, o.first_seen, now});
    o = Open(f, AlertState::firing, now);
    out.push_back(AlertTransition{f, AlertState::firing, now, now});
    return;
  }
  if (o.state == AlertState::pending) {
    o.finding = f;
    if (!o.missing.held(o.first_seen, now, policy.for_)) return;
    o.state = AlertState::firing;
    o.missing.clear();
    o.fired = f.severity;
    announced_.erase(key); // this episode is news now; the next one's pending is too
    out.push_back(AlertTransition{f, AlertState::firing, o.first_seen, now});
    return;
  }
  // The same episode, firing again at the finding's severity, in its words.
  const auto fire_again = [&] {
    o.finding = f;
    o.fired = f.severity;
    o.rising.reset();
    o.easing.reset();
    out.push_back(AlertTransition{f, AlertState::firing, o.first_seen, now});
  };
  if (f.severity < o.fired) {
    // A milder finding leaves a firing alert the finding it fired as, words and severity: the
    // exports said "warning" for a crash whose FIRING line, hook and JSON said critical (a
    // runner's routine exit after its death by a signal), and then that exit's words.
    // Until it has been milder for as long as an absent finding takes to resolve
    // (`clear_after`): then the alert fires again at the milder severity, in its words. A
    // critical time_to_oom fired by a prefill's steep fall said "out of memory in about 54 s"
    // for the 20 minutes of decode after it. (Crashes clear at once and are events, not
    // estimates: they keep what they fired as.)
    o.rising.reset();
    if (policy.clear_after <= Duration::zero()) return;
    if (!o.easing) o.easing = now;
    if (now - *o.easing >= policy.clear_after) fire_again();
    return;
  }
  o.easing.reset();
  if (f.severity == o.fired) {
    o.finding = f;
    o.rising.reset();
    return;
  }
  if (!o.rising) o.rising = now;
  // Not yet: the alert stays the finding it last was at the severity it fired with, message
  // and all (a CSV row said "warning" beside the critical finding's "critical under 512 MiB").
  // Unlike a pending, without a break: on a noisy ramp a rise that held half of `for` was
  // the estimate's noise crossing the critical threshold.
  if (now - *o.rising >= policy.for_) fire_again();
}

std::vector<AlertTransition> AlertBook::update(const std::vector<Finding> &findings,
                                               TimePoint now) {
  std::vector<AlertTransition> out;
  // What this evaluation stands for: the time since the one before (none after a step back).
  const Duration since_last =
      last_update_ ? std::max(now - *last_update_, Duration::zero()) : Duration::zero();
  last_update_ = now;
  std::set<Key> seen;
  for (const auto &f : findings) {
    if (f.sustain_only) { // keeps a firing alert alive, nothing else
      const auto it = open_.find(Key{f.rule, f.node, f.subject});
      if (it != open_.end() && it->second.state == AlertState::firing &&
          seen.insert(it->first).second) {
        Open &o = it->second;
        o.last_seen = now;
        if (!f.message.empty()) { // its current words (an estimate that moved on)
          const Severity fired = o.finding.severity;
          o.finding = f;
          o.finding.sustain_only = false;
          o.finding.severity = fired;
        }
      }
      continue;
    }
    if (seen.insert(Key{f.rule, f.node, f.subject}).second) see(f, now, out);
  }
  for (auto it = open_.begin(); it != open_.end();) {
    Open &o = it->second;
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    const AlertPolicy &policy = rules_.policy(o.finding.rule);
    if (o.state == AlertState::pending) {
      // Missing for more than half of `for` in a row: it cannot have held; dropped.
      if ((now - o.last_seen) * 2 > policy.for_) {
        it = open_.erase(it);
        continue;
      }
      o.missing.add(now, since_last);
      o.missing.forget_before(now - policy.for_);
      ++it;
    } else if (now - o.last_seen >= policy.clear_after) {
      out.push_back(AlertTransition{o.finding, AlertState::resolved, o.first_seen, now});
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(announced_, [now](const auto &a) { return now - a.second >= kPendingQuiet; });
  return out;
}

std::vector<Finding> AlertBook::firing() const {
  std::vector<Finding> out;
  for (const auto &[key, o] : open_)
    if (o.state == AlertState::firing) out.push_back(o.finding);
  return out;
}

void AlertBook::shift(Duration step) {
  for (auto &[key, a] : open_) {
    // The episode is its first line's time, which the store moved too: the same episode (a
    // crash read as another one after a step back of 5 s paged twice).
    if (a.finding.episode != 0) a.finding.episode += step.count();
    a.first_seen += step;
    a.last_seen += step;
    a.missing.shift(step);
    if (a.rising) *a.rising += step;
    if (a.easing) *a.easing += step;
  }
  for (auto &[key, t] : announced_) t += step;
  if (last_update_) *last_update_ += step;
}

} // namespace clustertop
