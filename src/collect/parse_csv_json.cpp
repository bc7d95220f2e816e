// The `csv` kind (nvidia-smi --format=csv) and the `json` kind (one object per line, macmon).
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

#include "clustertop/collect/units.hpp"
#include "parsers_internal.hpp"

namespace clustertop {
namespace {

class CsvParser final : public LineParser {
public:
  explicit CsvParser(const CollectorDef &def) : spec_(def.parse.csv) {}

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    (void)received_at;
    line = trim(line);
    if (!spec_.skip_prefix.empty() && line.substr(0, spec_.skip_prefix.size()) == spec_.skip_prefix)
      return true; // a header: expected, not junk
    fields_.clear();
    std::size_t start = 0;
    while (true) {
      const auto p = line.find(spec_.separator, start);
      fields_.push_back(trim(line.substr(start, p == std::string_view::npos ? p : p - start)));
      if (p == std::string_view::npos) break;
      start = p + 1;
    }
    if (fields_.size() != spec_.columns.size()) return false;
    // A line without its device (an empty GPU index) is unusable: its values would make a
    // node-wide series beside the per-device ones (a /metrics series without a gpu label).
    for (const auto &spec : spec_.metrics)
      if (const auto dc = column(spec.device_from);
          dc >= 0 && fields_[static_cast<std::size_t>(dc)].empty())
        return false;
    Record &rec = out.next();
    MetricWriter w(rec);
    for (const auto &spec : spec_.metrics) {
      const auto col = column(spec.source);
      if (col < 0) continue;
      Metric &m = w.add();
      m.name = spec.metric;
      m.device = spec.device;
      if (const auto dc = column(spec.device_from); dc >= 0)
        m.device.assign(fields_[static_cast<std::size_t>(dc)]);
      m.value = metric_value(spec, fields_[static_cast<std::size_t>(col)]);
    }
    return true;
  }

private:
  [[nodiscard]] int column(const std::string &name) const {
    if (name.empty()) return -1;
    for (std::size_t i = 0; i < spec_.columns.size(); ++i)
      if (spec_.columns[i] == name) return static_cast<int>(i);
    return -1;
  }

  const CsvSpec &spec_;
  std::vector<std::string_view> fields_;
};

// Rejects nesting deeper than `max` before nlohmann's recursive parser sees the text.
bool nesting_ok(std::string_view s, int max) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

const nlohmann::json *at_path(const nlohmann::json &root, std::string_view path) {
  const nlohmann::json *j = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const auto seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (j->is_object()) {
      auto it = j->find(std::string(seg));
      if (it == j->end()) return nullptr;
      j = &*it;
    } else if (j->is_array()) {
      double idx = 0;
      std::string_view rest;
      if (!parse_leading_number(seg, idx, rest) || !rest.empty() || idx < 0 ||
          idx >= static_cast<double>(j->size()))
        return nullptr;
      j = &(*j)[static_cast<std::size_t>(idx)];
    } else {
      return nullptr;
    }
  }
  return j;
}

class JsonParser final : public LineParser {
public:
  explicit JsonParser(const CollectorDef &def) : spec_(def.parse.json) {}
  void set_utc_offset(std::chrono::minutes offset) override { utc_offset_ = offset; }

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    line = trim(line);
    if (line.empty() || line.front() != '{' || !nesting_ok(line, spec_.max_depth)) return false;
    // JSON has no raw NUL; nlohmann's reader ends the text at one, and took
    // `{"gpu_power":1.5}\0{"cpu_power":2}` for its first object, the rest lost uncounted.
    if (line.find('\0') != std::string_view::npos) return false;
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return false;
    Record &rec = out.next();
    MetricWriter w(rec);
    for (const auto &spec : spec_.metrics) {
      const auto *v = at_path(doc, spec.source);
      if (v == nullptr || v->is_object() || v->is_array() || seen(rec, w, spec.metric)) continue;
      Metric &m = w.add();
      m.name = spec.metric;
      m.device = spec.device;
      m.value = value_of(spec, *v);
    }
    set_time(doc, received_at, rec);
    return true;
  }

private:
  // The first source listed for a metric wins (newer macmon fields before older ones).
  static bool seen(const Record &rec, const MetricWriter &w, const std::string &metric) {
    for (std::size_t i = 0; i < w.count(); ++i)
      if (rec.metrics[i].name == metric) return true;
    return false;
  }

  static double value_of(const MetricSpec &spec, const nlohmann::json &v) {
    if (v.is_number()) {
      // Beyond ±kMaxMagnitude no reading is (the text kinds refuse it too: 1e300 W was kept).
      if (!(std::fabs(v.get<double>()) <= kMaxMagnitude)) return kUnknown;
      double x = v.get<double>() * spec.scale;
      if (!std::isfinite(x) || (spec.zero_unknown && x == 0.0)) return kUnknown;
      return checked_for_metric(spec.metric, x);
    }
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0; // a flag's state, as documented
    if (v.is_string()) return metric_value(spec, v.get_ref<const std::string &>());
    return kUnknown;
  }

  void set_time(const nlohmann::json &doc, TimePoint received_at, Record &rec) const {
    if (spec_.time.capture.empty()) return;
    const auto *t = at_path(doc, spec_.time.capture);
    if (t == nullptr) return;
    TimePoint tp;
    if (t->is_number() && parse_time(std::to_string(t->get<double>()), "epoch", received_at, tp))
      rec.time = tp;
    else if (t->is_string() && parse_time(t->get_ref<const std::string &>(),
                                          spec_.time.format.empty() ? "iso8601" : spec_.time.format,
                                          received_at, tp, nullptr, utc_offset_))
      rec.time = tp;
  }

  const JsonSpec &spec_;
  std::chrono::minutes utc_offset_{0};
};

} // namespace

std::unique_ptr<LineParser> make_csv_parser(const CollectorDef &def) {
  return std::make_unique<CsvParser>(def);
}
std::unique_ptr<LineParser> make_json_parser(const CollectorDef &def) {
  return std::make_unique<JsonParser>(def);
}

} // namespace clustertop
