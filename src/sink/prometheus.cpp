#include "clustertop/sink/prometheus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <set>
#include <unordered_map>

#include "clustertop/sink/csv_text.hpp"
#include "clustertop/store/store.hpp"

namespace clustertop {
namespace {

// One store metric exported into one family; rows of the same family sit together.
struct Export {
  const char *family;
  const char *help;
  const char *metric;
  double divisor;    // store unit -> base unit (ms -> s: 1000; pct -> ratio: 100)
  const char *label; // extra fixed label, or nullptr
  const char *label_value;
};

constexpr std::array kExports = {
    Export{"clustertop_gpu_power_watts", "GPU power draw.", "gpu.power_w", 1, nullptr, nullptr},
    Export{"clustertop_gpu_power_limit_watts", "GPU power limit.", "gpu.power_limit_w", 1, nullptr,
           nullptr},
    Export{"clustertop_gpu_utilization_ratio", "GPU utilization (0-1).", "gpu.util_pct", 100,
           nullptr, nullptr},
    Export{"clustertop_gpu_active_ratio", "Apple GPU active residency (0-1).", "gpu.active_ratio",
           1, nullptr, nullptr},
    Export{"clustertop_gpu_memory_used_bytes", "GPU memory in use.", "gpu.mem_used_bytes", 1,
           nullptr, nullptr},
    Export{"clustertop_gpu_memory_total_bytes", "GPU memory size.", "gpu.mem_total_bytes", 1,
           nullptr, nullptr},
    Export{"clustertop_gpu_temperature_celsius", "GPU temperature.", "gpu.temp_c", 1, nullptr,
           nullptr},
    Export{"clustertop_cpu_power_watts", "CPU power draw.", "cpu.power_w", 1, nullptr, nullptr},
    Export{"clustertop_ane_power_watts", "Apple Neural Engine power draw.", "ane.power_w", 1,
           nullptr, nullptr},
    Export{"clustertop_system_power_watts", "Whole-system power draw.", "sys.power_w", 1, nullptr,
           nullptr},
    Export{"clustertop_memory_total_bytes", "Physical memory size.", "mem.total_bytes", 1, nullptr,
           nullptr},
    Export{"clustertop_memory_available_bytes", "Memory available without swapping.",
           "mem.available_bytes", 1, nullptr, nullptr},
    Export{"clustertop_memory_used_bytes", "Memory in use.", "mem.used_bytes", 1, nullptr, nullptr},
    Export{"clustertop_memory_pressure_level",
           "macOS memory pressure (0 normal, 1 warn, 2 critical).", "mem.pressure_level", 1,
           nullptr, nullptr},
    Export{"clustertop_swap_total_bytes", "Swap size.", "mem.swap_total_bytes", 1, nullptr,
           nullptr},
    Export{"clustertop_swap_used_bytes", "Swap in use.", "mem.swap_used_bytes", 1, nullptr,
           nullptr},
    Export{"clustertop_process_peak_memory_bytes", "Peak memory the inference engine reported.",
           "mem.peak_bytes", 1, nullptr, nullptr},
    Export{"clustertop_step_seconds", "Latest inference step duration by phase.", "step.eval_ms",
           1000, "phase", "eval"},
    Export{"clustertop_step_seconds", "", "step.model_ms", 1000, "phase", "model"},
    Export{"clustertop_step_seconds", "", "step.gpu_eval_ms", 1000, "phase", "gpu_eval"},
    Export{"clustertop_fence_wait_seconds", "Latest GPU fence wait of a step.",
           "step.fence_wait_ms", 1000, nullptr, nullptr},
    Export{"clustertop_step_index", "Index of the latest step seen.", "step.index", 1, nullptr,
           nullptr},
    Export{"clustertop_tokens_per_second", "Latest throughput by phase.", "gen.tokens_per_s", 1,
           "phase", "generation"},
    Export{"clustertop_tokens_per_second", "", "prompt.tokens_per_s", 1, "phase", "prompt"},
    Export{"clustertop_context_tokens", "Tokens in the current context.", "ctx.tokens", 1, nullptr,
           nullptr},
    Export{"clustertop_kv_cache_usage_ratio", "KV cache usage (0-1).", "kv_cache.usage_pct", 100,
           nullptr, nullptr},
    Export{"clustertop_prefix_cache_hit_ratio", "Prefix cache hit rate (0-1).",
           "prefix_cache.hit_pct", 100, nullptr, nullptr},
    Export{"clustertop_requests", "Requests by state.", "req.running", 1, "state", "running"},
    Export{"clustertop_requests", "", "req.waiting", 1, "state", "waiting"},
};

void append_value(std::string &out, double v) {
  if (std::isinf(v))
    out += v > 0 ? "+Inf" : "-Inf";
  else
    append_number_cell(out, v); // integral values (bytes) without an exponent
}

void append_header(std::string &out, const char *family, const char *help, const char *type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", family, help, family,
                 type);
}

void append_sample(std::string &out, const Export &e, const std::string &node_label,
                   const std::string &device, double value) {
  out += e.family;
  out += "{node=\"";
  out += node_label;
  out += '"';
  if (!device.empty()) {
    out += std::string_view(e.metric).starts_with("gpu.") ? ",gpu=\"" : ",device=\"";
    out += escape_label_value(device);
    out += '"';
  }
  if (e.label != nullptr) {
    out += ',';
    out += e.label;
    out += "=\"";
    out += e.label_value;
    out += '"';
  }
  out += "} ";
  append_value(out, value / e.divisor); // division keeps 36 ms == 0.036 s exact
  out += '\n';
}

// One pass over every series (in key order: node, metric, device), each sample appended to
// its export's body; families are then concatenated so each stays contiguous.
std::vector<std::string> export_bodies(const Store &store, TimePoint now, Duration max_age) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < kExports.size(); ++i) index.emplace(kExports[i].metric, i);
  std::vector<std::string> bodies(kExports.size());
  const std::string *last_node = nullptr;
  std::string node_label;
  for (const auto &[key, series] : store.all_series()) {
    const auto it = index.find(key.metric);
    if (it == index.end() || series.empty()) continue;
    const Point &p = series.back();
    if (std::isnan(p.value) || p.time < now - max_age) continue;
    if (last_node == nullptr || *last_node != key.node) {
      node_label = escape_label_value(key.node);
      last_node = &key.node;
    }
    append_sample(bodies[it->second], kExports[it->second], node_label, key.device, p.value);
  }
  return bodies;
}

void append_node_table(std::string &out, const Store &store,
                       const std::vector<std::string> &labels) {
  const auto &nodes = store.nodes();
  const auto each = [&](const char *family, const auto &value) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeInfo *info = store.node(nodes[i]);
      if (info == nullptr) continue;
      const double v = value(*info);
      if (std::isnan(v)) continue;
      fmt::format_to(std::back_inserter(out), "{}{{node=\"{}\"}} ", family, labels[i]);
      append_value(out, v);
      out += '\n';
    }
  };
  append_header(out, "clustertop_node_up", "1 when the node is connected and streaming.", "gauge");
  each("clustertop_node_up",
       [](const NodeInfo &n) { return n.state == NodeState::up ? 1.0 : 0.0; });
  append_header(out, "clustertop_node_last_data_timestamp_seconds",
                "Unix time of the last line received from the node.", "gauge");
  each("clustertop_node_last_data_timestamp_seconds",
       [](const NodeInfo &n) { return n.last_data ? epoch_seconds(*n.last_data) : kUnknown; });
  append_header(out, "clustertop_node_lines_total", "Lines received from the node.", "counter");
  each("clustertop_node_lines_total",
       [](const NodeInfo &n) { return static_cast<double>(n.lines); });
  append_header(out, "clustertop_node_skipped_lines_total", "Lines no parser could use.",
                "counter");
  each("clustertop_node_skipped_lines_total",
       [](const NodeInfo &n) { return static_cast<double>(n.skipped_lines); });
  append_header(out, "clustertop_node_dropped_samples_total",
                "Samples of new metrics dropped: the node has as many series as are kept for one.",
                "counter");
  each("clustertop_node_dropped_samples_total",
       [](const NodeInfo &n) { return static_cast<double>(n.dropped_samples); });
}

void append_alerts(std::string &out, const std::vector<Finding> &firing) {
  append_header(out, "clustertop_alert", "1 for each alert firing now.", "gauge");
  std::set<std::string> seen; // two findings with one label set would be a duplicate series
  for (const auto &f : firing) {
    std::string labels =
        fmt::format("rule=\"{}\",node=\"{}\",severity=\"{}\"", escape_label_value(f.rule),
                    escape_label_value(f.node), to_string(f.severity));
    if (!f.subject.empty()) labels += fmt::format(",subject=\"{}\"", escape_label_value(f.subject));
    if (seen.insert(labels).second)
      fmt::format_to(std::back_inserter(out), "clustertop_alert{{{}}} 1\n", labels);
  }
}

} // namespace

std::string escape_label_value(std::string_view value) {
  // Fast path: plain printable ASCII (node names, GPU indices) needs no work.
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c < 0x7F && c != '\\' && c != '"';
  });
  if (plain) return std::string(value);
  // The value's text, one to one (`\xHH`, `\\`), so that no two values read the same:
  // replacing them with U+FFFD made different devices or nodes one series, twice in the same
  // scrape. The newline is the format's own escape.
  const std::string text = one_to_one_text(value, true);
  // The exposition format's own escapes, which a reader undoes.
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_prometheus(const Store &store, const std::vector<Finding> &firing, TimePoint now,
                              const PrometheusOptions &options) {
  std::vector<std::string> node_labels;
  node_labels.reserve(store.nodes().size());
  for (const auto &n : store.nodes()) node_labels.push_back(escape_label_value(n));
  std::string out;
  out.reserve(4096 + store.nodes().size() * 2048);
  append_node_table(out, store, node_labels);
  const auto bodies = export_bodies(store, now, options.max_age);
  for (std::size_t i = 0; i < kExports.size(); ++i) {
    if (*kExports[i].help != '\0')
      append_header(out, kExports[i].family, kExports[i].help, "gauge");
    out += bodies[i];
  }
  append_alerts(out, firing);
  return out;
}

Result<ListenAddress> parse_listen_address(const std::string &text) {
  const auto bad = [&](const char *why) {
    return Error{"invalid listen address", why, "--listen " + text,
                 "use HOST:PORT, e.g. 127.0.0.1:9464 (or :9464 for loopback)"};
  };
  std::string host = "127.0.0.1";
  std::string port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos)
      return bad("an IPv6 address needs brackets");
    if (host.empty()) host = "127.0.0.1";
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    return bad("the port is not a number");
  const int port = std::stoi(port_text);
  if (port > 65535) return bad("the port is past 65535");
  return ListenAddress{host, port};
}

} // namespace clustertop
