// Memory detectors: headroom, pressure, swap growth, time to OOM, context at OOM, and the
// NVIDIA GPU memory / KV-cache figures.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <span>

#include "clustertop/detect/detectors.hpp"
#include "series_math.hpp"

namespace clustertop {
namespace {

using detail::fit_line;
using detail::human_bytes;
using detail::human_duration;
using detail::last_known;
using detail::nearest;
using detail::sampled;
using detail::time_range;

constexpr std::size_t kMaxFitPoints = 48; // bounds the per-tick cost of a regression
const Duration kPairTolerance = std::chrono::seconds(5);
constexpr double kRecentShare = 10; // the newest tenth of the trend window: 30 s by default
constexpr double kFasterBy = 1.5;   // a fast fall this much steeper than the trend decides
// A fast fall foretells at most this many times its own span: 7-17 s of a ±0.5 GiB wander
// with 22 GiB free (another process's build) read as "out of memory in about 5-14 min" on
// every node, a warning held for minutes, from a watch's start on. A fall that lasts is the
// trend's to judge, once its window holds half its length of history; a fall toward OOM
// within minutes is still the fast fall's (12 s of 150 MiB/s with 20 GiB left: 2.3 min).
constexpr double kFastHorizon = 15;

using MetricId = DetectView::MetricId;

// The metric numbers the memory detectors read, resolved once per evaluation.
struct MemMetrics {
  MetricId total, avail, pressure, swap, ctx, gpu_used, gpu_total, kv;
};

MemMetrics mem_metrics(const DetectView &view) {
  return {view.metric_id("mem.total_bytes"),     view.metric_id("mem.available_bytes"),
          view.metric_id("mem.pressure_level"),  view.metric_id("mem.swap_used_bytes"),
          view.metric_id("ctx.tokens"),          view.metric_id("gpu.mem_used_bytes"),
          view.metric_id("gpu.mem_total_bytes"), view.metric_id("kv_cache.usage_pct")};
}

// One node's memory checks: the view, the metric numbers, the node and the buffers.
struct MemNode {
  const DetectView &view;
  const MemMetrics &ids;
  std::size_t n;
  DetectScratch &tmp;

  [[nodiscard]] const Series *series(MetricId m) const { return view.series(n, m); }
  [[nodiscard]] const std::string &name() const { return view.node_name(n); }
};

std::string total_words(const MemNode &node) {
  const double total = node.view.latest(node.n, node.ids.total);
  return is_known(total) ? " of " + human_bytes(total) : std::string();
}

// time_range(s, from, to); in time order from the last evaluation's edges (the same
// items, fewer cache lines read).
std::pair<std::size_t, std::size_t> window_range(const Series &s, TimePoint from, TimePoint to,
                                                 std::array<SortedEdge, 2> &edges) {
  if (!s.in_time_order()) return time_range(s, from, to);
  return {edges[0].find(s, from), detail::past_equal(s, edges[1].find(s, to), to)};
}

// Swap cannot have grown by the threshold when the newest point is not that far above the
// window's lowest: sampled() always keeps the newest (when known) and picks the rest from
// the window, so its lowest is no lower. Kept from the new points only (engine runs).
bool swap_cannot_grow(const MemNode &node, const OomRules &r, TimePoint now) {
  NodeFigures *fig = node.tmp.figures_of(node.n);
  const Series *s = node.series(node.ids.swap);
  if (fig == nullptr || s == nullptr) return false;
  const auto [b, e] = window_range(*s, now - r.swap_window, now, fig->swap_edges);
  if (b >= e) return true; // nothing in the window
  const double last = (*s)[e - 1].value;
  if (!is_known(last)) return false;
  const double low = fig->swap_low.update(*s, b, e, [](const Point &p) { return p.value; });
  return last - low < r.swap_growth_bytes;
}

void headroom_and_pressure(const MemNode &node, const OomRules &r, TimePoint now,
                           std::vector<Finding> &out) {
  auto avail = last_known(node.series(node.ids.avail));
  if (avail && avail->time >= now - r.fresh && avail->value < r.headroom_bytes) {
    const bool crit = avail->value < r.headroom_critical_bytes;
    out.push_back(
        Finding{"oom_headroom", node.name(), "", crit ? Severity::critical : Severity::warning,
                avail->value, crit ? r.headroom_critical_bytes : r.headroom_bytes,
                fmt::format("only {}{} memory available ({} under {})", human_bytes(avail->value),
                            total_words(node), crit ? "critical" : "alert",
                            human_bytes(crit ? r.headroom_critical_bytes : r.headroom_bytes))});
  }
  auto level = last_known(node.series(node.ids.pressure));
  if (level && level->time >= now - r.fresh && level->value >= 1) {
    const bool crit = level->value >= 2;
    out.push_back(Finding{"oom_pressure", node.name(), "",
                          crit ? Severity::critical : Severity::warning, level->value, 1,
                          fmt::format("macOS memory pressure is {}", crit ? "critical" : "warn")});
  }
  if (swap_cannot_grow(node, r, now)) return;
  auto &swap = node.tmp.points[1];
  sampled(node.series(node.ids.swap), now - r.swap_window, now, 4 * kMaxFitPoints, swap);
  if (swap.size() >= 2) {
    double low = swap.front().value;
    for (const auto &p : swap) low = std::min(low, p.value); // a reset only lowers the base
    const double growth = swap.back().value - low;
    if (growth >= r.swap_growth_bytes)
      out.push_back(
          Finding{"swap_growth", node.name(), "", Severity::warning, growth, r.swap_growth_bytes,
                  fmt::format("swap grew by {} in the last {} (now {} used): the "
                              "node is paging",
                              human_bytes(growth), human_duration(to_seconds(r.swap_window)),
                              human_bytes(swap.back().value))});
  }
}

// sampled() available memory over [from, to]. An engine finds the window's edges from the
// last evaluation's and keeps the picks with their context pairs: returns those picks
// (nullptr for a one-off evaluation).
TrendSamples *sample_available(const MemNode &node, TimePoint from, TimePoint to,
                               std::vector<Point> &out) {
  NodeFigures *fig = node.tmp.figures_of(node.n);
  const Series *s = node.series(node.ids.avail);
  if (fig == nullptr || s == nullptr || s->empty()) {
    sampled(s, from, to, kMaxFitPoints, out);
    return nullptr;
  }
  const auto [b, e] = window_range(*s, from, to, fig->avail_edges);
  fig->avail_trend.update(*s, b, e, kMaxFitPoints, out);
  return &fig->avail_trend;
}

// The slope of the newest tenth of the trend window (`x`: seconds before the newest point,
// oldest first), from its picks and at least the two newest; 0 when no slope is known.
double recent_slope(const std::vector<double> &x, const std::vector<double> &y,
                    Duration trend_window) {
  const double span = to_seconds(trend_window) / kRecentShare;
  std::size_t from = x.size();
  while (from > 0 && x[from - 1] >= -span) --from;
  from = std::min(from, x.size() < 2 ? 0 : x.size() - 2);
  const auto fit = fit_line(std::span(x).subspan(from), std::span(y).subspan(from));
  return fit ? fit->slope : 0.0;
}

// The least-squares line through points added one at a time.
struct RunningFit {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  void add(double x, double y) {
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
  }
  [[nodiscard]] double vxx() const { return sxx - sx * sx / n; }
  [[nodiscard]] double vxy() const { return sxy - sx * sy / n; }
  [[nodiscard]] double vyy() const { return syy - sy * sy / n; }
  [[nodiscard]] double slope() const { return vxx() > 0 ? vxy() / vxx() : 0; }
  [[nodiscard]] double intercept() const { return n > 0 ? (sy - slope() * sx) / n : 0; }
  [[nodiscard]] double r2() const {
    return vxx() > 0 && vyy() > 0 ? vxy() * vxy() / (vxx() * vyy()) : 0;
  }
  // The sum of the squared residuals around the line.
  [[nodiscard]] double residual() const {
    return vxx() > 0 ? std::max(0.0, vyy() - vxy() * vxy() / vxx()) : 0.0;
  }
  // The sums of the points added here and not to `part` (added here too).
  [[nodiscard]] RunningFit without(const RunningFit &part) const {
    return {n - part.n, sx - part.sx, sy - part.sy, sxx - part.sxx, sxy - part.sxy, syy - part.syy};
  }
};

// A falling line through available memory: its slope (bytes a second, negative; 0 where it
// predicts nothing) and its level at the newest sample. The time to OOM starts from that
// level, not from the newest sample: ±150 MB of sampling noise moved each tick's estimate by
// ±25 s at 6 MB/s, and a critical alert, whose rise must hold for `for` without a break,
// came 80 s late.
struct Fall {
  double slope = 0;
  double level = 0;
};

// The slope of a line through available memory and its level at the newest sample (x = 0).
struct Regime {
  double slope = 0;
  double level = 0;
  bool falls = false; // its slope is below zero by twice its standard error at least
};

// Where two lines fit the trend window's samples far better than one (their squared
// residuals less than 1/kRegimeGain of the one line's), the newer line, and within it the
// newer of two again, as long as that gains as much: the newest pace of a fall that changed
// pace (idle, a prefill's steep fall, decode's slow one). On a steady ramp, however noisy,
// a split gains little, and the one line stands (nullopt).
constexpr double kRegimeGain = 2;
std::optional<Regime> newest_regime(const std::vector<double> &x, const std::vector<double> &y,
                                    Duration trend_window) {
  // The newest line spans the newest tenth of the window at least, and 5 samples: fewer let
  // one noisy sample set its slope.
  constexpr std::size_t kMinNewer = 5, kMinOlder = 3;
  const double min_span = to_seconds(trend_window) / kRecentShare;
  const std::size_t n = x.size();
  std::size_t from = 0; // the newest line's first sample
  RunningFit line;      // its sums
  for (std::size_t i = 0; i < n; ++i) line.add(x[i], y[i]);
  for (;;) {
    const double one = line.residual();
    if (!(one > 0) || n - from < kMinNewer + kMinOlder) break;
    RunningFit older, best_newer;
    for (std::size_t i = from; i + 1 < from + kMinOlder; ++i) older.add(x[i], y[i]);
    double best = one / kRegimeGain;
    std::size_t split = from;
    for (std::size_t k = from + kMinOlder; k + kMinNewer <= n; ++k) {
      older.add(x[k - 1], y[k - 1]);
      if (-x[k] < min_span) break; // x is seconds before the newest sample
      const RunningFit newer = line.without(older);
      const double two = older.residual() + newer.residual();
      if (two < best) {
        best = two;
        split = k;
        best_newer = newer;
      }
    }
    if (split == from) break;
    from = split;
    line = best_newer;
  }
  if (from == 0) return std::nullopt;
  const double slope = line.slope();
  const double se = std::sqrt(line.residual() / (line.n - 2) / line.vxx());
  return Regime{slope, line.intercept(), slope < -2 * se};
}

// The whole trend window's line, or a slope of 0 where it predicts nothing: it falls, fits
// with fit_min_r2, and its newest tenth falls too. Where the fall changed pace inside the
// window, its newest regime's line instead, if that falls by more than its noise. The one
// line decides whether there is a trend at all: a sawtooth (a cache filled and trimmed, one
// request's KV cache after another's) fits it poorly, and each tooth's fall was a new
// warning where the regime alone decided.
// `pts`: the sampled available memory over the trend window.
Fall trend_fall(const MemNode &node, const OomRules &r, TimePoint now,
                const std::vector<Point> &pts) {
  if (pts.size() < r.trend_min_samples) return {};
  // Over less than half the window, a step (3 GiB allocated in 3 s, then flat) fitted one
  // falling line well enough, and lay in the newest tenth long enough to fire: a short
  // history is left to the fast fall's test, which a step does not pass.
  if (pts.back().time - pts.front().time < r.trend_window / 2) return {};
  auto &x = node.tmp.values[0];
  auto &y = node.tmp.values[1];
  x.clear();
  y.clear();
  for (const auto &p : pts) {
    x.push_back(to_seconds(p.time - pts.back().time));
    y.push_back(p.value);
  }
  auto fit = fit_line(x, y);
  if (!fit || !(fit->slope < 0) || fit->r2 < r.fit_min_r2) return {};
  // The newest part of the window must predict an OOM within tto_warning too: a fall that
  // stopped (a model load, 100 GiB in 50 s, then flat) still fits one falling line over
  // the whole window for minutes, and its OOM stayed predicted, critical, ~4.5 minutes
  // after time had disproved it. A steady ramp falls in its newest part as in the whole.
  const double avail = std::max(0.0, pts.back().value);
  const double since = to_seconds(now - pts.back().time);
  const double recent = recent_slope(x, y, r.trend_window);
  if (!(recent < 0) || !(avail / -recent - since < to_seconds(r.tto_warning))) return {};
  if (const auto newest = newest_regime(x, y, r.trend_window)) {
    // The fall changed pace inside the window (a prefill's steep fall, then decode's slow
    // one): the newest regime's own line predicts. The window's one line through both put
    // the OOM minutes early and, its level falling below what was measured, "in about 0 s"
    // with 1.3 GiB left.
    if (!newest->falls) return {};
    return {newest->slope, newest->level};
  }
  return {fit->slope, fit->intercept}; // x is 0 at the newest sample
}

// A fast fall (see OomRules::fast_window): of the runs of the newest samples, at least
// fast_min_samples of them, the one that one falling line fits best, where that fit's R² is
// fast_fit_min_r2 or more and the run's newest half falls at least half as fast (a burst
// that ended, 3 GiB in 3 s and then flat, fits a line through the burst but is flat there;
// a third of the run was too few samples to tell a slow fall from its noise).
// Its slope and the seconds it spans, or a slope of 0. A fall that starts after a flat
// stretch is seen within fast_min_samples samples of its start, where the trend window's
// one line, flattened by the stretch, took 100 s to fit and predicted 3 times too late.
// The best fit, not the longest, stops at the fall's start: a line through a few flat
// samples before it still fits well, with a slope a third too shallow.
struct FastFall {
  double slope = 0;
  double seconds = 0;
  double level = 0; // the line's at the newest sample
};

FastFall fast_fall(const MemNode &node, const OomRules &r, TimePoint now) {
  const Series *s = node.series(node.ids.avail);
  if (s == nullptr) return {};
  const std::size_t min_run = std::max<std::size_t>(r.fast_min_samples, 3);
  // Most nodes' memory did not fall over the window: told from its two ends, unsampled.
  const auto [b, e] = time_range(*s, now - r.fast_window, now);
  if (e < b + min_run || !((*s)[e - 1].value < (*s)[b].value)) return {};
  auto &pts = node.tmp.points[1];
  sampled(*s, b, e, kMaxFitPoints, pts);
  const std::size_t n = pts.size();
  if (n < min_run) return {};
  // x in seconds before the newest point, y from the newest value: small numbers keep the
  // running sums exact enough.
  auto x = [&](std::size_t i) { return to_seconds(pts[i].time - pts.back().time); };
  auto y = [&](std::size_t i) { return pts[i].value - pts.back().value; };
  RunningFit run;
  std::size_t best_from = n;
  double best_r2 = -1, best_slope = 0, best_level = 0;
  for (std::size_t i = n; i > 0; --i) {
    if (!is_known(pts[i - 1].value)) break;
    run.add(x(i - 1), y(i - 1));
    if (n - (i - 1) < min_run) continue;
    if (run.slope() < 0 && run.r2() >= best_r2) { // ties: the longer run
      best_r2 = run.r2();
      best_slope = run.slope();
      best_level = run.intercept();
      best_from = i - 1;
    }
  }
  if (best_from == n || best_r2 < r.fast_fit_min_r2) return {};
  RunningFit newest;
  const std::size_t half = std::max<std::size_t>(3, (n - best_from) / 2);
  for (std::size_t i = n - half; i < n; ++i) newest.add(x(i), y(i));
  if (!(newest.slope() <= best_slope / 2)) return {};
  return {best_slope, -x(best_from), pts.back().value + best_level};
}

// `pts`: the sampled available memory over the trend window.
void time_to_oom(const MemNode &node, const OomRules &r, TimePoint now,
                 const std::vector<Point> &pts, std::vector<Finding> &out) {
  if (pts.empty() || pts.back().time < now - r.fresh) return;
  const Fall trend = trend_fall(node, r, now, pts);
  const FastFall fast = fast_fall(node, r, now);
  // The fast fall decides where the trend predicts nothing, or where memory now falls
  // clearly faster than the trend says; on a steady ramp both agree, and the long fit's
  // steadier figure keeps the severity from flapping with the short one's noise.
  const double since = to_seconds(now - pts.back().time);
  const auto until_empty = [since](double level, double slope) {
    return std::max(0.0, level) / -slope - since;
  };
  const bool by_fast = (trend.slope == 0 ? fast.slope < 0 : fast.slope < kFasterBy * trend.slope) &&
                       until_empty(fast.level, fast.slope) <= kFastHorizon * fast.seconds;
  const double slope = by_fast ? fast.slope : trend.slope;
  if (!(slope < 0)) return;
  const double avail = std::max(0.0, pts.back().value); // as measured
  const double level = std::max(0.0, by_fast ? fast.level : trend.level);
  const double tto = until_empty(level, slope);
  if (!(tto < to_seconds(r.tto_warning))) return;
  const bool crit = tto < to_seconds(r.tto_critical);
  const std::string over =
      by_fast ? fmt::format(" over the last {}", human_duration(fast.seconds)) : "";
  // The words give the level the estimate starts from; where the last sample is off it by
  // its noise, that sample too ("412 MiB left, 48 MiB measured, 378 MiB/min: 40 s" read as
  // a sum gone wrong).
  const std::string left = std::abs(level - avail) > 0.05 * std::max(level, avail)
                               ? fmt::format("~{} left by the trend, {} measured",
                                             human_bytes(level), human_bytes(avail))
                               : fmt::format("{} left", human_bytes(avail));
  out.push_back(Finding{"time_to_oom", node.name(), "",
                        crit ? Severity::critical : Severity::warning, std::max(0.0, tto),
                        to_seconds(crit ? r.tto_critical : r.tto_warning),
                        fmt::format("available memory falls {}/min{} ({}{}): out of "
                                    "memory in about {}",
                                    human_bytes(-slope * 60), over, left, total_words(node),
                                    human_duration(std::max(0.0, tto)))});
}

constexpr double kContextMargin = 0.10;

// Pairs far off the line through all of them (more than kEdgeSpread robust deviations of
// the residuals, and kEdgeFloor): a request's edges, where the context reported is not what
// the memory holds. At its end the KV cache is freed within a step of the last context
// report (1.4 GiB given back, paired with 4K tokens), at its start the prompt is read before
// the first report; one such pair in the window took the fit's R² under fit_min_r2 and
// context_at_oom resolved in every pause between requests. `x`, `y`: newest first, kept so.
// Returns the line through the pairs kept (the first fit where none was dropped).
constexpr double kEdgeSpread = 4;
constexpr double kEdgeFloor = 64.0 * 1024 * 1024; // below a Mac's memory readings' noise
// `res`, `sorted`: scratch.
std::optional<detail::LineFit> fit_without_edges(std::vector<double> &x, std::vector<double> &y,
                                                 std::vector<double> &res,
                                                 std::vector<double> &sorted) {
  const auto fit = fit_line(x, y);
  if (!fit || x.size() < 4) return fit;
  res.clear();
  for (std::size_t i = 0; i < x.size(); ++i)
    res.push_back(std::abs(y[i] - (fit->intercept + fit->slope * x[i])));
  sorted = res;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double mad = sorted[sorted.size() / 2]; // of absolute residuals around the line
  const double limit = std::max(kEdgeFloor, kEdgeSpread * 1.4826 * mad);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (res[i] > limit) continue;
    x[kept] = x[i];
    y[kept] = y[i];
    ++kept;
  }
  if (kept == x.size()) return fit;
  x.resize(kept);
  y.resize(kept);
  return fit_line(x, y);
}

// `avail`: the sampled available memory over the trend window (`trend`: the engine's picks
// that gave it, with their kept pairs; nullptr for a one-off evaluation).
void context_at_oom(const MemNode &node, const OomRules &r, TimePoint now,
                    const std::vector<Point> &avail, TrendSamples *trend,
                    std::vector<Finding> &out) {
  const Series *ctx_s = node.series(node.ids.ctx);
  auto ctx_last = last_known(ctx_s);
  if (!ctx_last || ctx_last->time < now - r.fresh) return;
  if (avail.empty()) return;
  auto &x = node.tmp.values[0]; // newest first; a context that was higher earlier is a reset
  auto &y = node.tmp.values[1];
  x.clear();
  y.clear();
  std::size_t hint = ctx_s->size();
  const bool in_order = trend != nullptr && ctx_s->in_time_order();
  // With both in time order, once a memory point is too old for the oldest context point,
  // so is every older one: no pair is left to find.
  const TimePoint oldest_ctx = (*ctx_s)[0].time;
  const bool both_in_order =
      in_order && std::is_sorted(avail.begin(), avail.end(),
                                 [](const Point &a, const Point &b) { return a.time < b.time; });
  // The pairs since the context last restarted, or, while those are too few for a fit yet,
  // the request's before it: memory per token is the node's and the model's, not one
  // request's. A firing alert resolved at every new request, the new one's context too short
  // to fit for longer than `clear_after` (7 times in 16 minutes of chat on a node that could
  // never hold more than ~13K tokens). Such an estimate only keeps a firing alert, it starts
  // none (sustain_only).
  const auto enough = [&] {
    return x.size() >= r.ctx_min_samples && x.front() - x.back() >= r.ctx_min_span_tokens;
  };
  bool before = false;
  for (std::size_t i = avail.size(); i > 0; --i) {
    if (both_in_order && oldest_ctx - avail[i - 1].time > kPairTolerance) break;
    // In time order every search gives the pair one point, so the kept one will do.
    auto c = in_order ? trend->pair(i - 1, *ctx_s, kPairTolerance)
                      : nearest(ctx_s, avail[i - 1].time, kPairTolerance, &hint);
    if (!c) continue;
    if (!x.empty() && c->value > x.back()) { // a restart (x falls, newest first)
      if (before || enough()) break;
      before = true;
      x.clear();
      y.clear();
    }
    x.push_back(c->value);
    y.push_back(avail[i - 1].value);
  }
  const auto fit = fit_without_edges(x, y, node.tmp.values[2], node.tmp.values[3]);
  if (!enough()) return;
  if (!fit || !(fit->slope < 0) || fit->r2 < r.fit_min_r2) return;
  // The newest third of the pairs (x and y are newest first; 4 at least) must still fall
  // with the context, at a quarter of the rate at least: a 0.7 GiB allocation by another
  // process, then flat, fitted a line of R² 0.66 over a growing context and fired for two
  // minutes with 22 GiB free. (A third and a quarter, not less and more: a real ramp under
  // ±150 MiB of noise still passes.)
  const std::size_t newest = std::max<std::size_t>(4, x.size() / 3);
  const auto recent =
      fit_line(std::span<const double>(x).first(newest), std::span<const double>(y).first(newest));
  if (!recent || !(recent->slope <= 0.25 * fit->slope)) return;
  const double per_token = -fit->slope, ctx_now = ctx_last->value;
  const double at_oom = ctx_now + std::max(0.0, avail.back().value) / per_token;
  // Up to kContextMargin past the max, the estimate keeps a firing alert firing: one that
  // wanders around the max (a node that runs out at 199.5K of a 200K context, estimated
  // at 199.9K, then 200.3K) fired and resolved every few minutes.
  const bool short_of_max = at_oom < r.max_context_tokens;
  if (!short_of_max && !(at_oom < r.max_context_tokens * (1 + kContextMargin))) return;
  // Whole thousands where they tell the two apart, else one decimal, else whole tokens:
  // "~131K tokens, short of the 131K max context" read as a contradiction.
  const auto apart = [&](double unit) {
    return std::lround(at_oom / unit) != std::lround(r.max_context_tokens / unit);
  };
  const auto tokens = [&](double v) {
    return apart(1000)  ? fmt::format("{:.0f}K", v / 1000)
           : apart(100) ? fmt::format("{:.1f}K", v / 1000)
                        : fmt::format("{:.0f}", v);
  };
  Finding f{"context_at_oom",
            node.name(),
            "",
            Severity::warning,
            at_oom,
            r.max_context_tokens,
            fmt::format("at {:.1f}K tokens of context memory use grows {} per token{} "
                        "({} left): this node runs out of memory at ~{} tokens, {} the {} max "
                        "context; give it fewer layers or lower the max context",
                        ctx_now / 1000, human_bytes(per_token),
                        before ? " (as in the request before)" : "",
                        human_bytes(avail.back().value), tokens(at_oom),
                        short_of_max ? "short of" : "just past", tokens(r.max_context_tokens))};
  // Just past it: the estimate's own words for an alert that fired, none for one that did not.
  f.sustain_only = !short_of_max || before;
  out.push_back(std::move(f));
}

void gpu_memory(const MemNode &node, const OomRules &r, TimePoint now, std::vector<Finding> &out) {
  const auto [begin, end] = node.view.entries(node.n);
  for (auto it = begin; it != end; ++it) {
    if (it->metric != node.ids.gpu_used) continue;
    const std::string_view device = it->device;
    auto used = last_known(it->series);
    const double total = node.view.latest(node.n, node.ids.gpu_total, device);
    if (!used || used->time < now - r.fresh || !(total > 0)) continue;
    const double pct = 100.0 * used->value / total;
    if (pct >= r.gpu_mem_pct)
      out.push_back(Finding{"gpu_mem", node.name(), std::string(device), Severity::warning, pct,
                            r.gpu_mem_pct,
                            fmt::format("GPU {} memory {:.1f}% used ({} of {})", device, pct,
                                        human_bytes(used->value), human_bytes(total))});
  }
  for (auto it = begin; it != end; ++it) {
    if (it->metric != node.ids.kv) continue;
    auto kv = last_known(it->series);
    if (kv && kv->time >= now - r.fresh && kv->value >= r.kv_cache_pct)
      out.push_back(Finding{"kv_cache", node.name(), std::string(it->device), Severity::warning,
                            kv->value, r.kv_cache_pct,
                            fmt::format("KV cache {:.1f}% full: new requests will queue or be "
                                        "preempted",
                                        kv->value)});
  }
}

} // namespace

void detect_memory(const DetectView &view, const Rules &rules, TimePoint now, DetectScratch &tmp,
                   std::vector<Finding> &out) {
  const MemMetrics ids = mem_metrics(view);
  auto &avail = tmp.points[0]; // shared by the time-to-OOM and context-at-OOM fits
  for (std::size_t n = 0; n < view.node_count(); ++n) {
    const MemNode node{view, ids, n, tmp};
    headroom_and_pressure(node, rules.oom, now, out);
    TrendSamples *trend = sample_available(node, now - rules.oom.trend_window, now, avail);
    time_to_oom(node, rules.oom, now, avail, out);
    context_at_oom(node, rules.oom, now, avail, trend, out);
    gpu_memory(node, rules.oom, now, out);
  }
}

} // namespace clustertop
