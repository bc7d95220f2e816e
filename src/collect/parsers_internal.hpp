// Private to src/collect: the parse kinds behind make_parser and the shared rule matcher.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "clustertop/collect/parser.hpp"

namespace clustertop {

using Captures = std::vector<std::pair<std::string_view, std::string_view>>;

std::string_view capture(const Captures &caps, std::string_view name, bool &found);

// Applies one regex rule to a line; on a match merges metrics, tags, level, severity and
// time into `rec` (metrics through `w`). Returns whether it matched.
bool apply_rule(const RegexRule &rule, std::string_view line, TimePoint received_at, Record &rec,
                MetricWriter &w, Captures &scratch,
                const std::vector<std::pair<std::string, double>> *vars = nullptr);

std::unique_ptr<LineParser> make_kv_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_csv_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_json_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_block_parser(const CollectorDef &def);

} // namespace clustertop
