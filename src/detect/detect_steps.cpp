// Step-timing detectors: fence_wait stalls, step stalls and the cluster view, throughput.
#include <algorithm>
#include <fmt/format.h>

#include "clustertop/detect/detectors.hpp"
#include "series_math.hpp"

namespace clustertop {
namespace {

using detail::fresh_max;
using detail::last_known;
using detail::median;
using detail::sampled;
using detail::window;

constexpr std::size_t kRateSamples = 48; // a median of 48 spread points is plenty

bool is_rate(const std::string &metric) {
  return metric.size() > 6 && metric.compare(metric.size() - 6, 6, "_per_s") == 0;
}

// The newest point that shows progress: any known value, or a positive rate.
std::optional<Point> last_progress(const Series *s, bool rate) {
  if (s == nullptr) return std::nullopt;
  for (std::size_t i = s->size(); i > 0; --i) {
    const Point &p = (*s)[i - 1];
    if (is_known(p.value) && (!rate || p.value > 0)) return p;
  }
  return std::nullopt;
}

struct StallInfo {
  std::string node;
  TimePoint last;
  double silence_s = 0;
  double threshold_s = 0;
  double power = kUnknown; // the GPU figure that decided busy/idle
  bool gpu_known = false;
  bool gpu_busy = false;
};

bool finished_after(const DetectView &store, const std::string &node, const StallRules &r,
                    TimePoint last) {
  auto running = last_known(store.series({node, "req.running", ""}));
  if (running && running->time >= last && running->value == 0) return true;
  for (const auto &m : r.done) {
    auto p = last_known(store.series({node, m, ""}));
    if (p && p->time >= last) return true;
  }
  return false;
}

void classify_gpu(const DetectView &store, const StallRules &r, TimePoint now, StallInfo &st) {
  const double power = fresh_max(store, st.node, "gpu.power_w", now, r.gpu_fresh);
  const double ratio = fresh_max(store, st.node, "gpu.active_ratio", now, r.gpu_fresh);
  const double util = fresh_max(store, st.node, "gpu.util_pct", now, r.gpu_fresh);
  st.gpu_known = is_known(power) || is_known(ratio) || is_known(util);
  st.gpu_busy = (is_known(power) && power >= r.busy_power_w) ||
                (is_known(ratio) && ratio >= r.busy_ratio) ||
                (is_known(util) && util >= r.busy_util_pct);
  st.power = is_known(power) ? power : is_known(util) ? util : ratio;
}

std::optional<StallInfo> node_stall(const DetectView &store, const StallRules &r,
                                    const std::string &node, TimePoint now) {
  const Series *primary = nullptr;
  std::optional<Point> last;
  bool rate = false;
  for (const auto &m : r.progress) {
    const Series *s = store.series({node, m, ""});
    auto p = last_progress(s, is_rate(m));
    if (p && (!last || p->time > last->time)) last = p, primary = s, rate = is_rate(m);
  }
  if (!last || now - last->time < r.after) return std::nullopt;
  auto active = window(primary, last->time - r.active_window, last->time, 33);
  if (rate) std::erase_if(active, [](const Point &p) { return !(p.value > 0); });
  if (active.size() < std::max<std::size_t>(r.min_steps, 2)) return std::nullopt;
  std::vector<double> gaps;
  for (std::size_t i = 1; i < active.size(); ++i)
    gaps.push_back(to_seconds(active[i].time - active[i - 1].time));
  const double interval = median(gaps);
  StallInfo st{node, last->time, to_seconds(now - last->time), to_seconds(r.after)};
  // Rate lines are periodic reports: one missed report past `after` is enough.
  if (is_known(interval))
    st.threshold_s =
        rate ? st.threshold_s + interval : std::max(st.threshold_s, r.interval_multiple * interval);
  if (st.silence_s < st.threshold_s || finished_after(store, node, r, last->time))
    return std::nullopt;
  classify_gpu(store, r, now, st);
  return st;
}

std::string gpu_words(const StallInfo &st) {
  if (!st.gpu_known) return "GPU state unknown";
  if (st.gpu_busy)
    return fmt::format("GPU still busy ({:.0f}): spinning, likely stuck in fence_wait", st.power);
  return fmt::format("GPU idle ({:.0f}): waiting on a peer", st.power);
}

void cluster_view(const DetectView &store, const std::vector<StallInfo> &stalled,
                  std::vector<Finding> &out) {
  if (stalled.size() < 2) return;
  std::size_t busy = 0;
  const StallInfo *culprit = &stalled.front();
  for (const auto &st : stalled) {
    if (st.gpu_busy) ++busy;
    if (st.last < culprit->last) culprit = &st;
  }
  if (busy == 1)
    for (const auto &st : stalled)
      if (st.gpu_busy) culprit = &st;
  std::string why;
  for (const auto &st : stalled) { // a node that dropped off explains the others best
    const NodeInfo *info = store.node(st.node);
    if (info != nullptr && info->state == NodeState::down)
      culprit = &st, why = "node down: " + info->detail;
  }
  if (why.empty()) why = gpu_words(*culprit);
  std::string waiting;
  for (const auto &st : stalled)
    if (&st != culprit) waiting += (waiting.empty() ? "" : ", ") + st.node;
  out.push_back(Finding{"cluster_stall", "", culprit->node, Severity::critical,
                        static_cast<double>(stalled.size()), 2.0,
                        fmt::format("cluster stalled: {} stopped first (last step {}; {}); {} "
                                    "stopped after it and are waiting on it",
                                    culprit->node, iso8601_utc(culprit->last), why, waiting)});
}

} // namespace

void detect_fence_wait(const DetectView &store, const Rules &rules, TimePoint now,
                       std::vector<Finding> &out) {
  const auto &r = rules.fence_wait;
  for (const auto &node : store.nodes()) {
    const Series *s = store.series({node, "step.fence_wait_ms", ""});
    // The worst of the last median_window steps within `fresh`: a drain may bring several
    // steps after the spike. The median includes the spike: it is robust to one.
    std::vector<double> vals;
    Point worst{TimePoint::min(), kUnknown};
    for (const auto &p : window(s, TimePoint::min(), now, r.median_window)) {
      vals.push_back(p.value);
      if (p.time >= now - r.fresh && !(p.value <= worst.value)) worst = p;
    }
    if (!is_known(worst.value)) continue;
    const double value = worst.value;
    const double med =
        vals.size() >= r.min_samples ? median(vals) : kUnknown; // robust to the spike
    const bool rel = is_known(med) && med > 0 && value > r.median_multiple * med;
    if (!(value > r.abs_ms) && !rel) continue;
    const double threshold = value > r.abs_ms ? r.abs_ms : r.median_multiple * med;
    std::string normal = is_known(med) ? fmt::format("its median is {:.2f} ms", med)
                                       : std::string("too few steps for a median");
    out.push_back(Finding{"fence_wait_stall", node, "", Severity::warning, value, threshold,
                          fmt::format("fence_wait took {:.1f} ms on the step at {} ({}; "
                                      "threshold {:.1f} ms): the GPU is waiting long on a "
                                      "fence, a deadlock may follow",
                                      value, iso8601_utc(worst.time), normal, threshold)});
  }
}

void detect_stalls(const DetectView &store, const Rules &rules, TimePoint now,
                   std::vector<Finding> &out) {
  std::vector<StallInfo> stalled;
  for (const auto &node : store.nodes()) {
    auto st = node_stall(store, rules.stall, node, now);
    if (!st) continue;
    out.push_back(Finding{"step_stall", node, "", Severity::critical, st->silence_s,
                          st->threshold_s,
                          fmt::format("no step for {:.0f} s while generating (last step {}); {}",
                                      st->silence_s, iso8601_utc(st->last), gpu_words(*st))});
    if (st->gpu_busy)
      out.push_back(Finding{"gpu_spin", node, "", Severity::critical, st->power,
                            rules.stall.busy_power_w,
                            fmt::format("steps stopped {:.0f} s ago but the GPU stays busy "
                                        "({:.0f}): the fence_wait deadlock shape; restart "
                                        "the runner on this node",
                                        st->silence_s, st->power)});
    stalled.push_back(std::move(*st));
  }
  cluster_view(store, stalled, out);
}

void detect_overhead(const DetectView &store, const Rules &rules, TimePoint now,
                     std::vector<Finding> &out) {
  const auto &r = rules.overhead;
  for (const auto &node : store.nodes()) {
    auto eval = window(store.series({node, "step.eval_ms", ""}), TimePoint::min(), now, r.window);
    if (eval.empty() || eval.back().time < now - r.fresh) continue;
    const auto from = eval.front().time;
    auto model = window(store.series({node, "step.model_ms", ""}), from, now, 2 * r.window);
    auto gpu = window(store.series({node, "step.gpu_eval_ms", ""}), from, now, 2 * r.window);
    // The parts of one step come from one line, so they share its timestamp.
    // Both lists are in time order: walk them forward with the eval points.
    auto at = [](const std::vector<Point> &v, std::size_t &pos, TimePoint t) {
      while (pos < v.size() && v[pos].time < t) ++pos;
      return pos < v.size() && v[pos].time == t ? v[pos].value : kUnknown;
    };
    std::size_t mi = 0, gi = 0;
    std::vector<double> shares;
    double last_e = kUnknown, last_m = kUnknown, last_g = kUnknown;
    for (const auto &e : eval) {
      const double m = at(model, mi, e.time), g0 = at(gpu, gi, e.time), g = is_known(g0) ? g0 : 0.0;
      if (!is_known(m) || !(e.value > 0) || m + g > e.value) continue;
      shares.push_back((e.value - m - g) / e.value);
      last_e = e.value, last_m = m, last_g = g;
    }
    if (shares.size() < r.min_samples) continue;
    const double share = median(shares);
    if (!(share > r.share)) continue;
    out.push_back(Finding{
        "orchestration_overhead", node, "", Severity::warning, share, r.share,
        fmt::format("orchestration overhead is {:.0f}% of each step (last step: eval {:.1f} ms, "
                    "model {:.1f} ms, gpu_eval {:.1f} ms): time lost outside the GPU",
                    share * 100, last_e, last_m, last_g)});
  }
}

void detect_throughput(const DetectView &store, const Rules &rules, TimePoint now,
                       std::vector<Finding> &out) {
  const auto &r = rules.throughput;
  const TimePoint split = now - r.recent_window;
  for (const auto &node : store.nodes()) {
    auto running = last_known(store.series({node, "req.running", ""}));
    if (running && running->value == 0) continue;
    std::vector<double> base, recent;
    const Series *tps = store.series({node, "gen.tokens_per_s", ""});
    for (const auto &p : sampled(tps, split - r.baseline_window, split, kRateSamples))
      base.push_back(p.value);
    if (base.size() < r.min_baseline) { // engines without a rate line: 1 token per step
      base.clear();
      tps = store.series({node, "step.eval_ms", ""});
      for (const auto &p : sampled(tps, split - r.baseline_window, split, kRateSamples))
        if (p.value > 0) base.push_back(1000.0 / p.value);
      for (const auto &p : sampled(tps, split, now, kRateSamples))
        if (p.value > 0) recent.push_back(1000.0 / p.value);
    } else {
      for (const auto &p : sampled(tps, split, now, kRateSamples)) recent.push_back(p.value);
    }
    if (base.size() < r.min_baseline || recent.size() < r.min_recent) continue;
    const double b = median(base), v = median(recent);
    if (!(b > 0) || !(v < r.ratio * b)) continue;
    out.push_back(Finding{"throughput_collapse", node, "", Severity::warning, v, r.ratio * b,
                          fmt::format("generation throughput {:.1f} tok/s, down from a "
                                      "baseline of {:.1f} tok/s (alert under {:.0f}%)",
                                      v, b, r.ratio * 100)});
  }
}

} // namespace clustertop
