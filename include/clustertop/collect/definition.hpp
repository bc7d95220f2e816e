// A collector definition as loaded from collectors/*.json: what runs on a node and how its
// lines become Records. Plain immutable data; the loader fills it, parsers only read it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clustertop/collect/record.hpp"
#include "clustertop/collect/regex.hpp"

namespace clustertop {

// How one captured text (a regex group, a csv column, a json path, a block key) becomes a
// metric value. Units in the text (ms, K, GB, %) are converted by the metric name's suffix.
// How the parts of one node-wide figure, each named by `device_from` (a vLLM data-parallel
// engine's `Engine 001:`), make it: what is stored is the node's value alone.
enum class Combine : std::uint8_t { none, sum, max, mean };

struct MetricSpec {
  std::string source;                // capture name, column name, json path or block key
  std::string metric;                // "gpu.power_w"
  std::string device;                // fixed device ("" node-wide)
  std::string device_from;           // or: the capture/column/path that names the device
  Combine combine = Combine::none;   // with device_from: the devices are parts of the node's
  double scale = 1.0;                // applied after unit conversion (e.g. kB -> bytes: 1024)
  std::string scale_var;             // or: scale by a block variable (vm_stat page size)
  bool zero_unknown = false;         // 0 means "no sensor": store unknown instead
  bool comma_decimal = false;        // "2048,00" is 2048.00 (decimal-comma locales)
  std::map<std::string, double> map; // text values: "normal" -> 0
};

// How a line's own timestamp is read: a capture and a strptime-like format
// (%Y %m %d %H %M %S[.frac] %p, or "epoch"). Missing date parts come from received_at.
struct TimeSpec {
  std::string capture;
  std::string format;
};

struct RegexRule {
  std::string name;
  std::string prefilter;            // a literal the line must contain before the regex runs
  std::size_t prefilter_anchor = 0; // its rarest byte, the one memchr looks for (see loader)
  std::shared_ptr<const Regex> regex;
  std::vector<MetricSpec> metrics;
  std::vector<std::string> tags;
  Severity severity = Severity::info;
  std::string level; // fixed level; else the capture named "level" if present
  TimeSpec time;
  bool last = false; // stop trying later rules of this definition after a match
};

// key=number[unit] pairs (exo step lines). No regex on the hot path.
struct KvSpec {
  std::string prefilter;                     // literal that must be present ("[STEP ")
  std::string prefix;                        // metric prefix ("step.")
  std::map<std::string, std::string> rename; // key -> full metric name ("ctx" -> "ctx.tokens")
  std::vector<std::string> ignore;           // keys to drop
  std::string index_after;                   // literal followed by an integer index ("[STEP ")
  std::string index_metric;                  // "step.index"
};

struct CsvSpec {
  std::vector<std::string> columns; // column names in order
  std::vector<MetricSpec> metrics;  // source = column name
  char separator = ',';
  std::string skip_prefix; // header lines to ignore ("index,")
};

struct JsonSpec {
  std::vector<MetricSpec> metrics; // source = dotted path, array index as a number ("gpu_usage.1")
  TimeSpec time;                   // capture = path of an ISO-8601 or epoch field
  int max_depth = 32;
};

// Multi-line records: `Key: value` lines until an end line (or the next start line).
struct BlockSpec {
  std::shared_ptr<const Regex> line;        // captures "key" and "value"
  std::shared_ptr<const Regex> start;       // optional: a line that begins a record
  std::shared_ptr<const Regex> end;         // optional: a line that ends a record
  std::map<std::string, MetricSpec> fields; // by key
  std::vector<RegexRule> rules;             // extra per-line rules (vars, odd lines)
  struct Derive {
    std::string metric;
    std::vector<std::string> add, sub; // metric names already in the record
    std::string unless;                // skip when this metric is present
  };
  std::vector<Derive> derive;
};

struct ParseSpec {
  std::string kind; // json | csv | regex | kv | block
  std::vector<RegexRule> rules;
  // regex: a line holding any of these is not read by the rules (a server's log of a
  // request's text, which may quote a crash the user asks about).
  std::vector<std::string> unless;
  KvSpec kv;
  CsvSpec csv;
  JsonSpec json;
  BlockSpec block;
};

struct SampleCheck {
  std::vector<std::string> lines;
  std::vector<Metric> expect_metrics; // NaN value: must be present and unknown
  std::vector<std::string> expect_tags;
  std::string expect_level;
  bool expect_severity_set = false;
  Severity expect_severity = Severity::info;
  bool expect_time_set = false;
  double expect_time = 0;      // epoch seconds
  bool expect_nothing = false; // the lines must yield no record
  int line = 0;                // where its first line is written in the file (0: unknown)
};

struct CollectorDef {
  std::string name;
  std::string file; // where it was loaded from
  std::string type; // sampler | log
  std::string description;
  std::string command;         // sampler: {interval_ms} {interval_s}; logs use tail -F
  std::vector<std::string> os; // empty: any
  std::vector<std::string> required_commands; // commands that must exist
  bool needs_sudo = false;
  std::string group; // samplers of one group exclude each other
  int priority = 0;  // higher wins inside a group
  int watchdog_intervals = 5;
  ParseSpec parse;
  std::vector<SampleCheck> samples;
};

// The metrics a definition declares with `combine`, and how each combines.
std::vector<std::pair<std::string, Combine>> combined_metrics(const CollectorDef &def);

} // namespace clustertop
