// TableReader: typed reads from one TOML table that remember which keys were used, so
// finish() can name every unknown key with its line and the closest known key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "clustertop/core/result.hpp"
#include "clustertop/core/time.hpp"

namespace clustertop {

class TableReader {
public:
  TableReader(const toml::table &table, std::string file, std::string section)
      : table_(table), file_(std::move(file)), section_(std::move(section)) {}

  [[nodiscard]] int line() const { return static_cast<int>(table_.source().begin.line); }
  [[nodiscard]] const std::string &file() const { return file_; }
  // The line of `key` when the table holds it, else the table's own.
  [[nodiscard]] int line_of(const std::string &key) const {
    const auto *n = table_.get(key);
    return n != nullptr && n->source().begin.line > 0 ? static_cast<int>(n->source().begin.line)
                                                      : line();
  }

  Status string(const std::string &key, std::string &out, bool required = false);
  Status strings(const std::string &key, std::vector<std::string> &out);
  Status one_of(const std::string &key, std::string &out,
                std::initializer_list<const char *> allowed);
  Status integer(const std::string &key, std::int64_t &out, std::int64_t min, std::int64_t max);
  Status number(const std::string &key, double &out, double min, double max);
  Status boolean(const std::string &key, std::optional<bool> &out);
  // A duration string ("30s", "500ms") or a number of seconds; above 0 unless `zero_ok` (0
  // means "off" for some settings, and is a mistake for a timeout or an interval).
  Status duration(const std::string &key, std::optional<Duration> &out, bool zero_ok = false);
  // A UTC offset, "+hhmm" / "-hhmm", or "UTC".
  Status utc_offset(const std::string &key, std::optional<std::chrono::minutes> &out);
  // A sub-table (marks the key used); nullptr when absent. Errors on a non-table are left to
  // finish(), which reports the key as the wrong type.
  const toml::table *table(const std::string &key);
  const toml::node *raw(const std::string &key);

  // Error for the first key no read asked for.
  Status finish() const;

private:
  const toml::node *find(const std::string &key);
  [[nodiscard]] std::string where(const toml::node &n) const;
  [[nodiscard]] std::string qualified(const std::string &key) const;
  Error wrong(const std::string &key, const toml::node &n, const std::string &expected,
              const std::string &example) const;

  const toml::table &table_;
  std::string file_;
  std::string section_;
  std::set<std::string> used_;
  std::set<std::string> known_;
};

} // namespace clustertop
