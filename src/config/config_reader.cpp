#include "clustertop/config/config_reader.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace clustertop {
namespace {

// Edit distance, for "did you mean" on misspelt keys.
std::size_t distance(const std::string &a, const std::string &b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

} // namespace

const toml::node *TableReader::find(const std::string &key) {
  known_.insert(key);
  const auto *n = table_.get(key);
  if (n != nullptr) used_.insert(key);
  return n;
}

std::string TableReader::where(const toml::node &n) const {
  return fmt::format("{}:{}", file_, n.source().begin.line);
}

std::string TableReader::qualified(const std::string &key) const {
  return section_.empty() ? key : section_ + "." + key;
}

Error TableReader::wrong(const std::string &key, const toml::node &n, const std::string &expected,
                         const std::string &example) const {
  return Error{fmt::format("'{}' must be {}", qualified(key), expected), "", where(n),
               fmt::format("write it like: {} = {}", key, example)};
}

Status TableReader::string(const std::string &key, std::string &out, bool required) {
  const auto *n = find(key);
  if (n == nullptr) {
    if (!required) return ok_status();
    return Error{fmt::format("missing '{}'", qualified(key)), "",
                 fmt::format("{}:{}", file_, line()),
                 fmt::format("add {} = \"...\" to this section", key)};
  }
  const auto *s = n->as_string();
  if (s == nullptr) return wrong(key, *n, "a string", "\"text\"");
  if (required && s->get().empty()) return wrong(key, *n, "a non-empty string", "\"mac1\"");
  // `listen = ""` was taken as "not set" (no /metrics, and a run said nothing): a key is set
  // to something, or left out.
  if (s->get().empty())
    return Error{fmt::format("'{}' is empty", qualified(key)), "", where(*n),
                 fmt::format("give {} a value, or remove the line to leave it unset", key)};
  if (s->get().find('\0') != std::string::npos) return wrong(key, *n, "free of NUL bytes", "\"x\"");
  out = s->get();
  return ok_status();
}

Status TableReader::strings(const std::string &key, std::vector<std::string> &out) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  const auto *arr = n->as_array();
  if (arr == nullptr) return wrong(key, *n, "an array of strings", "[\"a\", \"b\"]");
  out.clear();
  for (const auto &item : *arr) {
    const auto *s = item.as_string();
    if (s == nullptr || s->get().empty())
      return wrong(key, item, "an array of non-empty strings", "[\"a\", \"b\"]");
    out.push_back(s->get());
  }
  return ok_status();
}

Status TableReader::one_of(const std::string &key, std::string &out,
                           std::initializer_list<const char *> allowed) {
  std::string value;
  if (auto s = string(key, value); !s) return s;
  if (value.empty() && table_.get(key) == nullptr) return ok_status();
  for (const char *a : allowed)
    if (value == a) {
      out = value;
      return ok_status();
    }
  std::string list;
  for (const char *a : allowed) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", a);
  return Error{fmt::format("'{}' is \"{}\", which is not allowed", qualified(key), value), "",
               where(*table_.get(key)), fmt::format("use one of {}", list)};
}

Status TableReader::integer(const std::string &key, std::int64_t &out, std::int64_t min,
                            std::int64_t max) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  const auto *v = n->as_integer();
  if (v == nullptr || v->get() < min || v->get() > max)
    return wrong(key, *n, fmt::format("an integer from {} to {}", min, max), std::to_string(min));
  out = v->get();
  return ok_status();
}

Status TableReader::number(const std::string &key, double &out, double min, double max) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  std::optional<double> v;
  if (const auto *f = n->as_floating_point()) v = f->get();
  if (const auto *i = n->as_integer()) v = static_cast<double>(i->get());
  if (!v || !std::isfinite(*v) || *v < min || *v > max)
    return wrong(key, *n, fmt::format("a number from {} to {}", min, max), fmt::format("{}", min));
  out = *v;
  return ok_status();
}

Status TableReader::boolean(const std::string &key, std::optional<bool> &out) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  const auto *b = n->as_boolean();
  if (b == nullptr) return wrong(key, *n, "true or false", "true");
  out = b->get();
  return ok_status();
}

Status TableReader::duration(const std::string &key, std::optional<Duration> &out, bool zero_ok) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  Duration d{};
  bool good = false;
  if (const auto *s = n->as_string())
    good = parse_duration(s->get(), d);
  else if (const auto *i = n->as_integer())
    good = parse_duration(std::to_string(i->get()), d);
  else if (const auto *f = n->as_floating_point()) {
    // The value itself: its text ("1e-05" for 0.00001) need not be a duration string.
    const double secs = f->get();
    good = std::isfinite(secs) && secs >= 0 && secs <= 1e9;
    if (good) d = from_seconds(secs);
  }
  if (!good) return wrong(key, *n, "a duration such as \"500ms\", \"1s\" or \"2m\"", "\"30s\"");
  if (!zero_ok && d <= Duration::zero())
    return wrong(key, *n, "a duration above 0, such as \"500ms\" or \"10s\"", "\"10s\"");
  out = d;
  return ok_status();
}

Status TableReader::utc_offset(const std::string &key, std::optional<std::chrono::minutes> &out) {
  const auto *n = find(key);
  if (n == nullptr) return ok_status();
  const auto *s = n->as_string();
  std::optional<std::chrono::minutes> offset;
  if (s != nullptr) offset = parse_zone_setting(s->get());
  if (!offset)
    return wrong(key, *n, "a UTC offset such as \"+0100\", \"-0530\" or \"UTC\"", "\"UTC\"");
  out = offset;
  return ok_status();
}

const toml::table *TableReader::table(const std::string &key) {
  const auto *n = table_.get(key);
  if (n == nullptr || !n->is_table()) {
    known_.insert(key);
    return nullptr;
  }
  find(key);
  return n->as_table();
}

const toml::node *TableReader::raw(const std::string &key) { return find(key); }

Status TableReader::finish() const {
  for (const auto &[k, v] : table_) {
    const std::string key(k.str());
    if (used_.count(key) != 0U) continue;
    std::string help = "remove it; docs/configuration.md lists every key";
    if (known_.count(key) != 0U) {
      return Error{fmt::format("'{}' has the wrong type", qualified(key)), "", where(v),
                   "docs/example-config.toml shows the expected form"};
    }
    const std::string *best = nullptr;
    std::size_t best_d = 3;
    for (const auto &candidate : known_) {
      const auto d = distance(key, candidate);
      if (d < best_d) {
        best_d = d;
        best = &candidate;
      }
    }
    if (best != nullptr) help = fmt::format("did you mean '{}'?", *best);
    return Error{fmt::format("unknown key '{}'", qualified(key)), "", where(v), help};
  }
  return ok_status();
}

} // namespace clustertop
