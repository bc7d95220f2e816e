// Memory detectors: headroom, pressure, swap growth, time to OOM, context at OOM, and the
// NVIDIA GPU memory / KV-cache figures.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

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
using detail::window;

constexpr std::size_t kMaxFitPoints = 48; // bounds the per-tick cost of a regression
const Duration kPairTolerance = std::chrono::seconds(5);

std::string total_words(const DetectView &store, const std::string &node) {
  const double total = store.latest({node, "mem.total_bytes", ""});
  return is_known(total) ? " of " + human_bytes(total) : std::string();
}

void headroom_and_pressure(const DetectView &store, const OomRules &r, const std::string &node,
                           TimePoint now, std::vector<Finding> &out) {
  auto avail = last_known(store.series({node, "mem.available_bytes", ""}));
  if (avail && avail->time >= now - r.fresh && avail->value < r.headroom_bytes) {
    const bool crit = avail->value < r.headroom_critical_bytes;
    out.push_back(Finding{"oom_headroom", node, "", crit ? Severity::critical : Severity::warning,
                          avail->value, crit ? r.headroom_critical_bytes : r.headroom_bytes,
                          fmt::format("only {}{} memory available (alert under {})",
                                      human_bytes(avail->value), total_words(store, node),
                                      human_bytes(r.headroom_bytes))});
  }
  auto level = last_known(store.series({node, "mem.pressure_level", ""}));
  if (level && level->time >= now - r.fresh && level->value >= 1) {
    const bool crit = level->value >= 2;
    out.push_back(Finding{"oom_pressure", node, "", crit ? Severity::critical : Severity::warning,
                          level->value, 1,
                          fmt::format("macOS memory pressure is {}", crit ? "critical" : "warn")});
  }
  auto swap = sampled(store.series({node, "mem.swap_used_bytes", ""}), now - r.swap_window, now,
                      4 * kMaxFitPoints);
  if (swap.size() >= 2) {
    double low = swap.front().value;
    for (const auto &p : swap) low = std::min(low, p.value); // a reset only lowers the base
    const double growth = swap.back().value - low;
    if (growth >= r.swap_growth_bytes)
      out.push_back(
          Finding{"swap_growth", node, "", Severity::warning, growth, r.swap_growth_bytes,
                  fmt::format("swap grew by {} in the last {} (now {} used): the "
                              "node is paging",
                              human_bytes(growth), human_duration(to_seconds(r.swap_window)),
                              human_bytes(swap.back().value))});
  }
}

void time_to_oom(const DetectView &store, const OomRules &r, const std::string &node, TimePoint now,
                 std::vector<Finding> &out) {
  auto pts = sampled(store.series({node, "mem.available_bytes", ""}), now - r.trend_window, now,
                     kMaxFitPoints);
  if (pts.size() < r.trend_min_samples || pts.back().time < now - r.fresh) return;
  std::vector<double> x, y;
  for (const auto &p : pts) {
    x.push_back(to_seconds(p.time - pts.back().time));
    y.push_back(p.value);
  }
  auto fit = fit_line(x, y);
  if (!fit || !(fit->slope < 0) || fit->r2 < r.fit_min_r2) return;
  const double avail = std::max(0.0, pts.back().value);
  const double tto = avail / -fit->slope - to_seconds(now - pts.back().time);
  if (!(tto < to_seconds(r.tto_warning))) return;
  const bool crit = tto < to_seconds(r.tto_critical);
  out.push_back(Finding{"time_to_oom", node, "", crit ? Severity::critical : Severity::warning,
                        std::max(0.0, tto), to_seconds(crit ? r.tto_critical : r.tto_warning),
                        fmt::format("available memory falls {}/min ({} left{}): out of memory "
                                    "in about {}",
                                    human_bytes(-fit->slope * 60), human_bytes(avail),
                                    total_words(store, node), human_duration(std::max(0.0, tto)))});
}

void context_at_oom(const DetectView &store, const OomRules &r, const std::string &node,
                    TimePoint now, std::vector<Finding> &out) {
  const Series *ctx_s = store.series({node, "ctx.tokens", ""});
  auto ctx_last = last_known(ctx_s);
  if (!ctx_last || ctx_last->time < now - r.fresh) return;
  auto avail = sampled(store.series({node, "mem.available_bytes", ""}), now - r.trend_window, now,
                       kMaxFitPoints);
  if (avail.empty()) return;
  std::vector<double> x, y; // newest first; a context that was higher earlier is a reset
  std::size_t hint = ctx_s->size();
  for (std::size_t i = avail.size(); i > 0; --i) {
    auto c = nearest(ctx_s, avail[i - 1].time, kPairTolerance, &hint);
    if (!c) continue;
    if (!x.empty() && c->value > x.back()) break;
    x.push_back(c->value);
    y.push_back(avail[i - 1].value);
  }
  if (x.size() < r.ctx_min_samples) return;
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  if (*hi - *lo < r.ctx_min_span_tokens) return;
  auto fit = fit_line(x, y);
  if (!fit || !(fit->slope < 0) || fit->r2 < r.fit_min_r2) return;
  const double per_token = -fit->slope, ctx_now = ctx_last->value;
  const double at_oom = ctx_now + std::max(0.0, avail.back().value) / per_token;
  if (!(at_oom < r.max_context_tokens)) return;
  out.push_back(
      Finding{"context_at_oom", node, "", Severity::warning, at_oom, r.max_context_tokens,
              fmt::format("at {:.1f}K tokens of context memory use grows {} per token "
                          "({} left): this node runs out of memory at ~{:.0f}K tokens, "
                          "short of the {:.0f}K max context",
                          ctx_now / 1000, human_bytes(per_token), human_bytes(avail.back().value),
                          at_oom / 1000, r.max_context_tokens / 1000)});
}

void gpu_memory(const DetectView &store, const OomRules &r, const std::string &node, TimePoint now,
                std::vector<Finding> &out) {
  for (const auto &[device, used_s] : store.devices(node, "gpu.mem_used_bytes")) {
    auto used = last_known(used_s);
    const double total = store.latest({node, "gpu.mem_total_bytes", device});
    if (!used || used->time < now - r.fresh || !(total > 0)) continue;
    const double pct = 100.0 * used->value / total;
    if (pct >= r.gpu_mem_pct)
      out.push_back(Finding{"gpu_mem", node, std::string(device), Severity::warning, pct,
                            r.gpu_mem_pct,
                            fmt::format("GPU {} memory {:.1f}% used ({} of {})", device, pct,
                                        human_bytes(used->value), human_bytes(total))});
  }
  for (const auto &[device, kv_s] : store.devices(node, "kv_cache.usage_pct")) {
    auto kv = last_known(kv_s);
    if (kv && kv->time >= now - r.fresh && kv->value >= r.kv_cache_pct)
      out.push_back(Finding{"kv_cache", node, std::string(device), Severity::warning, kv->value,
                            r.kv_cache_pct,
                            fmt::format("KV cache {:.1f}% full: new requests will queue or be "
                                        "preempted",
                                        kv->value)});
  }
}

} // namespace

void detect_memory(const DetectView &store, const Rules &rules, TimePoint now,
                   std::vector<Finding> &out) {
  for (const auto &node : store.nodes()) {
    headroom_and_pressure(store, rules.oom, node, now, out);
    time_to_oom(store, rules.oom, node, now, out);
    context_at_oom(store, rules.oom, node, now, out);
    gpu_memory(store, rules.oom, node, now, out);
  }
}

} // namespace clustertop
