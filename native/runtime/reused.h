// Buffers kept from call to call: a kernel that runs per batch takes its scratch from here
// instead of allocating it, so a batch does not pay for fresh pages (at 10^5 features and more,
// megabytes faulted in and zeroed per call).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace boundless {

// A T kept per thread and nesting depth, so the buffers of one call are the next call's (no
// allocation, no fresh pages per batch). Calls on one thread nest strictly (a thread waiting in
// ParallelFor may run another caller's chunk, which may call in again): each depth has its own.
template <class T>
class Reused {
 public:
  Reused() {
    auto& slots = Slots();
    if (slots.size() <= Depth()) slots.emplace_back(new T());
    item_ = slots[Depth()++].get();
  }
  ~Reused() { Depth()--; }
  Reused(const Reused&) = delete;
  Reused& operator=(const Reused&) = delete;
  T& operator*() const { return *item_; }
  T* operator->() const { return item_; }

 private:
  static std::vector<std::unique_ptr<T>>& Slots() {
    thread_local std::vector<std::unique_ptr<T>> slots;
    return slots;
  }
  static size_t& Depth() {
    thread_local size_t depth = 0;
    return depth;
  }
  T* item_;
};

}  // namespace boundless
