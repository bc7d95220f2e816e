// Shared body of the per-kind fuzz targets: every definition of one parse kind gets the
// input split into lines, then a finish. Crashes, leaks, UB and timeouts are the findings.
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
  RecordBuffer buf;
  std::vector<std::size_t> alone; // records per line of the parsers fed one by one
  for (const auto *def : set->all()) {
    if (def->parse.kind != kind) continue;
    auto parser = make_parser(*def);
    std::size_t line = 0;
    RecordBuffer fresh;
    lines([&](std::string_view l) {
      buf.clear();
      parser->feed(l, from_epoch_seconds(1.7e9), buf);
      if (alone.size() <= line) alone.push_back(0);
      alone[line++] += buf.size();
      // kv reads a line like the previous one by its shape: the same as a first look.
      if (std::string_view(kind) != "kv") return;
      fresh.clear();
      make_parser(*def)->feed(l, from_epoch_seconds(1.7e9), fresh);
      if (fresh.size() != buf.size()) __builtin_trap();
      for (std::size_t r = 0; r < buf.size(); ++r) {
        const auto &x = buf[r].metrics, &y = fresh[r].metrics;
        if (x.size() != y.size()) __builtin_trap();
        for (std::size_t m = 0; m < x.size(); ++m)
          if (x[m].name != y[m].name || std::memcmp(&x[m].value, &y[m].value, sizeof(double)) != 0)
            __builtin_trap();
      }
    });
    buf.clear();
    parser->finish(buf);
  }
  // The same definitions as one ParserGroup (one shared literal scan a line), the way a log
  // stream's lines are parsed: it must make as many records of each line. Only kinds without
  // state across lines, where the counts are comparable line by line.
  if (std::string_view(kind) != "regex" && std::string_view(kind) != "kv") return 0;
  std::vector<std::unique_ptr<LineParser>> parsers;
  for (const auto *def : set->all())
    if (def->parse.kind == kind) parsers.push_back(make_parser(*def));
  ParserGroup group(std::move(parsers));
  std::size_t line = 0;
  lines([&](std::string_view l) {
    buf.clear();
    group.feed(l, from_epoch_seconds(1.7e9), buf);
    if (buf.size() != alone[line++]) __builtin_trap();
  });
  return 0;
}

} // namespace clustertop::fuzz
