// A small process-wide pool of std::threads for data-parallel kernels.
// Sized by BOUNDLESS_NUM_THREADS (default: hardware threads). The calling
// thread takes part in its own loop, so a pool of size 1 runs everything
// on the caller, deterministically. Several callers (AsyncWorkers on libuv
// threads) may run loops at once; tasks share one queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace boundless {

class ThreadPool {
 public:
  // The shared pool, created on first use.
  static ThreadPool& Shared();

  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total threads that execute work, the caller included.
  size_t Size() const { return workers_.size() + 1; }

  // Calls body(begin, end) on disjoint chunks covering [0, count), at most
  // one chunk per thread, chunks no smaller than min_chunk. Returns when all
  // chunks are done. An exception from body is rethrown in the caller.
  void ParallelFor(size_t count, size_t min_chunk,
                   const std::function<void(size_t, size_t)>& body);

 private:
  void WorkerLoop();
  bool RunOneTask(std::unique_lock<std::mutex>& lock);

  std::mutex mutex_;
  std::condition_variable has_work_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

// Threads requested by BOUNDLESS_NUM_THREADS, or hardware threads; with a
// description of why when the variable was present but unusable.
size_t ConfiguredThreadCount(std::string* error);

}  // namespace boundless
