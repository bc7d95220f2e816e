// collectors/*.json -> CollectorDef. A broken definition is an Error with file:line and a
// fix; an unknown key is a warning. Errors are reported, never thrown past this file.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/parser.hpp"
#include "clustertop/collect/units.hpp"
#include "clustertop/core/text.hpp"
#include "loader_internal.hpp"
#include "parsers_internal.hpp"

namespace clustertop {
namespace {

using nlohmann::json;

// A user error inside the loader; converted to Error at the top.
struct LoadError : std::runtime_error {
  LoadError(const std::string &what, std::string needle_, std::string help_)
      : std::runtime_error(what), needle(std::move(needle_)), help(std::move(help_)) {}
  std::string needle; // text to locate in the file for file:line
  std::string help;
};

struct Ctx {
  const std::string &path;
  const std::string &text;
  std::vector<std::string> &warnings;
};

// The line `needle` is first on, or `absent` when the text does not hold it.
int line_of(const std::string &text, const std::string &needle, int absent = 1) {
  const auto p = needle.empty() ? std::string::npos : text.find(needle);
  if (p == std::string::npos) return absent;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(p), '\n'));
}

// Typed reads that name the key: nlohmann's own type error ("type must be number, but is
// string") said neither which key nor where.
double number_at(const json &v, const std::string &key) {
  if (!v.is_number())
    throw LoadError("'" + key + "' must be a number", "\"" + key + "\"",
                    "write a number without quotes, such as 1.5");
  return v.get<double>();
}
bool flag(const json &j, const std::string &key, bool fallback) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_boolean())
    throw LoadError("'" + key + "' must be true or false", "\"" + key + "\"",
                    "write true or false without quotes");
  return j[key].get<bool>();
}
int whole(const json &j, const std::string &key, int fallback) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer())
    throw LoadError("'" + key + "' must be a whole number", "\"" + key + "\"",
                    "write a whole number without quotes, such as 5");
  return j[key].get<int>();
}

void check_keys(Ctx &c, const json &j, const std::set<std::string> &known, const std::string &in) {
  for (const auto &[k, v] : j.items()) {
    (void)v;
    if (known.count(k) != 0 || k.rfind("_", 0) == 0 || k == "comment") continue;
    std::string list;
    for (const auto &n : known) list += (list.empty() ? "" : ", ") + n;
    c.warnings.push_back(c.path + ":" + std::to_string(line_of(c.text, "\"" + k + "\"")) +
                         ": unknown key '" + k + "' in " + in + " (known: " + list + ")");
  }
}

std::string str(const json &j, const char *key, const std::string &def = "") {
  if (!j.contains(key)) return def;
  if (!j[key].is_string())
    throw LoadError(std::string("'") + key + "' must be a string", std::string("\"") + key + "\"",
                    "write it as \"" + std::string(key) + "\": \"...\"");
  return j[key].get<std::string>();
}

std::vector<std::string> strs(const json &j, const char *key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array())
    throw LoadError(std::string("'") + key + "' must be a list of strings",
                    std::string("\"") + key + "\"", "write it as [\"a\", \"b\"]");
  for (const auto &e : j[key]) {
    if (!e.is_string())
      throw LoadError(std::string("'") + key + "' must hold strings only",
                      std::string("\"") + key + "\"", "quote every element");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::shared_ptr<const Regex> regex(const std::string &pattern) {
  auto re = Regex::compile(pattern);
  if (!re) {
    const std::string escaped = json(pattern).dump();
    throw LoadError("invalid regex: " + re.error().reason,
                    escaped.substr(1, std::min<std::size_t>(40, escaped.size() - 2)),
                    "fix the pattern (PCRE2 syntax; named groups are (?<name>...))");
  }
  return std::move(*re);
}

Severity severity_of(const std::string &s) {
  if (s.empty() || s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "critical") return Severity::critical;
  throw LoadError("unknown severity '" + s + "'", "\"" + s + "\"",
                  "use one of info, warning, critical");
}

Combine combine_of(const std::string &s) {
  if (s.empty()) return Combine::none;
  if (s == "sum") return Combine::sum;
  if (s == "max") return Combine::max;
  if (s == "mean") return Combine::mean;
  throw LoadError("unknown combine '" + s + "'", "\"" + s + "\"", "use one of sum, max, mean");
}

MetricSpec metric_spec(Ctx &c, const std::string &source, const json &j) {
  MetricSpec m;
  m.source = source;
  if (j.is_string()) {
    m.metric = j.get<std::string>();
    return m;
  }
  if (!j.is_object())
    throw LoadError("metric for '" + source + "' must be a name or an object", "\"" + source + "\"",
                    "write \"" + source + "\": \"gpu.power_w\" or {\"metric\": ...}");
  check_keys(c, j,
             {"metric", "device", "device_from", "combine", "scale", "scale_var", "zero_unknown",
              "comma_decimal", "map"},
             "metric '" + source + "'");
  m.metric = str(j, "metric");
  if (m.metric.empty())
    throw LoadError("metric for '" + source + "' has no name", "\"" + source + "\"",
                    "add \"metric\": \"group.name_unit\"");
  m.device = str(j, "device");
  m.device_from = str(j, "device_from");
  m.combine = combine_of(str(j, "combine"));
  if (m.combine != Combine::none && m.device_from.empty())
    throw LoadError("metric '" + source + "' combines its devices but names none", "\"combine\"",
                    "add \"device_from\": the capture that names each part");
  m.scale_var = str(j, "scale_var");
  if (j.contains("scale")) m.scale = number_at(j["scale"], "scale");
  m.zero_unknown = flag(j, "zero_unknown", false);
  m.comma_decimal = flag(j, "comma_decimal", false);
  if (j.contains("map"))
    for (const auto &[k, v] : j["map"].items()) m.map[k] = number_at(v, k);
  return m;
}

std::vector<MetricSpec> metric_specs(Ctx &c, const json &j, const char *key) {
  std::vector<MetricSpec> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_object())
    throw LoadError(std::string("'") + key + "' must map sources to metrics",
                    std::string("\"") + key + "\"", "write {\"capture\": \"metric.name\"}");
  for (const auto &[k, v] : j[key].items()) out.push_back(metric_spec(c, k, v));
  return out;
}

// A time format parse_time reads: iso8601, epoch, or text with %Y %m %d %H %I %M %S %z %p
// (and %% ); anything else never matched a line, and every time was silently missing.
bool known_time_format(const std::string &f) {
  if (f == "iso8601" || f == "epoch") return true;
  if (f.find('%') == std::string::npos) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    if (++i >= f.size() || std::string_view("YmdHIMSzp%").find(f[i]) == std::string_view::npos)
      return false;
  }
  return true;
}

TimeSpec time_spec(const json &j) {
  TimeSpec t;
  if (!j.contains("time")) return t;
  t.capture = str(j["time"], "capture");
  t.format = str(j["time"], "format");
  if (t.capture.empty())
    throw LoadError("'time' names no capture", "\"time\"",
                    "write \"time\": {\"capture\": \"ts\", \"format\": \"%Y-%m-%d %H:%M:%S\"}");
  if (!known_time_format(t.format))
    throw LoadError("time format '" + t.format + "' is not one clustertop reads",
                    t.format.empty() ? "\"time\"" : "\"" + t.format + "\"",
                    "use iso8601, epoch, or %Y %m %d %H %I %M %S %z %p with the text between");
  return t;
}

// A capture a rule names besides its metrics' (a device's, the time's) that its regex lacks:
// such a typo loaded, and merged every GPU into one series without a device, or lost every
// time.
void check_group(const std::string &rule, const Regex &regex, const std::string &group,
                 const char *what) {
  if (group.empty()) return;
  const auto &names = regex.names();
  if (std::none_of(names.begin(), names.end(), [&](const auto &n) { return n.first == group; }))
    throw LoadError("rule '" + rule + "' takes its " + what + " from '" + group +
                        "' but its regex has no such group",
                    "\"" + group + "\"", "add (?<" + group + ">...) to the regex or fix the name");
}

RegexRule rule(Ctx &c, const json &j) {
  check_keys(c, j,
             {"name", "prefilter", "regex", "metrics", "tags", "severity", "level", "time", "last"},
             "rule");
  RegexRule r;
  r.name = str(j, "name");
  r.prefilter = str(j, "prefilter");
  r.prefilter_anchor = rare_byte_index(r.prefilter);
  const auto pattern = str(j, "regex");
  if (pattern.empty())
    throw LoadError("rule '" + r.name + "' has no regex", "\"" + r.name + "\"",
                    "add \"regex\": \"...\" with named groups for the values");
  r.regex = regex(pattern);
  r.metrics = metric_specs(c, j, "metrics");
  r.tags = strs(j, "tags");
  r.severity = severity_of(str(j, "severity"));
  r.level = str(j, "level");
  r.time = time_spec(j);
  r.last = flag(j, "last", false);
  for (const auto &m : r.metrics) {
    check_group(r.name, *r.regex, m.source, "value");
    check_group(r.name, *r.regex, m.device_from, "device");
  }
  check_group(r.name, *r.regex, r.time.capture, "time");
  return r;
}

std::vector<RegexRule> rules(Ctx &c, const json &j) {
  std::vector<RegexRule> out;
  if (!j.contains("rules")) return out;
  for (const auto &r : j["rules"]) out.push_back(rule(c, r));
  return out;
}

void load_kv(Ctx &c, const json &j, KvSpec &kv) {
  check_keys(c, j,
             {"kind", "prefilter", "prefix", "rename", "ignore", "index_after", "index_metric"},
             "parse");
  kv.prefilter = str(j, "prefilter");
  kv.prefix = str(j, "prefix");
  kv.index_after = str(j, "index_after");
  kv.index_metric = str(j, "index_metric", "step.index");
  kv.ignore = strs(j, "ignore");
  if (j.contains("rename"))
    for (const auto &[k, v] : j["rename"].items()) kv.rename[k] = v.get<std::string>();
}

void load_csv(Ctx &c, const json &j, CsvSpec &csv) {
  check_keys(c, j, {"kind", "columns", "metrics", "separator", "skip_prefix"}, "parse");
  csv.columns = strs(j, "columns");
  csv.metrics = metric_specs(c, j, "metrics");
  csv.skip_prefix = str(j, "skip_prefix");
  const auto sep = str(j, "separator", ",");
  if (sep.size() != 1)
    throw LoadError("csv separator must be one character", "\"separator\"", "use \",\" or \";\"");
  csv.separator = sep[0];
  const auto is_column = [&](const std::string &name) {
    return std::find(csv.columns.begin(), csv.columns.end(), name) != csv.columns.end();
  };
  for (const auto &m : csv.metrics) {
    if (!is_column(m.source))
      throw LoadError("csv metric '" + m.source + "' is not a column", "\"" + m.source + "\"",
                      "add it to \"columns\" or fix its name");
    if (!m.device_from.empty() && !is_column(m.device_from))
      throw LoadError("csv metric '" + m.source + "' takes its device from '" + m.device_from +
                          "', which is not a column",
                      "\"" + m.device_from + "\"", "add it to \"columns\" or fix its name");
  }
}

void load_block(Ctx &c, const json &j, BlockSpec &b) {
  check_keys(c, j, {"kind", "line", "start", "end", "fields", "rules", "derive"}, "parse");
  if (j.contains("line")) {
    b.line = regex(str(j, "line"));
    // Its captures must be named key and value: other names loaded, and read no field.
    for (const char *group : {"key", "value"}) check_group("line", *b.line, group, group);
  }
  if (j.contains("start")) b.start = regex(str(j, "start"));
  if (j.contains("end")) b.end = regex(str(j, "end"));
  for (auto &m : metric_specs(c, j, "fields")) b.fields[m.source] = m;
  b.rules = rules(c, j);
  if (j.contains("derive"))
    for (const auto &d : j["derive"]) {
      check_keys(c, d, {"metric", "add", "sub", "unless"}, "derive");
      b.derive.push_back({str(d, "metric"), strs(d, "add"), strs(d, "sub"), str(d, "unless")});
    }
}

void load_parse_spec(Ctx &c, const json &j, ParseSpec &p) {
  if (!j.is_object())
    throw LoadError("'parse' must be an object", "\"parse\"", "see docs/collectors.md");
  p.kind = str(j, "kind");
  if (p.kind == "kv") return load_kv(c, j, p.kv);
  if (p.kind == "csv") return load_csv(c, j, p.csv);
  if (p.kind == "block") return load_block(c, j, p.block);
  if (p.kind == "json") {
    check_keys(c, j, {"kind", "metrics", "time", "max_depth"}, "parse");
    p.json.metrics = metric_specs(c, j, "metrics");
    p.json.time = time_spec(j);
    p.json.max_depth = whole(j, "max_depth", 32);
    return;
  }
  if (p.kind == "regex") {
    check_keys(c, j, {"kind", "rules", "unless"}, "parse");
    p.rules = rules(c, j);
    p.unless = strs(j, "unless");
    if (std::find(p.unless.begin(), p.unless.end(), "") != p.unless.end())
      throw LoadError("an empty text in 'unless' would match every line", "\"unless\"",
                      "remove the empty string");
    if (p.rules.empty())
      throw LoadError("a regex parser needs rules", "\"rules\"", "add \"rules\": [{...}]");
    return;
  }
  throw LoadError("unknown parse kind '" + p.kind + "'", "\"kind\"",
                  "use one of json, csv, regex, kv, block");
}

void load_expect(const json &e, SampleCheck &s) {
  for (const auto &[k, v] : e.items()) {
    const auto at = k.find('@');
    Metric m{k.substr(0, at), at == std::string::npos ? "" : k.substr(at + 1), kUnknown};
    if (!v.is_null()) m.value = number_at(v, k);
    s.expect_metrics.push_back(m);
  }
}

void load_samples(Ctx &c, const json &j, CollectorDef &def) {
  if (!j.contains("samples") || !j["samples"].is_array() || j["samples"].empty())
    throw LoadError("definition has no samples", "\"name\"",
                    "add \"samples\": [{\"lines\": [...], \"expect\": {...}}] with real output");
  for (const auto &sj : j["samples"]) {
    check_keys(c, sj, {"lines", "expect", "tags", "level", "severity", "time", "nothing", "source"},
               "sample");
    SampleCheck s;
    s.lines = strs(sj, "lines");
    // Its first line as the file writes it (JSON-escaped, quoted): where a failure points.
    if (!s.lines.empty()) s.line = line_of(c.text, json(s.lines.front()).dump(), 0);
    if (sj.contains("expect")) load_expect(sj["expect"], s);
    s.expect_tags = strs(sj, "tags");
    s.expect_level = str(sj, "level");
    if (sj.contains("severity")) {
      s.expect_severity_set = true;
      s.expect_severity = severity_of(str(sj, "severity"));
    }
    if (sj.contains("time")) {
      TimePoint t;
      if (!parse_time(str(sj, "time"), "iso8601", TimePoint{}, t))
        throw LoadError("sample time must be ISO-8601", str(sj, "time"),
                        "write 2025-01-02T03:04:05Z");
      s.expect_time_set = true;
      s.expect_time = epoch_seconds(t);
    }
    s.expect_nothing = flag(sj, "nothing", false);
    def.samples.push_back(std::move(s));
  }
}

// A definition's name is the name of its streams: it must not be one clustertop gives a
// stream of its own, and it is printed (collectors, errors), so no control characters.
void check_name(const std::string &name) {
  if (name.empty() || name.find_first_of(": /") != std::string::npos)
    throw LoadError("definition needs a 'name' without ':', '/' or spaces", "\"name\"",
                    "add \"name\": \"my_collector\"");
  // terminal_safe leaves a tab as it is (log text keeps its tabs); a name has none either.
  if (terminal_safe(name) != name || name.find('\t') != std::string::npos)
    throw LoadError("the name '" + terminal_safe(name) +
                        "' holds control characters or bytes that are not UTF-8",
                    "\"name\"", "name it with printable characters: \"name\": \"my_collector\"");
  for (const char *reserved : kReservedCollectorNames)
    if (name == reserved)
      throw LoadError("the name '" + name +
                          "' is reserved: clustertop names a stream of its own so",
                      "\"name\"", "rename it, e.g. \"name\": \"my_" + name + "\"");
}

void load_top(Ctx &c, const json &j, CollectorDef &def) {
  check_keys(c, j,
             {"name", "type", "description", "command", "when", "group", "priority",
              "watchdog_intervals", "parse", "samples", "sources"},
             "definition");
  def.name = str(j, "name");
  check_name(def.name);
  def.type = str(j, "type");
  if (def.type != "sampler" && def.type != "log")
    throw LoadError("'type' must be sampler or log", "\"type\"", "add \"type\": \"sampler\"");
  def.description = str(j, "description");
  def.command = str(j, "command");
  if (def.type == "sampler" && def.command.empty())
    throw LoadError("a sampler needs a 'command'", "\"type\"", "add \"command\": \"...\"");
  if (j.contains("when")) {
    const auto &w = j["when"];
    check_keys(c, w, {"os", "commands", "sudo"}, "when");
    def.os = strs(w, "os");
    def.required_commands = strs(w, "commands");
    // The probe asks the node's shell for each by name: a plain program name only.
    for (const auto &cmd : def.required_commands)
      if (cmd.empty() || cmd.size() > 64 ||
          cmd.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "._+-") != std::string::npos ||
          cmd.front() == '-')
        throw LoadError("'when.commands' holds '" + cmd +
                            "', which is not a program name (letters, digits, . _ + -)",
                        "\"commands\"", "name the program as `command -v` finds it: \"macmon\"");
    def.needs_sudo = flag(w, "sudo", false);
  }
  def.group = str(j, "group");
  def.priority = whole(j, "priority", 0);
  def.watchdog_intervals = whole(j, "watchdog_intervals", 5);
  if (!j.contains("parse"))
    throw LoadError("definition has no 'parse'", "\"name\"", "add \"parse\": {\"kind\": ...}");
  load_parse_spec(c, j["parse"], def.parse);
  load_samples(c, j, def);
}

} // namespace

Result<CollectorDef> load_definition(const std::string &path, const std::string &text,
                                     std::vector<std::string> &warnings) {
  const auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    // Re-parse with exceptions for the position nlohmann reports.
    std::string reason = "not a JSON object";
    int line = 1;
    try {
      const auto again = json::parse(text);
      (void)again;
    } catch (const json::parse_error &e) {
      reason = e.what();
      line = 1 + static_cast<int>(std::count(
                     text.begin(), text.begin() + static_cast<long>(std::min(e.byte, text.size())),
                     '\n'));
    } catch (const json::out_of_range &e) {
      // A number beyond a double ("1e400"): an "internal error" (exit 70) naming no file.
      const std::string what = e.what();
      const auto at = what.find("parsing '");
      const std::string number =
          at == std::string::npos ? "" : what.substr(at + 9, what.find('\'', at + 9) - at - 9);
      return Error{"invalid collector definition", "the number " + number + " is out of range",
                   path + ":" + std::to_string(line_of(text, number)),
                   "write a number a double holds (up to about 1.8e308)"};
    }
    return Error{"invalid collector definition", reason, path + ":" + std::to_string(line),
                 "fix the JSON syntax (a missing comma or quote is the usual cause)"};
  }
  Ctx c{path, text, warnings};
  CollectorDef def;
  def.file = path;
  try {
    load_top(c, j, def);
  } catch (const LoadError &e) {
    return Error{"invalid collector definition", e.what(),
                 path + ":" + std::to_string(line_of(text, e.needle)), e.help};
  } catch (const json::exception &e) {
    return Error{"invalid collector definition", e.what(), path,
                 "check the value types against docs/collectors.md"};
  }
  return def;
}

} // namespace clustertop
