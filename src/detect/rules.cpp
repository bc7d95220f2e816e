#include "clustertop/detect/rules.hpp"

#include <array>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <variant>

namespace clustertop {
namespace {

using Target = std::variant<double *, std::size_t *, Duration *, std::vector<std::string> *>;

struct Binding {
  const char *section;
  const char *key;
  Target target;
};

void bind_policy(std::vector<Binding> &out, const char *section, AlertPolicy &p) {
  out.push_back({section, "for", &p.for_});
  out.push_back({section, "clear_after", &p.clear_after});
}

// The one list of every setting: parsing, docs and defaults all come from it.
std::vector<Binding> bindings(Rules &r) {
  std::vector<Binding> b;
  auto &f = r.fence_wait;
  b.insert(b.end(), {{"fence_wait", "abs_ms", &f.abs_ms},
                     {"fence_wait", "median_multiple", &f.median_multiple},
                     {"fence_wait", "relative_floor_ms", &f.relative_floor_ms},
                     {"fence_wait", "median_window", &f.median_window},
                     {"fence_wait", "min_samples", &f.min_samples},
                     {"fence_wait", "fresh", &f.fresh}});
  bind_policy(b, "fence_wait", f.alert);
  auto &s = r.stall;
  b.insert(b.end(), {{"stall", "after", &s.after},
                     {"stall", "interval_multiple", &s.interval_multiple},
                     {"stall", "min_steps", &s.min_steps},
                     {"stall", "active_window", &s.active_window},
                     {"stall", "busy_power_w", &s.busy_power_w},
                     {"stall", "busy_ratio", &s.busy_ratio},
                     {"stall", "busy_util_pct", &s.busy_util_pct},
                     {"stall", "gpu_fresh", &s.gpu_fresh},
                     {"stall", "progress", &s.progress},
                     {"stall", "done", &s.done}});
  bind_policy(b, "stall", s.alert);
  auto &o = r.overhead;
  b.insert(b.end(), {{"overhead", "share", &o.share},
                     {"overhead", "window", &o.window},
                     {"overhead", "min_samples", &o.min_samples},
                     {"overhead", "fresh", &o.fresh}});
  bind_policy(b, "overhead", o.alert);
  auto &t = r.throughput;
  b.insert(b.end(), {{"throughput", "ratio", &t.ratio},
                     {"throughput", "baseline_window", &t.baseline_window},
                     {"throughput", "recent_window", &t.recent_window},
                     {"throughput", "min_baseline", &t.min_baseline},
                     {"throughput", "min_recent", &t.min_recent}});
  bind_policy(b, "throughput", t.alert);
  auto &m = r.oom;
  b.insert(b.end(), {{"oom", "headroom_bytes", &m.headroom_bytes},
                     {"oom", "headroom_critical_bytes", &m.headroom_critical_bytes},
                     {"oom", "swap_growth_bytes", &m.swap_growth_bytes},
                     {"oom", "swap_window", &m.swap_window},
                     {"oom", "trend_window", &m.trend_window},
                     {"oom", "trend_min_samples", &m.trend_min_samples},
                     {"oom", "tto_warning", &m.tto_warning},
                     {"oom", "tto_critical", &m.tto_critical},
                     {"oom", "max_context_tokens", &m.max_context_tokens},
                     {"oom", "ctx_min_span_tokens", &m.ctx_min_span_tokens},
                     {"oom", "ctx_min_samples", &m.ctx_min_samples},
                     {"oom", "fit_min_r2", &m.fit_min_r2},
                     {"oom", "fast_window", &m.fast_window},
                     {"oom", "fast_fit_min_r2", &m.fast_fit_min_r2},
                     {"oom", "fast_min_samples", &m.fast_min_samples},
                     {"oom", "gpu_mem_pct", &m.gpu_mem_pct},
                     {"oom", "kv_cache_pct", &m.kv_cache_pct},
                     {"oom", "fresh", &m.fresh}});
  bind_policy(b, "oom", m.alert);
  b.push_back({"crash", "hold", &r.crash.hold});
  bind_policy(b, "crash", r.crash.alert);
  bind_policy(b, "node", r.node.alert);
  return b;
}

std::string show(const Target &t) {
  struct V {
    std::string operator()(const double *p) const { return fmt::format("{}", *p); }
    std::string operator()(const std::size_t *p) const { return fmt::format("{}", *p); }
    std::string operator()(const Duration *p) const {
      return fmt::format("\"{}s\"", to_seconds(*p));
    }
    std::string operator()(const std::vector<std::string> *p) const {
      std::string s = "[";
      for (const auto &x : *p) s += (s.size() > 1 ? ", \"" : "\"") + x + "\"";
      return s + "]";
    }
  };
  return std::visit(V{}, t);
}

std::string where(const std::string &file, const toml::node &n) {
  const auto line = n.source().begin.line;
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

Error bad(const std::string &file, const toml::node &n, const std::string &section,
          const std::string &key, const std::string &why, const std::string &help) {
  return Error{fmt::format("invalid setting {} in [thresholds.{}]", key, section), why,
               where(file, n), help};
}

// Assigns one TOML value to its setting; an error says what type was expected.
std::optional<std::string> assign(const toml::node &n, const Target &t) {
  if (auto *d = std::get_if<double *>(&t)) {
    auto v = n.value<double>();
    if (!v || !std::isfinite(*v) || *v < 0) return "expected a non-negative number";
    **d = *v;
  } else if (auto *z = std::get_if<std::size_t *>(&t)) {
    auto v = n.value<int64_t>();
    if (!v || *v < 1 || *v > 1'000'000) return "expected a whole number from 1 to 1000000";
    **z = static_cast<std::size_t>(*v);
  } else if (auto *du = std::get_if<Duration *>(&t)) {
    if (auto num = n.value<double>(); num && std::isfinite(*num) && *num >= 0 && *num < 1e9)
      **du = from_seconds(*num);
    else if (auto str = n.value<std::string>(); !str || !parse_duration(*str, **du))
      return "expected a duration such as \"30s\", \"500ms\", \"2m\" or a number of seconds";
  } else if (auto *list = std::get_if<std::vector<std::string> *>(&t)) {
    const auto *arr = n.as_array();
    if (arr == nullptr) return "expected a list of metric names";
    std::vector<std::string> out;
    for (const auto &e : *arr) {
      auto v = e.value<std::string>();
      if (!v) return "expected a list of metric names (strings)";
      out.push_back(*v);
    }
    **list = std::move(out);
  }
  return std::nullopt;
}

std::string known_keys(const std::vector<Binding> &b, const std::string &section) {
  std::string s;
  for (const auto &x : b)
    if (section == x.section) s += (s.empty() ? "" : ", ") + std::string(x.key);
  return s;
}

} // namespace

namespace {

// Pairs of a critical threshold and the warning one it escalates: critical must be the
// nearer to trouble (time to OOM shorter, headroom smaller), or it fires first or never.
Result<Rules> check_order(const Rules &rules, const toml::table &thresholds,
                          const std::string &file) {
  struct Pair {
    const char *critical;
    const char *warning;
    bool ordered;
  };
  const auto &m = rules.oom;
  const std::array<Pair, 2> pairs{{
      {"tto_critical", "tto_warning", m.tto_critical <= m.tto_warning},
      {"headroom_critical_bytes", "headroom_bytes", m.headroom_critical_bytes <= m.headroom_bytes},
  }};
  const auto *oom = thresholds["oom"].as_table();
  for (const auto &p : pairs) {
    if (p.ordered) continue;
    // The line of whichever of the two the file sets, the critical one first.
    const toml::node *at = oom != nullptr ? oom->get(p.critical) : nullptr;
    if (at == nullptr && oom != nullptr) at = oom->get(p.warning);
    const std::string place = at != nullptr ? where(file, *at) : file;
    return Error{fmt::format("invalid setting {} in [thresholds.oom]", p.critical),
                 fmt::format("above {}: the critical alert would come before the warning it "
                             "escalates",
                             p.warning),
                 place, fmt::format("set {} at most {}", p.critical, p.warning)};
  }
  return rules;
}

} // namespace

const AlertPolicy &Rules::policy(const std::string &rule) const {
  if (rule == "fence_wait_stall") return fence_wait.alert;
  if (rule == "step_stall" || rule == "gpu_spin" || rule == "cluster_stall") return stall.alert;
  if (rule == "orchestration_overhead") return overhead.alert;
  if (rule == "throughput_collapse") return throughput.alert;
  if (rule == "crash") return crash.alert;
  if (rule == "node_down" || rule == "node_stale" || rule == "stream_down") return node.alert;
  return oom.alert; // oom_headroom, oom_pressure, swap_growth, time_to_oom, ...
}

std::vector<RuleField> rule_fields() {
  Rules r;
  std::vector<RuleField> out;
  for (const auto &b : bindings(r)) out.push_back({b.section, b.key, show(b.target)});
  return out;
}

// Settings on a bounded scale: a fit's R² and a ratio or share are at most 1, a percentage at
// most 100. `fit_min_r2 = 5` switched the OOM trend off without a word.
std::optional<std::string> out_of_scale(const std::string &key, const Target &t) {
  const auto *d = std::get_if<double *>(&t);
  if (d == nullptr) return std::nullopt;
  const bool fraction =
      key.ends_with("_r2") || key == "ratio" || key == "busy_ratio" || key == "share";
  if (fraction && **d > 1) return "expected a number from 0 to 1";
  if (key.ends_with("_pct") && **d > 100) return "expected a percentage from 0 to 100";
  return std::nullopt;
}

Result<Rules> rules_from_toml(const toml::table &thresholds, const std::string &file) {
  Rules rules;
  const auto b = bindings(rules);
  for (const auto &[section_key, section_node] : thresholds) {
    const std::string section(section_key.str());
    const auto *table = section_node.as_table();
    if (known_keys(b, section).empty() || table == nullptr)
      return Error{fmt::format("invalid section [thresholds.{}]", section),
                   table == nullptr ? "expected a table of settings" : "unknown section",
                   where(file, section_node),
                   "use one of [thresholds.fence_wait], .stall, .overhead, .throughput, .oom, "
                   ".crash, .node (docs/alerts.md)"};
    for (const auto &[key_key, value] : *table) {
      const std::string key(key_key.str());
      const Binding *hit = nullptr;
      for (const auto &x : b)
        if (section == x.section && key == x.key) hit = &x;
      if (hit == nullptr)
        return bad(file, value, section, key, "unknown key",
                   "known keys in [thresholds." + section + "]: " + known_keys(b, section));
      // Shown before the value is assigned: the help said "default is 1.5" of a rejected 1.5.
      const std::string fix = "default is " + show(hit->target) + " (docs/alerts.md)";
      if (auto why = assign(value, hit->target)) return bad(file, value, section, key, *why, fix);
      if (auto why = out_of_scale(key, hit->target))
        return bad(file, value, section, key, *why, fix);
    }
  }
  return check_order(rules, thresholds, file);
}

} // namespace clustertop
