// Private to src/collect: the parse kinds behind make_parser and the shared rule matcher.
#pragma once

#include <deque>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "clustertop/collect/parser.hpp"
#include "clustertop/collect/regex.hpp"

namespace clustertop {

// A rule-applying parser's working memory: its last match's named captures, a PCRE2 match
// block per rule, and its last timestamp (see FractionMemo).
struct RuleScratch {
  std::vector<std::pair<std::string_view, std::string_view>> list;
  // The block of rule `rule` (the one being applied) keeps that rule's last subject and
  // answer (MatchBlock): with one block for all, two rules tried on the same lines (exo's
  // file form and its -v console form, on every heartbeat) took turns evicting each other's
  // answer, and PCRE2 ran for both on every line.
  std::size_t rule = 0;
  std::deque<MatchBlock> blocks; // a deque: MatchBlock does not move
  MatchBlock &block() {
    while (blocks.size() <= rule) blocks.emplace_back();
    return blocks[rule];
  }
  std::uint64_t kind = 0; // the line's kind in the parser's LiteralSet (0: none), for block
  FractionMemo time;
  // The node's offset from UTC: what a time without a zone is read in (see parse_time). The
  // memo is forgotten whenever it changes (set_offset).
  std::chrono::minutes utc_offset{0};
  void set_offset(std::chrono::minutes offset) {
    if (offset == utc_offset) return;
    utc_offset = offset;
    time = FractionMemo{};
  }
};

std::string_view capture(const RuleScratch &caps, std::string_view name, bool &found);

// Applies one regex rule to a line; on a match merges metrics, tags, level, severity and
// time into `rec` (metrics through `w`). Returns whether it matched.
bool apply_rule(const RegexRule &rule, std::string_view line, TimePoint received_at, Record &rec,
                MetricWriter &w, RuleScratch &scratch,
                const std::vector<std::pair<std::string, double>> *vars = nullptr);
// apply_rule for a line already known to contain the rule's prefilter.
bool apply_matched_rule(const RegexRule &rule, std::string_view line, TimePoint received_at,
                        Record &rec, MetricWriter &w, RuleScratch &scratch,
                        const std::vector<std::pair<std::string, double>> *vars = nullptr);

// The index of the byte of `literal` least likely in a log line (by a fixed ranking: letters
// rare in English and upper case before common ones, spaces and digits last), so that a
// search for it stops at few false starts.
std::size_t rare_byte_index(std::string_view literal);
// Where the pair of adjacent bytes of `literal` least likely in a log line starts (by the same
// ranking); `literal` has at least two bytes.
std::size_t rare_pair_index(std::string_view literal);
// Whether `line` contains `literal`, looking for its byte at `anchor` with memchr.
bool contains_literal(std::string_view line, std::string_view literal, std::size_t anchor);
// Where `literal` first occurs in `line` (npos: nowhere), found the same way.
std::size_t find_literal(std::string_view line, std::string_view literal, std::size_t anchor);

std::unique_ptr<LineParser> make_kv_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_csv_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_json_parser(const CollectorDef &def);
std::unique_ptr<LineParser> make_block_parser(const CollectorDef &def);

} // namespace clustertop
