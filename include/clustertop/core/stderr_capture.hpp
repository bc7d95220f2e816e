// StderrCapture: while the dashboard owns the terminal, what is written to standard error
// (clustertop's own messages, a hook's output) goes into a pipe instead of over the screen,
// where it broke the alerts box and stayed until a resize. The dashboard shows each line in
// its status line; stop() gives the terminal its stderr back and returns what was kept, to
// be printed there once the screen is gone.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "clustertop/core/result.hpp"
#include "clustertop/core/unique_fd.hpp"

namespace clustertop {

class StderrCapture {
public:
  // Lines kept for stop() (the newest), and the bytes kept of one line.
  static constexpr std::size_t kKeptLines = 100;
  static constexpr std::size_t kMaxLineBytes = 1000;

  explicit StderrCapture(int target = 2) : target_(target) {}
  ~StderrCapture(); // stops, then forwards what was written after stop()
  StderrCapture(const StderrCapture &) = delete;
  StderrCapture &operator=(const StderrCapture &) = delete;

  // Points `target` at the pipe. Both ends are non-blocking: a writer that fills the pipe
  // (1 MiB) loses what does not fit rather than stopping the dashboard's own thread.
  Status start();
  // The read end to poll for POLLIN; -1 when not capturing.
  [[nodiscard]] int fd() const { return saved_.valid() ? read_.get() : -1; }
  // While capturing: the target's own file (saved) and the pipe's read end, for a fatal
  // signal's handler to put back and empty (CrashRestore); -1 when not capturing.
  [[nodiscard]] int saved_fd() const { return saved_.get(); }
  // The complete lines written since the last call.
  std::vector<std::string> drain();
  // Gives `target` its own file back and returns the lines kept (the last one even without
  // its line end), with a note of how many older ones were dropped. What processes that
  // still hold the pipe (hooks) write after it goes to the target when the capture is
  // destroyed.
  std::vector<std::string> stop();

private:
  void read_pending();
  void forward_rest();
  void take_line(std::string line);

  int target_;
  UniqueFd saved_; // the target's own file while the pipe stands in
  UniqueFd read_;
  std::string partial_;
  std::vector<std::string> fresh_;
  std::deque<std::string> kept_;
  std::size_t dropped_ = 0;
};

} // namespace clustertop
