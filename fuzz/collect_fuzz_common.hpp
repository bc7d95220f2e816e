// Shared body of the per-kind fuzz targets: every definition of one parse kind gets the
// input split into lines, then a finish. Crashes, leaks, UB and timeouts are the findings.
#pragma once

#include <cstddef>
#include <cstdint>
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
  RecordBuffer buf;
  for (const auto *def : set->all()) {
    if (def->parse.kind != kind) continue;
    auto parser = make_parser(*def);
    std::string_view rest = in;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      buf.clear();
      parser->feed(rest.substr(0, nl), from_epoch_seconds(1.7e9), buf);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
    buf.clear();
    parser->finish(buf);
  }
  return 0;
}

} // namespace clustertop::fuzz
