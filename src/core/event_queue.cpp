#include "clustertop/core/event_queue.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/eventfd.h>
#include <unistd.h>

namespace clustertop {

EventQueue::EventQueue(std::size_t max_lines) : max_lines_(max_lines) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

EventQueue::~EventQueue() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

void EventQueue::signal() {
  const std::uint64_t one = 1;
  // A full counter (never in practice) or EAGAIN still leaves the fd readable.
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
}

bool EventQueue::push(LineBatch batch) {
  if (try_push(batch)) return true;
  std::lock_guard lock(mutex_);
  dropped_lines_ += batch.lines.size();
  return false;
}

bool EventQueue::try_push(LineBatch &batch) {
  if (batch.lines.empty()) return true;
  {
    std::lock_guard lock(mutex_);
    // A batch larger than the whole queue still goes in once the queue is empty.
    if (queued_lines_ > 0 && queued_lines_ + batch.lines.size() > max_lines_) return false;
    queued_lines_ += batch.lines.size();
    events_.emplace_back(std::move(batch));
  }
  signal();
  return true;
}

void EventQueue::push(NodeStatus status) {
  {
    std::lock_guard lock(mutex_);
    events_.emplace_back(std::move(status));
  }
  signal();
}

std::vector<Event> EventQueue::drain() {
  std::uint64_t counter = 0;
  [[maybe_unused]] auto n = read(wake_fd_, &counter, sizeof counter);
  std::lock_guard lock(mutex_);
  std::vector<Event> out(std::make_move_iterator(events_.begin()),
                         std::make_move_iterator(events_.end()));
  events_.clear();
  queued_lines_ = 0;
  return out;
}

std::uint64_t EventQueue::dropped_lines() const {
  std::lock_guard lock(mutex_);
  return dropped_lines_;
}

} // namespace clustertop
