// FiguresPrinter: the headless "latest figures" line per node per period (text or JSON),
// for people who watch a terminal or pipe clustertop into a log. Reads the store only.
#pragma once

#include <cerrno>
#include <cstdio>
#include <string>

#include "clustertop/sink/sink.hpp"

namespace clustertop {

class FiguresPrinter final : public Sink {
public:
  FiguresPrinter(std::FILE *out, bool json, Duration every)
      : out_(out), json_(json), every_(every) {}
  void on_tick(const TickContext &ctx) override;
  void flush() override { write_out(); }
  // The errno of the first write to `out` that failed, or 0 (stdio keeps none).
  [[nodiscard]] int failed() const { return failed_; }

  // One node's line, exposed for tests.
  static std::string text_line(const Store &store, const std::string &node, TimePoint now);
  static std::string json_line(const Store &store, const std::string &node, TimePoint now);

private:
  void write_out() {
    if (std::fflush(out_) != 0 && failed_ == 0) failed_ = errno != 0 ? errno : EIO;
  }

  std::FILE *out_;
  int failed_ = 0;
  bool json_;
  Duration every_;
  TimePoint last_{};
};

} // namespace clustertop
