// Step-timing detectors: fence_wait stalls, orchestration overhead, throughput collapse.
#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <span>

#include "clustertop/core/text.hpp"
#include "clustertop/detect/detectors.hpp"
#include "series_math.hpp"
#include "stall_signals.hpp"

namespace clustertop {
namespace {

using detail::kLongestPrefill;
using detail::last_known;
using detail::median;
using detail::MetricId;
using detail::request_ended;
using detail::sampled;
using detail::slots_decoding;
using detail::stall_metrics;
using detail::StallMetrics;

constexpr std::size_t kRateSamples = 48; // a median of 48 spread points is plenty

// Steps a second from a step time in ms (unknown for none). The shortcut below and the
// medians it stands in for must convert alike, so there is one conversion.
double step_rate(const Point &p) { return p.value > 0 ? 1000.0 / p.value : kUnknown; }

// Throughput from step times cannot have collapsed when even the slowest recent step is
// faster than `ratio` of the fastest baseline step: each median lies within its window's
// bounds, and sampled() only picks from those windows. Kept from the new steps only.
bool steps_cannot_collapse(const Series &s, TimePoint from, TimePoint split, TimePoint now,
                           double ratio, NodeFigures &fig) {
  if (!(ratio >= 0)) return false;
  // time_range(s, from, split) and time_range(s, split, now), searching `split` once; in
  // time order from the last tick's edges (the same indexes).
  const bool in_order = s.in_time_order();
  auto edge = [&](std::size_t k, TimePoint t) {
    return in_order ? fig.eval_edges[k].find(s, t) : detail::first_at_or_after(s, t);
  };
  const std::size_t b0 = edge(0, from);
  const std::size_t r0 = edge(1, split);
  const std::size_t b1 = detail::past_equal(s, r0, split);
  const std::size_t r1 = detail::past_equal(s, edge(2, now), now);
  const auto rate = [](const Point &p) { return step_rate(p); }; // inlined where it is used
  const double high = fig.rate_base_high.update(s, b0, b1, rate);
  const double low = fig.rate_recent_low.update(s, r0, r1, rate);
  return !is_known(high) || !is_known(low) || low >= ratio * high; // none: too few to judge
}

// The value of a step part (model, gpu_eval) at a step's time, found by walking back
// through the part's series as the steps are walked back: the parts of one step come from
// its line, so they share its timestamp. Unknown when no known point has that time.
class PartCursor {
public:
  explicit PartCursor(const Series *s) {
    if (s != nullptr) ring_ = s->view(), i_ = ring_.size;
  }
  // Times asked for fall (a step's time, then an earlier step's). The newest point at `t`,
  // each time asked: for a report's parts (vLLM's), which have a time of their own.
  double value_at(TimePoint t) {
    for (; i_ > 0; --i_) {
      const Point &p = ring_[i_ - 1];
      if (p.time > t || !is_known(p.value)) continue; // a later step's, or unknown
      return p.time == t ? p.value : kUnknown;
    }
    return kUnknown;
  }
  // The next point at `t` not taken yet: steps that share a timestamp (bare `[STEP N]` lines
  // take the stamp of the line before them) take their parts in the order of their lines.
  double take_at(TimePoint t) {
    skip_later(t);
    for (; i_ > 0 && ring_[i_ - 1].time == t; --i_)
      if (const double v = ring_[i_ - 1].value; is_known(v)) return --i_, v;
    return kUnknown;
  }
  // How many known points at `t` are not taken yet.
  std::size_t count_at(TimePoint t) {
    skip_later(t);
    std::size_t n = 0;
    for (std::size_t k = i_; k > 0 && ring_[k - 1].time == t; --k)
      n += is_known(ring_[k - 1].value) ? 1 : 0;
    return n;
  }

private:
  void skip_later(TimePoint t) {
    while (i_ > 0 && ring_[i_ - 1].time > t) --i_; // a later step's
  }
  Series::View ring_{nullptr, 0, 0, 0};
  std::size_t i_ = 0;
};

// How many known steps share the time of eval[i - 1], from it back.
std::size_t steps_at(const Series::View &eval, std::size_t i) {
  const TimePoint t = eval[i - 1].time;
  std::size_t n = 0;
  for (; i > 0 && eval[i - 1].time == t; --i) n += is_known(eval[i - 1].value) ? 1 : 0;
  return n;
}

} // namespace

void detect_fence_wait(const DetectView &view, const Rules &rules, TimePoint now,
                       DetectScratch &tmp, std::vector<Finding> &out) {
  const auto &r = rules.fence_wait;
  const MetricId id = view.metric_id("step.fence_wait_ms");
  if (id == DetectView::kNoMetric) return;
  const TimePoint fresh_from = now - r.fresh;
  auto &vals = tmp.values[0];
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    const Series *s = view.series(n, id);
    if (s == nullptr) continue;
    // The worst of the last median_window steps within `fresh`: a drain may bring several
    // steps after the spike. The median includes the spike: it is robust to one.
    // (window() read in place, newest first: of equal worst values the oldest is kept.)
    // First pass: only count, so that a node where nothing can fire copies no values.
    // Known values only below, so plain comparisons with infinite starting bounds decide
    // alike: "at least the worst so far" keeps the oldest of equal values (read newest
    // first), and no point in `fresh` leaves the worst's index at none.
    const Series::View v = s->view();
    constexpr double kInf = std::numeric_limits<double>::infinity();
    double worst_value = -kInf, lowest = kInf;
    std::size_t worst = v.size; // none
    std::size_t count = 0, i = v.size;
    for (; i > 0 && count < r.median_window; --i) {
      const Point &p = v[i - 1];
      if (p.time > now || !is_known(p.value)) continue; // not yet, or unknown
      ++count;
      if (p.time >= fresh_from && p.value >= worst_value) worst_value = p.value, worst = i - 1;
      lowest = std::min(lowest, p.value);
    }
    if (worst == v.size) continue;
    const double value = worst_value;
    // The median is at least the lowest value: when even that cannot make the spike
    // relative, the median (a partial sort) is not needed to know nothing fires.
    // Below the relative test's floor only the absolute one may fire: 1 ms on 2 ms steps
    // (the seeds' normal range) was "a deadlock may follow" for as long as they ran.
    if (!(value > r.abs_ms) && (!(value > r.relative_floor_ms) || count < r.min_samples ||
                                (r.median_multiple >= 0 && value <= r.median_multiple * lowest)))
      continue;
    vals.clear(); // the points the first pass counted: the known ones of [i, size) by `now`
    for (std::size_t k = i; k < v.size; ++k) {
      const Point &p = v[k];
      if (p.time <= now && is_known(p.value)) vals.push_back(p.value);
    }
    const double med =
        vals.size() >= r.min_samples ? median(vals) : kUnknown; // robust to the spike
    // (Here a value not above abs_ms is above relative_floor_ms: the gate above.)
    // A median of 0 (every other wait 0.0 ms) makes any wait above the floor relative: it was
    // left out, and a 5 ms wait among zeros said nothing where one among 0.01 ms waits did.
    const bool rel = is_known(med) && value > r.median_multiple * med;
    if (!(value > r.abs_ms) && !rel) continue;
    const double threshold =
        value > r.abs_ms ? r.abs_ms : std::max(r.median_multiple * med, r.relative_floor_ms);
    std::string normal = is_known(med)
                             ? fmt::format("its median is {} ms", fixed_or_figures(med, 2))
                             : std::string("too few steps for a median");
    out.push_back(Finding{"fence_wait_stall", view.node_name(n), "", Severity::warning, value,
                          threshold,
                          fmt::format("fence_wait took {} ms on the step at {} ({}; "
                                      "threshold {} ms): the GPU is waiting long on a "
                                      "fence, a deadlock may follow",
                                      fixed_or_figures(value, 1), iso8601_utc(v[worst].time),
                                      normal, fixed_or_figures(threshold, 1))});
  }
}

void detect_overhead(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                     std::vector<Finding> &out) {
  const auto &r = rules.overhead;
  const MetricId eval_id = view.metric_id("step.eval_ms");
  if (eval_id == DetectView::kNoMetric) return;
  const MetricId model_id = view.metric_id("step.model_ms");
  const MetricId gpu_id = view.metric_id("step.gpu_eval_ms");
  auto &shares = tmp.values[0];
  // Steps that stopped for a stall's `after` are the stall's case: the overhead of the last
  // ones fired 26 s into a fence_wait deadlock, "time lost outside the GPU" beside a
  // gpu_spin. A node that is down has its node_down.
  const TimePoint fresh_from = now - std::min(r.fresh, rules.stall.after);
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    const Series *eval_s = view.series(n, eval_id);
    if (eval_s == nullptr) continue;
    if (const NodeInfo *info = view.node_info(n); info != nullptr && info->state == NodeState::down)
      continue;
    // The last `window` known steps up to `now`, newest first, each with the parts that
    // have its timestamp (read in the rings, not copied).
    const Series::View eval = eval_s->view();
    PartCursor model(view.series(n, model_id)), gpu(view.series(n, gpu_id));
    shares.clear();
    double last_e = kUnknown, last_m = kUnknown, last_g = kUnknown;
    double highest = kUnknown;
    bool fresh = false;
    std::size_t steps = 0;
    // Steps that share a timestamp are paired with their parts in line order where there
    // are as many parts as steps at that time (no gpu_eval at all counts as 0); otherwise
    // which part is whose is not known, and those steps are left out. Each step of four at
    // one stamp took the parts of the last: 100 ms steps of 90 ms model read as 95 %.
    TimePoint group = TimePoint::max();
    bool paired = false;
    for (std::size_t i = eval.size; i > 0 && steps < r.window; --i) {
      const Point &e = eval[i - 1];
      if (e.time > now || !is_known(e.value)) continue; // not yet, or unknown
      if (steps++ == 0 && !(fresh = e.time >= fresh_from)) break;
      if (e.time != group) {
        group = e.time;
        const std::size_t at = steps_at(eval, i), gpus = gpu.count_at(group);
        paired = model.count_at(group) == at && (gpus == at || gpus == 0);
      }
      if (!paired) continue;
      const double m = model.take_at(e.time), g0 = gpu.take_at(e.time);
      const double g = is_known(g0) ? g0 : 0.0;
      if (!is_known(m) || !(e.value > 0) || m + g > e.value) continue;
      const double share = (e.value - m - g) / e.value;
      shares.push_back(share);
      if (!is_known(highest)) last_e = e.value, last_m = m, last_g = g; // the newest step
      if (share > highest || !is_known(highest)) highest = share;
    }
    if (!fresh || shares.size() < r.min_samples) continue;
    // The median is at most the highest share: no need to sort when that one is fine.
    if (!is_known(highest) || !(highest > r.share)) continue;
    const double share = median(shares);
    if (!(share > r.share)) continue;
    out.push_back(Finding{
        "orchestration_overhead", view.node_name(n), "", Severity::warning, share, r.share,
        fmt::format("orchestration overhead is {:.0f}% of each step (last step: eval {} ms, "
                    "model {} ms, gpu_eval {} ms): time lost outside the GPU",
                    share * 100, fixed_or_figures(last_e, 1), fixed_or_figures(last_m, 1),
                    fixed_or_figures(last_g, 1))});
  }
}

namespace {

// Where the recent part begins for an engine that reports its rate less often than
// min_recent times a recent_window (vLLM logs every 10 s, so 15 s held one or two reports and
// a collapse never fired): at its min_recent-th newest report, when that lies within
// kSparseRecentReach recent windows; none otherwise (the engine went quiet: a stall's case).
constexpr int kSparseRecentReach = 4;
std::optional<TimePoint> sparse_recent_start(const Series &s, TimePoint now,
                                             const ThroughputRules &r) {
  if (r.min_recent == 0 || s.size() < r.min_recent) return std::nullopt;
  const TimePoint t = s[s.size() - r.min_recent].time;
  if (t > now || t < now - kSparseRecentReach * r.recent_window) return std::nullopt;
  return t;
}

// Whether a fall of the node's rate from b to v is a fall in its load, not in its speed: with
// the running-request count known in both parts (vLLM, SGLang), the rate per running request
// has not fallen under `ratio` of its baseline. 32 requests at 1055 tok/s, then 3 at 118
// tok/s, is 33 then 39 tok/s a request: a quieter server, which alerted as a collapse.
bool less_work_not_slower(const Series *running, TimePoint base_from, TimePoint base_to,
                          TimePoint recent_from, TimePoint now, double b, double v, double ratio,
                          DetectScratch &tmp) {
  if (running == nullptr) return false;
  auto median_in = [&](TimePoint from, TimePoint to) {
    sampled(running, from, to, kRateSamples, tmp.points[1]);
    auto &values = tmp.values[0]; // the baseline's values: b is taken already
    values.clear();
    for (const auto &p : tmp.points[1]) values.push_back(p.value);
    return values.empty() ? kUnknown : median(values);
  };
  const double base_running = median_in(base_from, base_to);
  const double recent_running = median_in(recent_from, now);
  if (!(base_running > 0) || !(recent_running > 0)) return false;
  return !(v / recent_running < ratio * (b / base_running));
}

// Whether a fall of the generation rate is prompts taking decoding's place, not a collapse:
// a burst of long prompts on a busy vLLM (chunked prefill shares each step with decoding)
// took generation from 1030 to 270 tok/s while the server read 5200 prompt tokens a second
// and ran more requests, and alerted. The server's tokens a second, prompt and generation of
// one report, must have fallen under `ratio` too, while generation still moves: a server that
// reads prompts and generates nothing for minutes (a preemption loop) is a collapse.
bool more_prompts_not_slower(const Series *prompt_rate, const Series *rate, TimePoint base_from,
                             TimePoint base_to, TimePoint recent_from, TimePoint now, double v,
                             double ratio, DetectScratch &tmp) {
  if (prompt_rate == nullptr || rate == nullptr || !(v > 0)) return false;
  const auto served = [&](TimePoint from, TimePoint to, std::vector<double> &values) {
    sampled(rate, from, to, kRateSamples, tmp.points[1]);
    values.clear();
    PartCursor prompt(prompt_rate); // the same report's prompt rate, walked back
    for (auto p = tmp.points[1].rbegin(); p != tmp.points[1].rend(); ++p)
      if (const double q = prompt.value_at(p->time); is_known(q)) values.push_back(p->value + q);
    return values.empty() ? kUnknown : median(values);
  };
  const double base = served(base_from, base_to, tmp.values[0]);
  const double recent = served(recent_from, now, tmp.values[1]);
  return is_known(base) && is_known(recent) && !(recent < ratio * base);
}

// Whether a fall of a slot's rate is more work, not a collapse: llama.cpp's rate is one
// slot's (tg_3s), and with more slots decoding each is slower while the server does more.
// One slot at 60 t/s, then four at 18 t/s each (72 t/s in all), alerted. The server's rate
// (each report's rate times the slots decoding then) must have fallen under `ratio`.
bool more_slots_not_slower(const DetectView &view, std::size_t node, MetricId decoded,
                           const Series *rate, TimePoint base_from, TimePoint base_to,
                           TimePoint recent_from, TimePoint now, double ratio, DetectScratch &tmp) {
  if (decoded == DetectView::kNoMetric || rate == nullptr) return false;
  const auto server_rate = [&](TimePoint from, TimePoint to, std::vector<double> &values) {
    sampled(rate, from, to, kRateSamples, tmp.points[1]);
    values.clear();
    for (const auto &p : tmp.points[1]) {
      const int slots = slots_decoding(view, node, decoded, p.time);
      if (slots == 0) return kUnknown; // not a slot's rate
      values.push_back(p.value * slots);
    }
    return values.empty() ? kUnknown : median(values);
  };
  const double base = server_rate(base_from, base_to, tmp.values[0]);
  const double recent = server_rate(recent_from, now, tmp.values[1]);
  return is_known(base) && is_known(recent) && !(recent < ratio * base);
}

// Whether a generation-rate report of 0 came while the server was reading prompts (vLLM:
// "Avg prompt throughput: 5800.0 tokens/s, Avg generation throughput: 0.0 tokens/s"): decoding
// paused for a prefill, which says nothing of its speed. The prompt rate is on the same line,
// so it has the same time.
// Not past kLongestPrefill since the generation rate was last above 0 (`rate`: its series).
bool paused_for_prefill(const Series *prompt_rate, const Series &rate, const Point &p) {
  if (p.value != 0) return false;
  const auto prompt = detail::nearest(prompt_rate, p.time, Duration::zero()); // its report's
  if (!prompt || !(prompt->value > 0)) return false;
  for (std::size_t i = rate.size(); i > 0; --i) {
    const Point &g = rate[i - 1];
    if (g.time < p.time - kLongestPrefill) break;
    if (g.time <= p.time && g.value > 0) return true;
  }
  return false;
}

} // namespace

void detect_throughput(const DetectView &view, const Rules &rules, TimePoint now,
                       DetectScratch &tmp, std::vector<Finding> &out) {
  const auto &r = rules.throughput;
  const TimePoint split = now - r.recent_window;
  const StallMetrics ids = stall_metrics(view, rules.stall, tmp.metrics); // requests' ends
  const MetricId running_id = ids.running;
  const MetricId rate_id = view.metric_id("gen.tokens_per_s");
  const MetricId prompt_rate_id = view.metric_id("prompt.tokens_per_s");
  const MetricId decoded_id = view.metric_id("gen.decoded_tokens");
  const MetricId eval_id = view.metric_id("step.eval_ms");
  auto &pts = tmp.points[0];
  auto &base = tmp.values[0];
  auto &recent = tmp.values[1];
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    auto running = last_known(view.series(n, running_id));
    if (running && running->value == 0) continue;
    base.clear();
    recent.clear();
    // The two parts' spans, for the running-request count below.
    TimePoint base_from = split - r.baseline_window, base_to = split, recent_from = split;
    const Series *tps = view.series(n, rate_id);
    const Series *prompt_rate = view.series(n, prompt_rate_id);
    const auto decode_rates = [&](std::vector<double> &into) {
      for (const auto &p : pts)
        if (!paused_for_prefill(prompt_rate, *tps, p)) into.push_back(p.value);
    };
    sampled(tps, split - r.baseline_window, split, kRateSamples, pts);
    decode_rates(base);
    if (base.size() < r.min_baseline) { // engines without a rate line: 1 token per step
      base.clear();
      tps = view.series(n, eval_id);
      NodeFigures *fig = tmp.figures_of(n);
      if (fig != nullptr && tps != nullptr &&
          steps_cannot_collapse(*tps, split - r.baseline_window, split, now, r.ratio, *fig))
        continue;
      sampled(tps, split - r.baseline_window, split, kRateSamples, pts);
      for (const auto &p : pts)
        if (p.value > 0) base.push_back(step_rate(p));
      sampled(tps, split, now, kRateSamples, pts);
      for (const auto &p : pts)
        if (p.value > 0) recent.push_back(step_rate(p));
    } else {
      sampled(tps, split, now, kRateSamples, pts);
      if (pts.size() < r.min_recent) {
        if (const auto from = sparse_recent_start(*tps, now, r)) {
          // The baseline ends where this recent part begins.
          base_from = *from - r.baseline_window;
          base_to = *from - Duration{1};
          recent_from = *from;
          sampled(tps, base_from, base_to, kRateSamples, pts);
          base.clear();
          decode_rates(base);
          sampled(tps, *from, now, kRateSamples, pts);
        }
      }
      decode_rates(recent);
    }
    if (base.size() < r.min_baseline || recent.size() < r.min_recent) continue;
    // Throughput is compared within one run of requests: a request that ended since the
    // baseline began starts a new run. A new exo request with a 100K context at 70 ms a
    // step was a collapse against the one before it, 25 ms a step at 2K.
    if (request_ended(view, n, ids, base_from, base_from)) continue;
    // The baseline's median is at most its highest value and the recent median at least
    // the lowest recent value: when those bounds rule out a collapse, skip the medians.
    // (Both lists hold known values only: sampled() skips NaN and 1000 / x is known.)
    const double base_high = *std::max_element(base.begin(), base.end());
    const double recent_low = *std::min_element(recent.begin(), recent.end());
    if (r.ratio >= 0 && recent_low >= r.ratio * base_high) continue;
    const double b = median(base), v = median(recent);
    if (!(b > 0) || !(v < r.ratio * b)) continue;
    if (less_work_not_slower(view.series(n, running_id), base_from, base_to, recent_from, now, b, v,
                             r.ratio, tmp) ||
        more_slots_not_slower(view, n, decoded_id, tps, base_from, base_to, recent_from, now,
                              r.ratio, tmp) ||
        more_prompts_not_slower(prompt_rate, tps, base_from, base_to, recent_from, now, v, r.ratio,
                                tmp))
      continue;
    out.push_back(Finding{"throughput_collapse", view.node_name(n), "", Severity::warning, v,
                          r.ratio * b,
                          fmt::format("generation throughput {:.1f} tok/s, down from a "
                                      "baseline of {:.1f} tok/s (alert under {:.0f}%)",
                                      v, b, r.ratio * 100)});
  }
}

} // namespace clustertop
