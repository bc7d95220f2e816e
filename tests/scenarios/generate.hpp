// Scenario generators for the golden replays: realistic multi-node exo clusters built from
// the seeds' figures (fence_wait 0.3-1.0 ms, 33-67 ms steps, 36 ms steps with 29 ms of
// overhead, the 36 GB MacBook dying at ~21K tokens, GPU power 31/56/0 W). Each scenario is
// written as a recording (the Recorder's own format) or as plain exo log files, and then
// replayed through the real parsers, detectors and AlertBook.
#pragma once

#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clustertop/sink/recorder.hpp"

namespace clustertop::scenario {

inline TimePoint base() { return from_epoch_seconds(1'771'869'600.0); } // 2026-02-23T18:00Z
inline TimePoint at(double s) { return base() + from_seconds(s); }

inline std::string exo_prefix(double s, const char *level = "INFO",
                              const char *where = "exo.worker.runner.runner:main:412") {
  const std::string iso = iso8601_utc(at(s)); // 2026-02-23T18:00:01.123Z
  return fmt::format("[ {} {} | {:<8} | {} ] ", iso.substr(0, 10), iso.substr(11, 12), level,
                     where);
}

inline std::string step_line(double s, long index, double eval, double model, double gpu_eval,
                             double fence, long ctx) {
  return exo_prefix(s) + fmt::format("[STEP {}] eval={:.1f}ms model={:.1f}ms gpu_eval={:.2f}ms "
                                     "fence_wait={:.2f}ms ctx={}",
                                     index, eval, model, gpu_eval, fence, ctx);
}

// macmon pipe output (the schema of the collector's verbatim sample).
inline std::string macmon_line(double s, double gpu_w, double residency, double ram_total,
                               double ram_used) {
  return fmt::format(
      R"({{"all_power":{:.3f},"ane_power":0.0,"cpu_power":3.1,"ecpu_usage":[1172,0.08],)"
      R"("gpu_power":{:.3f},"gpu_ram_power":0.0,"gpu_usage":[1398,{:.4f}],)"
      R"("memory":{{"ram_total":{:.0f},"ram_usage":{:.0f},"swap_total":2147483648,)"
      R"("swap_usage":104857600}},"pcpu_usage":[3898,0.21],"ram_power":0.5,"sys_power":{:.3f},)"
      R"("temp":{{"cpu_temp_avg":52.5,"gpu_temp_avg":48.0}},"timestamp":"{}"}})",
      gpu_w + 3.1, gpu_w, residency, ram_total, ram_used, gpu_w + 12.0,
      iso8601_utc(at(s)).substr(0, 23) + "+00:00");
}

// One `vm_stat; sysctl ...` block of the macos_memory sampler (16 KiB pages).
inline std::vector<std::string> vm_stat_block(double total, double available, int pressure) {
  const double page = 16384;
  const auto pages = [&](double bytes) { return static_cast<long long>(bytes / page); };
  auto row = [](const char *key, long long v) {
    return fmt::format("{:<40}{:>12}.", std::string(key) + ":", v);
  };
  return {"Mach Virtual Memory Statistics: (page size of 16384 bytes)",
          row("Pages free", pages(available * 0.10)),
          row("Pages active", pages(total * 0.45)),
          row("Pages inactive", pages(available * 0.85)),
          row("Pages speculative", pages(available * 0.05)),
          row("Pages throttled", 0),
          row("Pages wired down", pages(total * 0.30)),
          row("Pages purgeable", 17340),
          row("\"Translation faults\"", 8667427138),
          row("Pages occupied by compressor", 442179),
          fmt::format("hw.memsize: {:.0f}", total),
          "vm.swapusage: total = 2048.00M  used = 100.00M  free = 1948.00M  (encrypted)",
          fmt::format("kern.memorystatus_vm_pressure_level: {}", pressure),
          ""};
}

struct NodeModel {
  std::string name;
  double ram_total = 128e9;
  double gpu_busy_w = 31; // during decode
  double residency = 0.9;
};

// Appends time-ordered batches to a recording: lines per (node, stream) at arrival times.
class Writer {
public:
  explicit Writer(Recorder &rec) : rec_(rec) {}
  void lines(const std::string &node, const std::string &stream, double s,
             std::vector<std::string> lines) {
    pending_[{s, node + "\n" + stream}].push_back(LineBatch{node, stream, at(s), std::move(lines)});
  }
  // Lines a reconnect read back (written during the outage), arriving at `s`.
  void read_back(const std::string &node, const std::string &stream, double s,
                 std::vector<std::string> lines) {
    LineBatch b{node, stream, at(s), std::move(lines)};
    b.backfilled = b.lines.size();
    pending_[{s, node + "\n" + stream}].push_back(std::move(b));
  }
  void status(const std::string &node, const std::string &stream, NodeState st,
              const std::string &detail, double s) {
    statuses_.push_back({s, NodeStatus{node, stream, st, detail, at(s)}});
  }
  // Writes everything in arrival order.
  void finish() {
    std::size_t next_status = 0;
    std::sort(statuses_.begin(), statuses_.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (auto &[key, batches] : pending_) {
      while (next_status < statuses_.size() && statuses_[next_status].first <= key.first)
        rec_.on_status(statuses_[next_status++].second);
      for (auto &b : batches) rec_.on_lines(b);
    }
    for (; next_status < statuses_.size(); ++next_status)
      rec_.on_status(statuses_[next_status].second);
  }

private:
  Recorder &rec_;
  std::map<std::pair<double, std::string>, std::vector<LineBatch>> pending_;
  std::vector<std::pair<double, NodeStatus>> statuses_;
};

// Decode steps at `step_ms` from t0 to t1 on one node, delivered in 100 ms batches.
struct Decode {
  double t0 = 0, t1 = 0;
  double step_ms = 33, model_ms = 30, gpu_eval_ms = 0.5;
  long ctx0 = 16384;
  std::function<double(long)> fence = [](long i) { return 0.3 + 0.7 * ((i * 37) % 10) / 10.0; };
};

inline long decode(Writer &w, const std::string &node, const std::string &log, const Decode &d,
                   long index0 = 0) {
  std::vector<std::string> batch;
  double batch_at = std::floor(d.t0 * 10) / 10 + 0.1;
  long i = 0;
  for (double t = d.t0; t < d.t1; t += d.step_ms / 1000.0, ++i) {
    if (t >= batch_at) {
      if (!batch.empty()) w.lines(node, log, batch_at, std::move(batch));
      batch = {};
      while (batch_at <= t) batch_at += 0.1;
    }
    const double scale = d.step_ms / 33.0;
    batch.push_back(step_line(t, index0 + i, d.step_ms, d.model_ms, d.gpu_eval_ms * scale,
                              d.fence(index0 + i), d.ctx0 + i));
  }
  if (!batch.empty()) w.lines(node, log, batch_at, std::move(batch));
  return index0 + i;
}

// The mlx-lm style summary exo prints when a request completes.
inline void finish_request(Writer &w, const std::string &node, const std::string &log, double s,
                           long tokens, double tps) {
  w.lines(
      node, log, s,
      {exo_prefix(s) + fmt::format("Generation: {} tokens, {:.3f} tokens-per-sec", tokens, tps)});
}

// 1 Hz samplers: macmon (GPU power, residency) and vm_stat (available memory, pressure).
inline void samplers(Writer &w, const NodeModel &n, double t0, double t1,
                     const std::function<bool(double)> &busy,
                     const std::function<double(double)> &available) {
  for (double t = t0; t < t1; t += 1.0) {
    const bool b = busy(t);
    const double avail = available(t);
    w.lines(n.name, "macmon", t + 0.05,
            {macmon_line(t, b ? n.gpu_busy_w : 0.3, b ? n.residency : 0.01, n.ram_total,
                         n.ram_total - avail)});
    const int pressure = avail < 1e9 ? 4 : avail < 3e9 ? 2 : 1;
    w.lines(n.name, "macos_memory", t + 0.5, vm_stat_block(n.ram_total, avail, pressure));
  }
}

} // namespace clustertop::scenario
