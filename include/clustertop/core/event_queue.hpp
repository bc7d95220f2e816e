// EventQueue: the only object shared between threads. Transports (I/O threads) push
// LineBatch and NodeStatus values; the main thread drains them. Bounded: when full, line
// batches are dropped and counted (status changes are rare and always kept). The main
// thread polls wake_fd() beside stdin, so new data wakes it without a busy loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <variant>
#include <vector>

#include "clustertop/core/model.hpp"

namespace clustertop {

using Event = std::variant<LineBatch, NodeStatus>;

class EventQueue {
public:
  explicit EventQueue(std::size_t max_lines = 1'000'000);
  ~EventQueue();
  EventQueue(const EventQueue &) = delete;
  EventQueue &operator=(const EventQueue &) = delete;

  // Thread-safe. Returns false when the batch was dropped because the queue is full.
  bool push(LineBatch batch);
  // As push, but a batch that does not fit is left to the caller, not dropped: a reader that
  // can wait (a local `tail`, which then waits on its pipe) tries again, and loses nothing.
  bool try_push(LineBatch &batch);
  void push(NodeStatus status);

  // Main thread: takes everything queued, in order, and clears the wake fd.
  std::vector<Event> drain();

  // Readable while events are queued (an eventfd).
  [[nodiscard]] int wake_fd() const { return wake_fd_; }

  // Lines dropped since start because the consumer fell behind (push, not try_push).
  [[nodiscard]] std::uint64_t dropped_lines() const;

private:
  void signal();

  mutable std::mutex mutex_;
  std::deque<Event> events_;
  std::size_t queued_lines_ = 0;
  std::size_t max_lines_;
  std::uint64_t dropped_lines_ = 0;
  int wake_fd_ = -1;
};

} // namespace clustertop
