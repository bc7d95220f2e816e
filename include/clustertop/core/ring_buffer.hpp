// A fixed-capacity ring: the newest `capacity` items, oldest overwritten. Memory is fixed
// at construction; push never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace clustertop {

template <typename T> class RingBuffer {
public:
  explicit RingBuffer(std::size_t capacity) : items_(capacity == 0 ? 1 : capacity) {}

  void push(T item) { push_slot() = std::move(item); }
  // Counts one more item and returns its slot, which still holds what it held (the
  // overwritten oldest item, or a default one): a caller that assigns into it reuses the
  // storage of its strings instead of allocating new ones.
  T &push_slot() {
    ++pushed_;
    T &slot = items_[(start_ + size_) % items_.size()];
    if (size_ < items_.size())
      ++size_;
    else
      start_ = (start_ + 1) % items_.size();
    return slot;
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  // Items ever pushed: item i is the (pushed() - size() + i)-th. A reader that keeps
  // figures over a series between looks (detect/) tells new items from seen ones by it.
  [[nodiscard]] std::uint64_t pushed() const { return pushed_; }
  [[nodiscard]] std::size_t capacity() const { return items_.size(); }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  // i = 0 is the oldest item kept.
  // Detectors read hundreds of items per series per tick: a compare and a subtraction
  // instead of a division for i < capacity, the only valid use; a larger i still wraps.
  const T &operator[](std::size_t i) const {
    std::size_t j = start_ + i;
    if (j >= items_.size()) j -= items_.size();
    return j < items_.size() ? items_[j] : items_[j % items_.size()];
  }
  const T &at(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("RingBuffer::at");
    return (*this)[i];
  }
  const T &back() const { return (*this)[size_ - 1]; }
  void clear() {
    start_ = 0;
    size_ = 0; // pushed_ stays: it only grows, so a reader never mistakes old items for new
  }

private:
  std::vector<T> items_;
  std::size_t start_ = 0;
  std::size_t size_ = 0;
  std::uint64_t pushed_ = 0;
};

} // namespace clustertop
