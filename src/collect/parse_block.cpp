// The `block` kind: multi-line records (/proc/meminfo, vm_stat, powermetrics). `Key: value`
// lines accumulate until an end line (default: an empty line) or the next start line.
// Rule metrics named "$var" set a variable (vm_stat's page size) instead of a metric.
#include <algorithm>
#include <cmath>
#include <string>

#include "clustertop/collect/units.hpp"
#include "parsers_internal.hpp"

namespace clustertop {
namespace {

class BlockParser final : public LineParser {
public:
  explicit BlockParser(const CollectorDef &def) : spec_(def.parse.block) {}
  void set_utc_offset(std::chrono::minutes offset) override { caps_.set_offset(offset); }

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    if (spec_.start && spec_.start->matches(line)) {
      flush(out);
      in_record_ = true;
      apply_rules(line, received_at);
      return true;
    }
    if (spec_.end ? spec_.end->matches(line) : (!spec_.start && trim(line).empty())) {
      flush(out);
      return true;
    }
    if (trim(line).empty()) return true; // blank lines inside a record are expected
    bool used = apply_rules(line, received_at);
    caps_.rule = spec_.rules.size(); // the line pattern's block follows the rules'
    if (spec_.line && spec_.line->match(line, caps_.list, caps_.block())) {
      used = true;
      add_field();
    }
    if (used) in_record_ = true;
    return used;
  }

  void finish(RecordBuffer &out) override { flush(out); }

private:
  bool apply_rules(std::string_view line, TimePoint received_at) {
    bool any = false;
    for (std::size_t i = 0; i < spec_.rules.size(); ++i) {
      const auto &rule = spec_.rules[i];
      caps_.rule = i;
      scratch_.metrics.clear();
      bool matched = false;
      {
        MetricWriter w(scratch_);
        matched = apply_rule(rule, line, received_at, scratch_, w, caps_, &vars_);
      }
      if (!matched) continue;
      any = true;
      for (auto &m : scratch_.metrics) {
        if (!m.name.empty() && m.name[0] == '$')
          set_var(m.name.substr(1), m.value);
        else
          put(m.name, m.device, m.value);
      }
      if (scratch_.time && !cur_.time) cur_.time = scratch_.time;
    }
    return any;
  }

  void add_field() {
    bool kf = false;
    bool vf = false;
    const auto key = trim(capture(caps_, "key", kf));
    const auto val = capture(caps_, "value", vf);
    if (!kf || !vf) return;
    const auto it = spec_.fields.find(std::string(key));
    if (it == spec_.fields.end()) return;
    const auto &spec = it->second;
    double sv = 1.0;
    if (!spec.scale_var.empty()) {
      sv = kUnknown;
      for (const auto &[k, v] : vars_)
        if (k == spec.scale_var) sv = v;
    }
    put(spec.metric, spec.device, metric_value(spec, val, sv));
  }

  void set_var(const std::string &name, double v) {
    for (auto &[k, old] : vars_)
      if (k == name) return void(old = v);
    vars_.emplace_back(name, v);
  }

  // The last value of a metric in a record wins (powermetrics prints GPU power twice).
  void put(const std::string &name, const std::string &device, double v) {
    for (auto &m : cur_.metrics)
      if (m.name == name && m.device == device) return void(m.value = v);
    cur_.metrics.push_back(Metric{name, device, v});
  }

  [[nodiscard]] const Metric *get(const std::string &name) const {
    for (const auto &m : cur_.metrics)
      if (m.name == name && m.device.empty()) return &m;
    return nullptr;
  }

  void derive() {
    for (const auto &d : spec_.derive) {
      if (!d.unless.empty() && get(d.unless) != nullptr) continue;
      double v = 0;
      bool ok = true;
      for (const auto &a : d.add) ok = ok && get(a) != nullptr && ((v += get(a)->value), true);
      for (const auto &s : d.sub) ok = ok && get(s) != nullptr && ((v -= get(s)->value), true);
      if (ok) put(d.metric, "", v);
    }
  }

  void flush(RecordBuffer &out) {
    if (in_record_ && !cur_.metrics.empty()) {
      derive();
      Record &r = out.next();
      // Through the record's writer, as every parser fills a record: a copy assigned over
      // its metrics left what the record's last user (a log line's kv parser, sharing the
      // stream owner's buffer) had put in its spares, and added those of the next, so a live
      // run that samples memory beside a log grew ~1 KB a second for as long as it ran.
      MetricWriter w(r);
      for (const auto &m : cur_.metrics) {
        Metric &slot = w.add();
        slot.name = m.name;
        slot.device = m.device;
        slot.value = m.value;
      }
      r.time = cur_.time;
    }
    cur_.metrics.clear();
    cur_.time.reset();
    in_record_ = false;
  }

  const BlockSpec &spec_;
  Record cur_;
  Record scratch_;
  RuleScratch caps_;
  std::vector<std::pair<std::string, double>> vars_;
  bool in_record_ = false;
};

} // namespace

std::unique_ptr<LineParser> make_block_parser(const CollectorDef &def) {
  return std::make_unique<BlockParser>(def);
}

} // namespace clustertop
