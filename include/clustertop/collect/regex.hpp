// A PCRE2 regex with JIT, named captures and match/depth limits, safe on hostile lines.
// Compiled once at load; match() is const and uses a per-call match data block.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clustertop/core/result.hpp"

namespace clustertop {

class Regex {
public:
  static Result<std::shared_ptr<const Regex>> compile(const std::string &pattern);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  // Named captures of the first match, or false (no match, or a limit was hit).
  // Unset groups are left out.
  bool match(std::string_view line,
             std::vector<std::pair<std::string_view, std::string_view>> &captures) const;
  bool matches(std::string_view line) const;
  [[nodiscard]] const std::string &pattern() const { return pattern_; }
  [[nodiscard]] const std::vector<std::pair<std::string, int>> &names() const { return names_; }

private:
  Regex() = default;
  std::string pattern_;
  void *code_ = nullptr;    // pcre2_code*
  void *context_ = nullptr; // pcre2_match_context*
  std::vector<std::pair<std::string, int>> names_;
};

} // namespace clustertop
