// Standard output for a headless watch that a stop signal can interrupt. Signals reach the
// main loop through a signalfd, which it reads only between writes: a reader that stopped
// reading (a stalled `| logger`, a paused pager) left the loop blocked in write(2), where
// SIGTERM and SIGINT went unseen for as long as the reader slept.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>

namespace clustertop {

class StoppableOutput {
public:
  // Writes go to `fd`, waiting for it and for `stop_fd` (readable once a stop signal is
  // pending) together.
  StoppableOutput(int fd, int stop_fd);
  ~StoppableOutput();
  StoppableOutput(const StoppableOutput &) = delete;
  StoppableOutput &operator=(const StoppableOutput &) = delete;

  // The stream to write to (buffered as stdout is).
  [[nodiscard]] std::FILE *file() const { return file_; }
  // From now on a write that cannot go on for `grace` gives up: what is left is dropped. A
  // stop signal seen while a write waits starts the same grace (2 s unless set here).
  void stop_after(std::chrono::milliseconds grace);
  // Whether output was dropped because the reader did not read for the grace after a stop.
  // A write that failed otherwise (a full disk, a reader gone) is an ordinary error.
  [[nodiscard]] bool gave_up() const { return gave_up_; }

private:
  long write_some(const char *data, std::size_t size);

  int fd_;
  int stop_fd_;
  std::size_t chunk_ = 4096; // PIPE_BUF: bytes one write may take after POLLOUT
  std::FILE *file_ = nullptr;
  std::chrono::milliseconds grace_{2000};
  std::optional<std::chrono::steady_clock::time_point> give_up_at_;
  bool gave_up_ = false;
};

} // namespace clustertop
