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
  explicit RingBuffer(std::size_t capacity)
      : items_(capacity == 0 ? 1 : capacity), capacity_(items_.size()) {}

  void push(T item) { push_slot() = std::move(item); }
  // Counts one more item and returns its slot, which still holds what it held (the
  // overwritten oldest item, or a default one): a caller that assigns into it reuses the
  // storage of its strings instead of allocating new ones.
  T &push_slot() {
    ++pushed_;
    T &slot = items_[wrap(start_ + size_)];
    if (size_ < capacity_)
      ++size_;
    else
      start_ = wrap(start_ + 1);
    return slot;
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  // Items ever pushed: item i is the (pushed() - size() + i)-th. A reader that keeps
  // figures over a series between looks (detect/) tells new items from seen ones by it.
  [[nodiscard]] std::uint64_t pushed() const { return pushed_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  // i = 0 is the oldest item kept; i < size() (at() checks it).
  // Detectors read hundreds of items per series per tick and every parsed sample is
  // pushed: a compare and a subtraction instead of a division, the capacity in a member of
  // its own instead of the vector's end minus its start.
  const T &operator[](std::size_t i) const { return items_[wrap(start_ + i)]; }
  // The ring's storage and place, copied for a read loop: a loop that also stores
  // elsewhere (a vector it fills, a figure it updates) keeps these in registers, where the
  // ring's own members would be loaded again after every store that might alias them.
  // Valid until the ring changes.
  struct View {
    const T *items;
    std::size_t capacity, start, size;
    const T &operator[](std::size_t i) const {
      const std::size_t j = start + i;
      return items[j >= capacity ? j - capacity : j];
    }
  };
  [[nodiscard]] View view() const { return View{items_.data(), capacity_, start_, size_}; }
  const T &at(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("RingBuffer::at");
    return (*this)[i];
  }
  const T &back() const { return (*this)[size_ - 1]; }
  // Calls f on every item held, which it may change (times moved with a clock's step).
  template <class F> void for_each_held(F f) {
    for (std::size_t i = 0; i < size_; ++i) f(items_[wrap(start_ + i)]);
  }
  void clear() {
    start_ = 0;
    size_ = 0; // pushed_ stays: it only grows, so a reader never mistakes old items for new
  }

private:
  // j < 2 * capacity: j's slot.
  [[nodiscard]] std::size_t wrap(std::size_t j) const { return j >= capacity_ ? j - capacity_ : j; }

  std::vector<T> items_;
  std::size_t capacity_;
  std::size_t start_ = 0;
  std::size_t size_ = 0;
  std::uint64_t pushed_ = 0;
};

} // namespace clustertop
