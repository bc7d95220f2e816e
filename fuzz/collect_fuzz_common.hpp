// Shared body of the per-kind fuzz targets: every definition of one parse kind gets the
// input split into lines, then a finish; kv and regex lines and the log-definition group are
// also checked against a first look. Crashes, leaks, UB, timeouts and traps are the findings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "clustertop/collect/parser.hpp"

namespace clustertop::fuzz {

inline int run(const char *kind, const std::uint8_t *data, std::size_t size) {
  static const auto set = [] {
    std::vector<std::string> warnings;
    auto s = CollectorSet::load({}, warnings);
    return s.ok() ? *s : nullptr;
  }();
  if (!set) __builtin_trap();
  std::string_view in(reinterpret_cast<const char *>(data), size);
  const auto lines = [&](auto &&each) {
    std::string_view rest = in;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      each(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
  };
  // The records a feed made, metric names and values bit for bit, with tags and level.
  const auto same_records = [](const RecordBuffer &x, const RecordBuffer &y) {
    if (x.size() != y.size()) return false;
    for (std::size_t r = 0; r < x.size(); ++r) {
      const auto &a = x[r], &b = y[r];
      if (a.metrics.size() != b.metrics.size() || a.tags != b.tags || a.level != b.level)
        return false;
      for (std::size_t m = 0; m < a.metrics.size(); ++m)
        if (a.metrics[m].name != b.metrics[m].name ||
            std::memcmp(&a.metrics[m].value, &b.metrics[m].value, sizeof(double)) != 0)
          return false;
    }
    return true;
  };
  RecordBuffer buf, fresh;
  for (const auto *def : set->all()) {
    if (def->parse.kind != kind) continue;
    auto parser = make_parser(*def);
    lines([&](std::string_view l) {
      buf.clear();
      parser->feed(l, from_epoch_seconds(1.7e9), buf);
      // kv reads a line like the previous one by its shape, and a regex answers a line that
      // is its last subject but for digits from that subject: the same as a first look.
      if (std::string_view(kind) != "kv" && std::string_view(kind) != "regex") return;
      fresh.clear();
      make_parser(*def)->feed(l, from_epoch_seconds(1.7e9), fresh);
      if (!same_records(buf, fresh)) __builtin_trap();
    });
    buf.clear();
    parser->finish(buf);
  }
  // Every log definition as one ParserGroup (one shared literal scan a line), the way Ingest
  // parses a `log:` stream, against the same definitions fed one by one. Log definitions
  // (regex and kv) keep no state across lines, so the records compare line by line.
  if (std::string_view(kind) != "regex" && std::string_view(kind) != "kv") return 0;
  std::vector<std::unique_ptr<LineParser>> alone;
  for (const auto *def : set->all())
    if (def->type == "log") alone.push_back(make_parser(*def));
  ParserGroup group = make_parser_group(*set, "log");
  lines([&](std::string_view l) {
    buf.clear();
    fresh.clear();
    const bool used = group.feed(l, from_epoch_seconds(1.7e9), buf);
    bool any = false;
    for (auto &p : alone) any = p->feed(l, from_epoch_seconds(1.7e9), fresh) || any;
    if (used != any || !same_records(buf, fresh)) __builtin_trap();
  });
  return 0;
}

} // namespace clustertop::fuzz
