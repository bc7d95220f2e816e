// The `kv` kind: every `key=number[unit]` pair of a line, found by a hand-written scan
// (a literal prefilter first, no regex), so step lines parse at millions per second.
#include <algorithm>
#include <string>

#include "clustertop/collect/units.hpp"
#include "parsers_internal.hpp"

namespace clustertop {
namespace {

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

bool is_unit_end(char c) { return c == ' ' || c == ',' || c == ';' || c == ')' || c == '\t'; }

std::string_view suffix_for(UnitClass c) {
  switch (c) {
  case UnitClass::time: return "_ms";
  case UnitClass::bytes: return "_bytes";
  case UnitClass::percent: return "_pct";
  case UnitClass::rate: return "_tokens_per_s";
  case UnitClass::none: break;
  }
  return {};
}

class KvParser final : public LineParser {
public:
  explicit KvParser(const CollectorDef &def) : spec_(def.parse.kv) {}

  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    (void)received_at;
    if (!spec_.prefilter.empty() && line.find(spec_.prefilter) == std::string_view::npos)
      return false;
    Record &rec = out.next();
    std::size_t n = 0;
    {
      MetricWriter w(rec);
      add_index(line, w);
      scan_pairs(line, w);
      n = w.count();
    }
    if (n == 0) out.drop_last();
    return n > 0;
  }

private:
  void add_index(std::string_view line, MetricWriter &w) const {
    if (spec_.index_after.empty()) return;
    const auto p = line.find(spec_.index_after);
    if (p == std::string_view::npos) return;
    double v = 0;
    std::string_view rest;
    if (!parse_leading_number(line.substr(p + spec_.index_after.size()), v, rest)) return;
    Metric &m = w.add();
    m.name.assign(spec_.index_metric);
    m.device.clear();
    m.value = v;
  }

  void scan_pairs(std::string_view line, MetricWriter &w) const {
    std::size_t pos = 0;
    while ((pos = line.find('=', pos)) != std::string_view::npos) {
      std::size_t k = pos;
      while (k > 0 && is_key_char(line[k - 1])) --k;
      const auto key = line.substr(k, pos - k);
      ++pos;
      double v = 0;
      std::string_view rest;
      if (key.empty() || !parse_leading_number(line.substr(pos), v, rest)) continue;
      std::size_t u = 0;
      while (u < rest.size() && !is_unit_end(rest[u])) ++u;
      const auto unit = rest.substr(0, u);
      pos = line.size() - rest.size() + u;
      add_pair(key, v, unit, w);
    }
  }

  void add_pair(std::string_view key, double v, std::string_view unit, MetricWriter &w) const {
    for (const auto &ig : spec_.ignore)
      if (ig == key) return;
    double factor = 1.0;
    const auto cls = unit_class(unit, factor, false);
    Metric &m = w.add();
    m.device.clear();
    m.value = v * factor;
    for (const auto &[from, to] : spec_.rename)
      if (from == key) {
        m.name.assign(to);
        return;
      }
    m.name.assign(spec_.prefix).append(key).append(suffix_for(cls));
  }

  const KvSpec &spec_;
};

} // namespace

std::unique_ptr<LineParser> make_kv_parser(const CollectorDef &def) {
  return std::make_unique<KvParser>(def);
}

} // namespace clustertop
