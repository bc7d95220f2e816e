// FiguresPrinter: the headless "latest figures" line per node per period (text or JSON),
// for people who watch a terminal or pipe clustertop into a log. Reads the store only.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "clustertop/core/report.hpp"
#include "clustertop/sink/sink.hpp"

namespace clustertop {

class FiguresPrinter final : public Sink {
public:
  FiguresPrinter(std::FILE *out, bool json, Duration every)
      : out_(out), json_(json), every_(every) {}
  void on_tick(const TickContext &ctx) override;
  void on_clock_step(Duration step) override {
    if (due_) *due_ += step;
  }
  void flush() override { out_.flush(); }
  // The errno of the first write to `out` that failed, or 0.
  [[nodiscard]] int failed() const { return out_.failed(); }

  // One node's line, exposed for tests.
  static std::string text_line(const Store &store, const std::string &node, TimePoint now);
  static std::string json_line(const Store &store, const std::string &node, TimePoint now);

private:
  CheckedOutput out_;
  bool json_;
  Duration every_;
  std::optional<TimePoint> due_; // the next line's time, on a grid of `every` from the first
};

} // namespace clustertop
