// LineParser: one per stream and definition; turns lines into Records following a
// CollectorDef's parse spec. Holds only per-stream state (a block record in progress).
// Never reads a clock: the batch's received_at is passed in.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "clustertop/collect/definition.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

class LiteralSet;

// Records produced by a feed; reused between lines so the hot path does not allocate.
class RecordBuffer {
public:
  // A fresh record (time/level/tags/severity cleared; metrics kept for MetricWriter).
  Record &next();
  void clear() { used_ = 0; }
  [[nodiscard]] std::size_t size() const { return used_; }
  Record &operator[](std::size_t i) { return records_[i]; }
  const Record &operator[](std::size_t i) const { return records_[i]; }
  void drop_last() { --used_; }

private:
  std::vector<Record> records_;
  std::size_t used_ = 0;
};

// Fills a record's metrics in place, reusing the strings already there.
class MetricWriter {
public:
  explicit MetricWriter(Record &r) : r_(r) { r_.layout = {}; }
  // Metrics beyond the ones written go to the record's spares. A record that got none (one
  // parser's line between another's, such as an exo heartbeat between step lines) hands
  // over the whole vector at once, and add() takes it back the same way, in its order.
  ~MetricWriter() {
    if (n_ == 0 && r_.spare.empty()) {
      r_.metrics.swap(r_.spare);
      return;
    }
    while (r_.metrics.size() > n_) {
      r_.spare.push_back(std::move(r_.metrics.back()));
      r_.metrics.pop_back();
    }
  }
  MetricWriter(const MetricWriter &) = delete;
  MetricWriter &operator=(const MetricWriter &) = delete;
  // Returns the slot; the caller sets name/device/value. Always inline: a few calls a line
  // on the parse hot path, where a call costs more than the work.
  [[gnu::always_inline]] Metric &add() {
    if (n_ == r_.metrics.size()) {
      if (n_ == 0 && !r_.spare.empty()) {
        r_.metrics.swap(r_.spare);
      } else if (r_.spare.empty()) {
        r_.metrics.emplace_back();
      } else {
        r_.metrics.push_back(std::move(r_.spare.back()));
        r_.spare.pop_back();
      }
    }
    return r_.metrics[n_++];
  }
  [[nodiscard]] std::size_t count() const { return n_; }

private:
  Record &r_;
  std::size_t n_ = 0;
};

class LineParser {
public:
  virtual ~LineParser() = default;
  // Appends finished records to `out`. false: the line was of no use (counted as skipped).
  virtual bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) = 0;
  // End of input: flush a record in progress.
  virtual void finish(RecordBuffer &out) { (void)out; }
  // The node's offset from UTC, for times its lines give without a zone (see parse_time).
  virtual void set_utc_offset(std::chrono::minutes offset) { (void)offset; }
  // Regex matches answered from a rule's last subject without PCRE2 (for tests).
  [[nodiscard]] virtual std::uint64_t matches_recalled() const { return 0; }
  // Joining a ParserGroup: the parser adds the literals its rules look for to `set`, which
  // the group then finds in one pass per line; feed() reads the answers from `set` for the
  // line the group scanned and searches itself for any other line. `set` outlives the parser.
  // Returns the literals' bits of which a line must contain at least one for the parser to
  // have any use for it (the group then does not offer it other lines); all bits: any line.
  virtual std::uint64_t share_literals(LiteralSet &set) {
    (void)set;
    return ~std::uint64_t{0};
  }
};

// The parsers one stream's lines are offered to, in order (every log definition, for a log
// stream), sharing one literal scan per line.
class ParserGroup {
public:
  // `typical`: lines like those the group will be fed (its definitions' sample lines); the
  // literal scan keys each literal on a pair of bytes that is rare in them.
  explicit ParserGroup(std::vector<std::unique_ptr<LineParser>> parsers,
                       const std::vector<std::string_view> &typical = {});
  ParserGroup(ParserGroup &&) noexcept;
  ParserGroup &operator=(ParserGroup &&) noexcept;
  ~ParserGroup();
  // Offers the line to every parser; false when none had a use for it.
  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out);
  // A literal the group's owner looks for in every line (Ingest: a private key's BEGIN
  // marker), found by the one scan the group makes of each line anyway: a search of its
  // own cost 12 % of a replay. Returns its id for has().
  std::size_t watch(std::string_view literal);
  // Whether `line` contains watched literal `id`. A feed() of the same line right after
  // reuses this scan.
  bool has(std::string_view line, std::size_t id);
  void finish(RecordBuffer &out);
  // Every parser's LineParser::set_utc_offset.
  void set_utc_offset(std::chrono::minutes offset);
  [[nodiscard]] bool empty() const { return parsers_.empty(); }
  // Lines whose literal scan was answered from a recent line of their kind (for tests).
  [[nodiscard]] std::uint64_t scans_reused() const;
  // Every parser's matches_recalled() (for tests).
  [[nodiscard]] std::uint64_t matches_recalled() const;

private:
  // The parsers a line with these literals is offered to, in order: lines of a kind have
  // the same literals, so the lists of the last few sets of literals are kept.
  const std::vector<std::size_t> &called_for(std::uint64_t present);

  std::vector<std::unique_ptr<LineParser>> parsers_;
  std::vector<std::uint64_t> needs_;      // what each parser's share_literals() returned
  std::unique_ptr<LiteralSet> literals_;  // null: one parser, or none of them shares
  std::vector<std::string> watched_;      // watch()'s literals, by id
  std::vector<std::size_t> watched_bits_; // each one's bit in literals_ (kMax: searched alone)
  bool prescanned_ = false;               // has() scanned the line feed() may be given next
  struct Called {
    bool known = false;
    std::uint64_t present = 0;
    std::vector<std::size_t> parsers;
  };
  std::array<Called, 4> called_{};
  std::size_t next_called_ = 0; // the entry replaced next
};

std::unique_ptr<LineParser> make_parser(const CollectorDef &def);

class CollectorSet;
// The parsers of one stream as Ingest groups them: the definition named `collector`, or
// with "log" every log definition; their sample lines are the group's typical lines. Empty
// when no definition matches.
ParserGroup make_parser_group(const CollectorSet &set, std::string_view collector);

// Reads a line's own timestamp. A time without a zone is local time at `utc_offset` from
// UTC (the node's, from its probe; 0 when unknown, as in a replay), and date parts the text
// lacks are the local date at `received_at` (UTC). With a memo (one per reader: a parser's,
// forgotten when its offset changes), a text that differs from the last one read with this
// format only in its fraction of a second is read from the memo: the same time.
bool parse_time(std::string_view text, const std::string &format, TimePoint received_at,
                TimePoint &out, FractionMemo *memo = nullptr,
                std::chrono::minutes utc_offset = std::chrono::minutes{0});

// Sets one metric from captured text following a MetricSpec (units, map, zero_unknown).
// false when the value is not usable (it is then left out of the record).
double metric_value(const MetricSpec &spec, std::string_view text, double scale_var = 1.0);

} // namespace clustertop
