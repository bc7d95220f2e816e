#include "clustertop/sink/csv.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "clustertop/core/redact.hpp"
#include "clustertop/core/text.hpp"
#include "clustertop/sink/atomic_file.hpp"
#include "clustertop/sink/csv_text.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

constexpr const char *kEol = "\r\n"; // RFC 4180 line break

// Appends cells separated by commas; one object per CSV line.
class Line {
public:
  explicit Line(std::string &out) : out_(out) {}
  void text(std::string_view s) { sep().append_text(s); }
  void name(std::string_view s) { append_name_cell(sep().out_, s); }
  void joined(std::string_view s) { append_joined_cell(sep().out_, s); }
  void number(double v) { append_number_cell(sep().out_, v); }
  void end() { out_ += kEol; }

private:
  Line &sep() {
    if (!first_) out_ += ',';
    first_ = false;
    return *this;
  }
  void append_text(std::string_view s) { append_text_cell(out_, s); }
  std::string &out_;
  bool first_ = true;
};

// GPU indices sort numerically ("2" before "10"); anything else after, by text.
bool device_less(const std::string &a, const std::string &b) {
  const auto numeric = [](const std::string &s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const bool na = numeric(a);
  const bool nb = numeric(b);
  if (na != nb) return na;
  if (na && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// Per-GPU columns exist when some node has several GPUs: the union of their indices.
std::vector<std::string> gpu_columns(const Store &store) {
  std::vector<std::string> all;
  bool several = false;
  for (const auto &node : store.nodes()) {
    std::size_t count = 0;
    for (const auto &[device, series] : store.devices(node, "gpu.power_w")) {
      if (device.empty()) continue;
      ++count;
      if (std::find(all.begin(), all.end(), device) == all.end()) all.push_back(device);
    }
    several = several || count > 1;
  }
  if (!several) return {};
  std::sort(all.begin(), all.end(), device_less);
  return all;
}

// Sum of the per-GPU values when every GPU's latest value is known; a node-wide ("")
// series when there are no per-GPU ones. A GPU not heard from for kSampleMaxAge is gone (its
// sampler no longer lists it) and left out: counted as unknown, it emptied the node's total
// for the rest of the run while every GPU still there reported.
double gpu_power_sum(const Store &store, const std::string &node, TimePoint now) {
  double sum = 0;
  double node_wide = kUnknown;
  bool any = false;
  for (const auto &[device, series] : store.devices(node, "gpu.power_w")) {
    if (device.empty()) {
      node_wide = sampled_state(series, now);
      continue;
    }
    const Point *latest = point_at(series, now);
    if (latest == nullptr || latest->time < now - kSampleMaxAge) continue;
    any = true;
    sum += latest->value; // NaN (a reading it could not make) poisons the sum: a partial one
                          // understates power
  }
  return any ? sum : node_wide;
}

// eval − model − gpu_eval, only when all three come from the same step line.
double step_overhead(const Store &store, const std::string &node) {
  const auto eval = store.latest_point({node, "step.eval_ms", ""});
  const auto model = store.latest_point({node, "step.model_ms", ""});
  const auto gpu = store.latest_point({node, "step.gpu_eval_ms", ""});
  if (!eval || !model || !gpu) return kUnknown;
  if (eval->time != model->time || eval->time != gpu->time) return kUnknown;
  // To the nanosecond: the difference of decimals the log wrote is not a binary fraction
  // (32.3 − 18.6 − 0.5 printed as 13.199999999999996).
  return std::round((eval->value - model->value - gpu->value) * 1e6) / 1e6;
}

double window_max(const Series *s, TimePoint now, Duration window) {
  double best = kUnknown;
  if (s == nullptr) return best;
  for (std::size_t i = s->size(); i-- > 0;) {
    const Point &p = (*s)[i];
    if (p.time <= now - window) break;
    if (p.time > now || !is_known(p.value)) continue;
    if (!is_known(best) || p.value > best) best = p.value;
  }
  return best;
}

double memory_used(const Store &store, const std::string &node, TimePoint now) {
  const auto sampled = [&](const char *m) { return sampled_state(store, node, m, now); };
  const double used = sampled("mem.used_bytes");
  if (is_known(used)) return used;
  return sampled("mem.total_bytes") - sampled("mem.available_bytes");
}

void write_wide_header(std::string &out, const std::vector<std::string> &gpus) {
  Line line(out);
  for (const char *h : {"time", "node", "status", "status_detail", "gpu_power_w"}) line.text(h);
  // The device as /metrics labels it, one to one: two GPU ids that are not text were one
  // column name (U+FFFD) here, and a reader keyed on the header kept one of them.
  for (const auto &g : gpus) line.text("gpu" + one_to_one_text(g) + "_power_w");
  for (const char *h :
       {"mem_used_bytes", "mem_available_bytes", "mem_total_bytes", "mem_pressure_level",
        "swap_used_bytes", "step_eval_ms", "step_model_ms", "step_gpu_eval_ms", "step_overhead_ms",
        "fence_wait_ms", "fence_wait_max_ms", "tokens_per_s", "ctx_tokens", "kv_cache_usage_pct",
        "requests_running", "requests_waiting", "alerts", "alert_messages"})
    line.text(h);
  line.end();
}

// "rule(severity); ..." (with its subject, "crash[metal_error](critical)", where it has one:
// six crashes of one node read as six of the same) and "message | ..." for the findings that
// concern `node` (cluster-wide findings concern every node). In a message a `|` is written
// `\|` and a `\` as `\\`, so the cell splits back into its messages at each ` | ` left: exo's
// file log separates its fields by ` | `, and every crash quoted from it split into more
// messages than there were alerts.
std::pair<std::string, std::string> alert_cells(const std::vector<Finding> &firing,
                                                const std::string &node) {
  std::string rules;
  std::string messages;
  for (const auto &f : firing) {
    if (!f.node.empty() && f.node != node) continue;
    if (!rules.empty()) rules += "; ";
    rules += f.rule;
    // Each subject and message redacted and cut alone (cell_text), the cells not again: the
    // cell's own redaction ran a secret's value from a subject (a GPU id or log path reading
    // `password=…`) up to the next space, and took the `](warning);` after it, so two such
    // alerts read as one; an unclosed quote in one message took the next one's head.
    if (!f.subject.empty()) rules += "[" + cell_text(f.subject) + "]";
    rules += "(" + std::string(to_string(f.severity)) + ")";
    if (!messages.empty()) messages += " | ";
    for (const char c : cell_text(f.message)) {
      if (c == '|' || c == '\\') messages += '\\';
      messages += c;
    }
  }
  return {rules, messages};
}

void write_wide_row(std::string &out, const Store &store, const std::string &node,
                    const std::string &time, const std::vector<std::string> &gpus,
                    const std::vector<Finding> &firing, TimePoint now, Duration window) {
  // Steps are the latest step, whenever it came; samples are the node's state, when recent.
  const auto latest = [&](const char *metric) { return store.latest({node, metric, ""}); };
  const auto sampled = [&](const char *m) { return sampled_state(store, node, m, now); };
  const NodeInfo *info = store.node(node);
  Line line(out);
  line.text(time);
  line.name(node);
  line.text(info != nullptr ? to_string(info->state) : "");
  line.text(info != nullptr ? info->detail : "");
  line.number(gpu_power_sum(store, node, now));
  for (const auto &g : gpus)
    line.number(sampled_state(store.series({node, "gpu.power_w", g}), now));
  line.number(memory_used(store, node, now));
  for (const char *m :
       {"mem.available_bytes", "mem.total_bytes", "mem.pressure_level", "mem.swap_used_bytes"})
    line.number(sampled(m));
  for (const char *m : {"step.eval_ms", "step.model_ms", "step.gpu_eval_ms"})
    line.number(latest(m));
  line.number(step_overhead(store, node));
  line.number(latest("step.fence_wait_ms"));
  line.number(window_max(store.series({node, "step.fence_wait_ms", ""}), now, window));
  line.number(generation_rate(store, node, now));
  for (const char *m : {"ctx.tokens", "kv_cache.usage_pct", "req.running", "req.waiting"})
    line.number(latest(m));
  const auto [rules, messages] = alert_cells(firing, node);
  line.joined(rules); // redacted and cut by its parts (alert_cells)
  line.joined(messages);
  line.end();
}

// Series share timestamps (one sampler line feeds several series): formatting each distinct
// time once instead of once per row makes long snapshots several times faster.
class TimeCache {
public:
  const std::string &format(TimePoint t) {
    const auto key = t.time_since_epoch().count();
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    if (cache_.size() > 100'000) cache_.clear(); // bounded memory on a huge store
    return cache_.emplace(key, iso8601_utc(t)).first->second;
  }

private:
  std::unordered_map<std::int64_t, std::string> cache_;
};

} // namespace

Result<CsvFormat> parse_csv_format(const std::string &text) {
  if (text == "wide") return CsvFormat::wide;
  if (text == "long") return CsvFormat::long_rows;
  return Error{"unknown CSV format", "'" + text + "'", "--csv-format",
               "use 'wide' (a row per node) or 'long' (a row per sample)"};
}

std::string unit_of_metric(const std::string &metric) {
  static const std::vector<std::pair<std::string, std::string>> kSuffixes = {
      {"_bytes", "bytes"},   {"_per_s", "tokens/s"}, {"_ms", "ms"},       {"_w", "W"},
      {"_pct", "%"},         {"_c", "Cel"},          {"_ratio", "ratio"}, {"_level", "level"},
      {".tokens", "tokens"}, {"_tokens", "tokens"}};
  for (const auto &[suffix, unit] : kSuffixes)
    if (metric.size() > suffix.size() && metric.ends_with(suffix)) return unit;
  return "";
}

std::string render_csv_wide(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                            Duration window) {
  const auto gpus = gpu_columns(store);
  const std::string time = iso8601_utc(now);
  std::string out;
  out.reserve(256 + store.nodes().size() * 256);
  write_wide_header(out, gpus);
  for (const auto &node : store.nodes())
    write_wide_row(out, store, node, time, gpus, firing, now, window);
  return out;
}

namespace {

// The long rows of a series' points from index `first` (oldest 0) on.
void append_long_rows(std::string &out, const SeriesKey &key, const Series &series,
                      std::size_t first) {
  if (first >= series.size()) return;
  // The key and unit cells are the same on every row of a series: clean them once.
  std::string key_cells;
  key_cells += ',';
  append_name_cell(key_cells, key.node);
  key_cells += ',';
  append_text_cell(key_cells, key.metric);
  key_cells += ',';
  // The device one to one, as /metrics labels it (two ids that are not text were one cell).
  append_text_cell(key_cells, one_to_one_text(key.device));
  key_cells += ',';
  std::string unit_cell = ",";
  append_text_cell(unit_cell, unit_of_metric(key.metric));
  unit_cell += kEol;
  for (std::size_t i = first; i < series.size(); ++i) {
    const Point &p = series[i];
    out += iso8601_utc(p.time);
    out += key_cells;
    append_number_cell(out, p.value);
    out += unit_cell;
  }
}

} // namespace

std::string render_csv_long(const Store &store) {
  std::string out(kLongCsvHeader);
  for (const auto &[key, series] : store.all_series()) append_long_rows(out, key, series, 0);
  return out;
}

std::uint64_t LongRows::collect(const Store &store) {
  std::uint64_t lost = 0;
  for (const auto &[key, series] : store.all_series()) {
    std::uint64_t &read = read_[&series]; // series are never removed: the address is theirs
    const std::uint64_t fresh = series.pushed() - read;
    if (fresh == 0) continue;
    const std::uint64_t held = std::min<std::uint64_t>(fresh, series.size());
    lost += fresh - held;
    append_long_rows(rows_, key, series, series.size() - static_cast<std::size_t>(held));
    read = series.pushed();
  }
  return lost;
}

std::string render_csv(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                       const CsvOptions &options) {
  if (options.format == CsvFormat::long_rows) return render_csv_long(store);
  return render_csv_wide(store, firing, now, options.window);
}

Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, const CsvOptions &options) {
  const std::string text = render_csv(store, firing, now, options);
  if (path != "-") return write_file_atomic(path, text);
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    return Error{"cannot write the snapshot to standard output",
                 errno != 0 ? std::strerror(errno) : "write failed", "-",
                 "check the pipe or file standard output goes to"};
  return ok_status();
}

Status write_snapshot(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                      const std::string &path, CsvFormat format) {
  CsvOptions options;
  options.format = format;
  return write_snapshot(store, firing, now, path, options);
}

} // namespace clustertop
