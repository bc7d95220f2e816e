#include "clustertop/sink/figures_printer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/sink/alert_printer.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

// How busy the node's busiest GPU is, in percent: NVIDIA's utilisation, else Apple's
// residency (the figures gpu_spin decides on).
double gpu_busy_pct(const Store &s, const std::string &node, TimePoint now) {
  const double util = sampled_device_max(s, node, "gpu.util_pct", now);
  return is_known(util) ? util : sampled_device_max(s, node, "gpu.active_ratio", now) * 100;
}

std::string num(double v, const char *unit, int precision = 1) {
  return is_known(v) ? fixed_or_figures(v, precision) + unit : "-";
}
std::string gib(double bytes) { return num(bytes / (1024.0 * 1024 * 1024), "G"); }
nlohmann::json json_num(double v) { return is_known(v) ? nlohmann::json(v) : nlohmann::json(); }

// The node's last log line as figures show it: secrets left out, and cut. Only what can be
// shown is redacted (every tick, lines up to 64 KiB), with room for a secret across the cut.
// Cut as an alert's quote is cut: never inside a "[redacted]" or after a secret's key. The
// text line shows it terminal-safe; the JSON line escapes it as JSON does (terminal-safe
// text there made a real ESC and the text "\x1b" one string).
std::string last_log_text(const Store &s, const std::string &node) {
  const auto *logs = s.log_lines(node);
  if (logs == nullptr || logs->empty()) return {};
  constexpr std::size_t kShown = 120;
  return cut_redacted(redact_secrets(std::string_view(logs->back().text).substr(0, kShown + 1024)),
                      kShown);
}

} // namespace

// Stamped as the alert lines beside it are, date and zone and all: a bare "04:29:20" in UTC
// read as local time, and a replay across days had no date to tell them apart.
std::string FiguresPrinter::text_line(const Store &s, const std::string &node, TimePoint now) {
  const auto *info = s.node(node);
  // Sampled figures (memory, GPU) as the CSV and /metrics read them: a node down for minutes
  // gave its last 24.7 GB free as current here, where the CSV row of the same tick was empty.
  const double avail = sampled_state(s, node, "mem.available_bytes", now);
  const double total = sampled_state(s, node, "mem.total_bytes", now);
  std::string line = fmt::format(
      "{} {} {} mem avail {} / {} swap {} gpu {} step {} fence {} tok/s {} ctx {}",
      iso8601_utc(now), node, info ? to_string(info->state) : "unknown", gib(avail), gib(total),
      gib(sampled_state(s, node, "mem.swap_used_bytes", now)),
      num(sampled_device_sum(s, node, "gpu.power_w", now), "W"),
      num(s.latest({node, "step.eval_ms", ""}), "ms"),
      num(s.latest({node, "step.fence_wait_ms", ""}), "ms", 2),
      num(generation_rate(s, node, now), ""), num(s.latest({node, "ctx.tokens", ""}), "", 0));
  // How busy its GPU is and its memory pressure (macOS), which gpu_spin and oom_pressure
  // decide on, and a server's KV cache and requests (vLLM, SGLang): each only where the node
  // reports it.
  if (const double busy = gpu_busy_pct(s, node, now); is_known(busy))
    line += fmt::format(" gpu busy {}", num(busy, "%", 0));
  if (const double level = sampled_state(s, node, "mem.pressure_level", now); is_known(level))
    line += fmt::format(" pressure {}", level >= 2 ? "critical" : level >= 1 ? "warn" : "normal");
  const double kv = s.latest({node, "kv_cache.usage_pct", ""});
  if (is_known(kv)) line += fmt::format(" kv {}", num(kv, "%", 0));
  for (const auto &[word, metric] :
       {std::pair{"running", "req.running"}, std::pair{"waiting", "req.waiting"}})
    if (const double n = s.latest({node, metric, ""}); is_known(n))
      line += fmt::format(" {} {}", word, num(n, "", 0));
  if (info != nullptr && info->state != NodeState::up && !info->detail.empty())
    line += fmt::format(" ({})", info->detail);
  if (info != nullptr && info->clock_skew)
    line += fmt::format(" ({})", describe_clock_skew(*info->clock_skew));
  if (const auto text = last_log_text(s, node); !text.empty())
    line += fmt::format(" | {}", terminal_safe(text)); // shown, not acted on
  return terminal_safe(line); // node names come from configs and command lines
}

std::string FiguresPrinter::json_line(const Store &s, const std::string &node, TimePoint now) {
  const auto *info = s.node(node);
  nlohmann::json j = {
      {"type", "figures"},
      {"time", iso8601_utc(now)},
      {"node", node},
      {"state", info ? to_string(info->state) : "unknown"},
      {"mem_available_bytes", json_num(sampled_state(s, node, "mem.available_bytes", now))},
      {"mem_total_bytes", json_num(sampled_state(s, node, "mem.total_bytes", now))},
      {"swap_used_bytes", json_num(sampled_state(s, node, "mem.swap_used_bytes", now))},
      {"gpu_power_w", json_num(sampled_device_sum(s, node, "gpu.power_w", now))},
      {"step_eval_ms", json_num(s.latest({node, "step.eval_ms", ""}))},
      {"fence_wait_ms", json_num(s.latest({node, "step.fence_wait_ms", ""}))},
      {"tokens_per_s", json_num(generation_rate(s, node, now))},
      {"ctx_tokens", json_num(s.latest({node, "ctx.tokens", ""}))},
      {"gpu_busy_pct", json_num(gpu_busy_pct(s, node, now))},
      {"mem_pressure_level", json_num(sampled_state(s, node, "mem.pressure_level", now))},
      {"kv_cache_usage_pct", json_num(s.latest({node, "kv_cache.usage_pct", ""}))},
      {"requests_running", json_num(s.latest({node, "req.running", ""}))},
      {"requests_waiting", json_num(s.latest({node, "req.waiting", ""}))},
      {"lines", info ? info->lines : 0},
      {"skipped_lines", info ? info->skipped_lines : 0},
      {"dropped_samples", info ? info->dropped_samples : 0}};
  // Seconds the node's clock runs ahead of this machine's (behind: negative), when it is off.
  if (info != nullptr && info->clock_skew) j["clock_skew_s"] = to_seconds(*info->clock_skew);
  // null before the first line, as every other unknown field (it was left out).
  const auto text = last_log_text(s, node);
  j["last_log"] = text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
  return clustertop::json_line(j);
}

void FiguresPrinter::on_tick(const TickContext &ctx) {
  // Lines fall due on a grid of `every` from the first, with a little slack for ticks that
  // arrive early. A tenth of `every` as slack put lines 9 s apart for --figures-every 10s
  // (ticks come every second).
  if (every_ <= Duration::zero()) return;
  const Duration slack = std::min<Duration>(every_ / 10, std::chrono::milliseconds(100));
  if (due_ && ctx.now + slack < *due_) return;
  due_ = due_ ? *due_ + every_ : ctx.now + every_;
  if (*due_ <= ctx.now) due_ = ctx.now + every_; // after a gap (a stop): from now on
  for (const auto &node : ctx.store.nodes()) {
    const auto line =
        json_ ? json_line(ctx.store, node, ctx.now) : text_line(ctx.store, node, ctx.now);
    out_.write(line);
    out_.write("\n");
  }
  out_.flush();
}

} // namespace clustertop
