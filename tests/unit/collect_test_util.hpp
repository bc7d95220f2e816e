// Helpers shared by the collect_* unit tests.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clustertop/collect/collectors.hpp"

namespace clustertop::test {

inline std::shared_ptr<const CollectorSet> builtin_set() {
  std::vector<std::string> warnings;
  auto set = CollectorSet::load({}, warnings);
  EXPECT_TRUE(set.ok()) << (set.ok() ? "" : set.error().message());
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  return set.ok() ? *set : nullptr;
}

inline std::string fixture(const std::string &rel) {
  std::ifstream in(std::string(CLUSTERTOP_TEST_DATA) + "/fixtures/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> fixture_lines(const std::string &rel) {
  std::vector<std::string> out;
  std::istringstream in(fixture(rel));
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// A fresh directory (definition files, recordings), removed with everything in it.
class TempDir {
public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("clustertop_defs_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void write(const std::string &name, const std::string &text) const {
    std::ofstream(path_ / name) << text;
  }
  [[nodiscard]] std::string str() const { return path_.string(); }
  [[nodiscard]] const std::filesystem::path &path() const { return path_; }

private:
  std::filesystem::path path_;
  static inline int counter_ = 0;
};

} // namespace clustertop::test
