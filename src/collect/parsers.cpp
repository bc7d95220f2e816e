// Shared parser pieces and the `regex` kind.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/units.hpp"
#include "literal_set.hpp"
#include "parsers_internal.hpp"

namespace clustertop {

Record &RecordBuffer::next() {
  if (used_ == records_.size()) records_.emplace_back();
  Record &r = records_[used_++];
  r.time.reset();
  r.level.clear();
  r.tags.clear();
  r.severity = Severity::info;
  return r;
}

double metric_value(const MetricSpec &spec, std::string_view text, double scale_var) {
  text = trim(text);
  if (!spec.map.empty()) {
    for (const auto &[k, v] : spec.map)
      if (text == k) return v;
  }
  double v = value_for_metric(text, spec.metric, spec.comma_decimal);
  if (std::isnan(v)) return v;
  // `scale` is the unit of a bare number ("81559" MiB from `nounits`); a number that says its
  // unit ("81559 MiB") was converted by it already, and scaling it again made 89 PB of 80 GB.
  const bool says_unit = !text.empty() && (std::isalpha(static_cast<unsigned char>(text.back())) ||
                                           text.back() == '%');
  if (!says_unit) v *= spec.scale * scale_var;
  if (spec.zero_unknown && v == 0.0) return kUnknown;
  return checked_for_metric(spec.metric, v);
}

namespace {

// Lower is rarer. English letter frequency order, then classes of the other bytes.
std::size_t byte_rank(char byte) {
  constexpr std::string_view kCommonLast = "zqxjkvbpygfwmucldrhsnioate";
  const auto c = static_cast<unsigned char>(byte);
  if (c >= 'a' && c <= 'z') return 20 + kCommonLast.find(static_cast<char>(c));
  if (c >= 'A' && c <= 'Z') return 10;
  if (c >= '0' && c <= '9') return 60;
  if (c == ' ') return 70;
  return c < 128 ? 15 : 5; // punctuation; bytes of UTF-8 text are rarer still
}

} // namespace

std::size_t rare_byte_index(std::string_view literal) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < literal.size(); ++i)
    if (byte_rank(literal[i]) < byte_rank(literal[best])) best = i;
  return best;
}

std::size_t rare_pair_index(std::string_view literal) {
  std::size_t best = 0;
  const auto rank = [&](std::size_t i) {
    return byte_rank(literal[i]) + byte_rank(literal[i + 1]);
  };
  for (std::size_t i = 1; i + 1 < literal.size(); ++i)
    if (rank(i) < rank(best)) best = i;
  return best;
}

bool contains_literal(std::string_view line, std::string_view literal, std::size_t anchor) {
  return find_literal(line, literal, anchor) != std::string_view::npos;
}

std::size_t find_literal(std::string_view line, std::string_view literal, std::size_t anchor) {
  constexpr auto kNone = std::string_view::npos;
  const std::size_t n = literal.size();
  if (n == 0) return 0;
  if (n > line.size()) return kNone;
  if (anchor >= n) return line.find(literal);
  const char want = literal[anchor];
  const char *p = line.data() + anchor;
  const char *const last = line.data() + (line.size() - n) + anchor; // the last place it fits
  while (p <= last) {
    p = static_cast<const char *>(std::memchr(p, want, static_cast<std::size_t>(last - p) + 1));
    if (p == nullptr) return kNone;
    // The literal's first and last bytes turn most false starts away without a call.
    const char *start = p - anchor;
    if (start[0] == literal[0] && start[n - 1] == literal[n - 1] &&
        std::memcmp(start, literal.data(), n) == 0)
      return static_cast<std::size_t>(start - line.data());
    ++p;
  }
  return kNone;
}

std::string_view capture(const RuleScratch &caps, std::string_view name, bool &found) {
  for (const auto &[k, v] : caps.list)
    if (k == name) {
      found = true;
      return v;
    }
  found = false;
  return {};
}

namespace {

double var_value(const std::vector<std::pair<std::string, double>> *vars, const std::string &name) {
  if (name.empty() || vars == nullptr) return name.empty() ? 1.0 : kUnknown;
  for (const auto &[k, v] : *vars)
    if (k == name) return v;
  return kUnknown;
}

void add_metrics(const RegexRule &rule, const RuleScratch &caps, MetricWriter &w,
                 const std::vector<std::pair<std::string, double>> *vars) {
  for (const auto &spec : rule.metrics) {
    bool found = false;
    const auto text = capture(caps, spec.source, found);
    if (!found) continue;
    Metric &m = w.add();
    m.name = spec.metric;
    m.device = spec.device;
    if (!spec.device_from.empty()) {
      bool dev_found = false;
      const auto dev = capture(caps, spec.device_from, dev_found);
      if (dev_found) m.device.assign(dev);
    }
    m.value = metric_value(spec, text, var_value(vars, spec.scale_var));
  }
}

} // namespace

bool apply_rule(const RegexRule &rule, std::string_view line, TimePoint received_at, Record &rec,
                MetricWriter &w, RuleScratch &caps,
                const std::vector<std::pair<std::string, double>> *vars) {
  if (!rule.prefilter.empty() && !contains_literal(line, rule.prefilter, rule.prefilter_anchor))
    return false;
  return apply_matched_rule(rule, line, received_at, rec, w, caps, vars);
}

bool apply_matched_rule(const RegexRule &rule, std::string_view line, TimePoint received_at,
                        Record &rec, MetricWriter &w, RuleScratch &caps,
                        const std::vector<std::pair<std::string, double>> *vars) {
  if (!rule.regex->match(line, caps.list, caps.block(), caps.kind)) return false;
  add_metrics(rule, caps, w, vars);
  for (const auto &t : rule.tags)
    if (std::find(rec.tags.begin(), rec.tags.end(), t) == rec.tags.end()) rec.tags.push_back(t);
  rec.severity = std::max(rec.severity, rule.severity);
  bool found = false;
  if (!rule.level.empty())
    rec.level = rule.level;
  else if (const auto lv = capture(caps, "level", found); found && rec.level.empty())
    rec.level.assign(trim(lv));
  if (!rule.time.capture.empty() && !rec.time) {
    const auto ts = capture(caps, rule.time.capture, found);
    TimePoint t;
    if (found && parse_time(ts, rule.time.format, received_at, t, &caps.time, caps.utc_offset))
      rec.time = t;
  }
  return true;
}

namespace {

// Tries every rule; one record per line that any rule matched.
class RegexParser final : public LineParser {
public:
  explicit RegexParser(const CollectorDef &def) : def_(def) {}
  bool feed(std::string_view line, TimePoint received_at, RecordBuffer &out) override {
    const bool scanned = shared_ != nullptr && shared_->scanned(line);
    // Most lines have none of this definition's literals, or only ones of rules whose
    // regex cannot start with the line's first byte: leave before taking a record.
    if (scanned && !unfiltered_ && !any_rule_may_match(line)) return false;
    // After that gate, so that the usual line (no rule's literal) is not searched.
    for (const auto &text : def_.parse.unless)
      if (line.find(text) != std::string_view::npos) return false;
    Record &rec = out.next();
    bool any = false;
    caps_.kind = scanned ? shared_->kind() : 0;
    {
      MetricWriter w(rec);
      const auto &rules = def_.parse.rules;
      for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto &rule = rules[i];
        bool matched = false;
        caps_.rule = i;
        if (scanned && bits_[i] != LiteralSet::kMax)
          matched = shared_->contains(bits_[i]) &&
                    apply_matched_rule(rule, line, received_at, rec, w, caps_);
        else
          matched = apply_rule(rule, line, received_at, rec, w, caps_);
        if (!matched) continue;
        any = true;
        if (rule.last) break;
      }
    }
    if (!any) out.drop_last();
    return any;
  }

  void set_utc_offset(std::chrono::minutes offset) override { caps_.set_offset(offset); }

  [[nodiscard]] std::uint64_t matches_recalled() const override {
    std::uint64_t n = 0;
    for (const auto &b : caps_.blocks) n += b.recalled();
    return n;
  }

  std::uint64_t share_literals(LiteralSet &set) override {
    shared_ = &set;
    bits_.clear();
    rule_bits_ = 0;
    unfiltered_ = false;
    last_gate_ = Gate{};
    for (const auto &rule : def_.parse.rules) {
      bits_.push_back(set.add(rule.prefilter));
      if (bits_.back() == LiteralSet::kMax)
        unfiltered_ = true;
      else
        rule_bits_ |= std::uint64_t{1} << bits_.back();
    }
    return unfiltered_ ? ~std::uint64_t{0} : rule_bits_;
  }

private:
  // The answer depends on the literals present and the line's first two bytes alone (see
  // Regex::may_match): lines of one kind in a row (every exo heartbeat starts "[ ") are
  // answered from the last one.
  bool any_rule_may_match(std::string_view line) {
    const std::uint64_t hits = shared_->present() & rule_bits_;
    if (hits == 0) return false;
    const Gate gate{hits, std::min<std::size_t>(line.size(), 2), line.empty() ? '\0' : line[0],
                    line.size() < 2 ? '\0' : line[1]};
    if (gate == last_gate_) return last_gate_answer_;
    bool answer = false;
    const auto &rules = def_.parse.rules;
    for (std::size_t i = 0; i < rules.size() && !answer; ++i)
      answer = bits_[i] != LiteralSet::kMax && (hits >> bits_[i] & 1U) != 0 &&
               rules[i].regex->may_match(line);
    last_gate_ = gate;
    last_gate_answer_ = answer;
    return answer;
  }

  // What any_rule_may_match looks at: the literals present of this parser's rules, and
  // the line's first two bytes (and how many of them there are).
  struct Gate {
    std::uint64_t hits = 0;
    std::size_t bytes = 3; // never a line's: no line's gate equals the first one
    char first = 0, second = 0;
    bool operator==(const Gate &) const = default;
  };
  Gate last_gate_;
  bool last_gate_answer_ = false;

  const CollectorDef &def_;
  RuleScratch caps_;
  const LiteralSet *shared_ = nullptr;
  std::vector<std::size_t> bits_; // each rule's prefilter in shared_ (kMax: look ourselves)
  std::uint64_t rule_bits_ = 0;   // the bits of bits_
  bool unfiltered_ = false;       // a rule without a literal in shared_: always tried
};

} // namespace

ParserGroup::ParserGroup(std::vector<std::unique_ptr<LineParser>> parsers,
                         const std::vector<std::string_view> &typical)
    : parsers_(std::move(parsers)) {
  if (parsers_.size() < 2) return; // one parser finds its own literals as fast
  literals_ = std::make_unique<LiteralSet>();
  if (!typical.empty()) literals_->learn_typical(typical);
  for (auto &p : parsers_) needs_.push_back(p->share_literals(*literals_));
  literals_->forget_typical(); // needed only while the literals are added
  if (literals_->size() == 0) {
    literals_.reset();
    needs_.clear();
  }
}

ParserGroup::ParserGroup(ParserGroup &&) noexcept = default;
ParserGroup &ParserGroup::operator=(ParserGroup &&) noexcept = default;
ParserGroup::~ParserGroup() = default;

std::uint64_t ParserGroup::scans_reused() const {
  return literals_ != nullptr ? literals_->reused() : 0;
}

std::uint64_t ParserGroup::matches_recalled() const {
  std::uint64_t n = 0;
  for (const auto &p : parsers_) n += p->matches_recalled();
  return n;
}

bool ParserGroup::feed(std::string_view line, TimePoint received_at, RecordBuffer &out) {
  bool used = false;
  if (!literals_) {
    for (auto &p : parsers_) used = p->feed(line, received_at, out) || used;
    return used;
  }
  // The line has() scanned is the same line only when given right after it: another line
  // may sit at the same address with the same length (a reused string).
  if (!(prescanned_ && literals_->scanned(line))) literals_->scan(line);
  prescanned_ = false;
  for (const std::size_t i : called_for(literals_->present()))
    used = parsers_[i]->feed(line, received_at, out) || used;
  return used;
}

std::size_t ParserGroup::watch(std::string_view literal) {
  watched_.emplace_back(literal);
  watched_bits_.push_back(literals_ ? literals_->add(literal) : LiteralSet::kMax);
  return watched_.size() - 1;
}

bool ParserGroup::has(std::string_view line, std::size_t id) {
  const std::size_t bit = watched_bits_[id];
  if (bit == LiteralSet::kMax) return line.find(watched_[id]) != std::string_view::npos;
  literals_->scan(line);
  prescanned_ = true;
  return literals_->contains(bit);
}

const std::vector<std::size_t> &ParserGroup::called_for(std::uint64_t present) {
  for (auto &c : called_)
    if (c.known && c.present == present) return c.parsers;
  Called &c = called_[next_called_];
  next_called_ = (next_called_ + 1) % called_.size();
  c.known = true;
  c.present = present;
  c.parsers.clear();
  for (std::size_t i = 0; i < parsers_.size(); ++i)
    if ((needs_[i] & present) != 0 || needs_[i] == ~std::uint64_t{0}) c.parsers.push_back(i);
  return c.parsers;
}

void ParserGroup::set_utc_offset(std::chrono::minutes offset) {
  for (auto &p : parsers_) p->set_utc_offset(offset);
}

void ParserGroup::finish(RecordBuffer &out) {
  for (auto &p : parsers_) p->finish(out);
}

ParserGroup make_parser_group(const CollectorSet &set, std::string_view collector) {
  std::vector<std::unique_ptr<LineParser>> parsers;
  std::vector<std::string_view> typical; // the definitions' sample lines
  for (const auto *d : set.for_stream(collector)) {
    parsers.push_back(make_parser(*d));
    for (const auto &sample : d->samples)
      typical.insert(typical.end(), sample.lines.begin(), sample.lines.end());
  }
  return ParserGroup(std::move(parsers), typical);
}

std::unique_ptr<LineParser> make_parser(const CollectorDef &def) {
  const auto &k = def.parse.kind;
  if (k == "kv") return make_kv_parser(def);
  if (k == "csv") return make_csv_parser(def);
  if (k == "json") return make_json_parser(def);
  if (k == "block") return make_block_parser(def);
  return std::make_unique<RegexParser>(def);
}

} // namespace clustertop
