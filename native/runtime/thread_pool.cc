#include "runtime/thread_pool.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

namespace boundless {
namespace {

// Whether the current thread holds one of a pool's tokens (a worker running a task, or a caller
// running chunks): its nested loops run chunks without taking another.
thread_local bool holds_token = false;

}  // namespace

size_t AvailableCores() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<size_t>(count);
  }
#endif
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

size_t ConfiguredThreadCount(std::string* error) {
  size_t cores = AvailableCores();
  const char* text = std::getenv("BOUNDLESS_NUM_THREADS");
  if (text == nullptr || text[0] == '\0') return cores;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  // strtol skips leading blanks; trailing ones (a shell's "3 ") are taken as well, not refused.
  while (*end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (end == text || *end != '\0' || value < 1 || value > 1024) {
    if (error) {
      *error = std::string("BOUNDLESS_NUM_THREADS=") + text +
               " is not an integer from 1 to 1024; using " + std::to_string(cores);
    }
    return cores;
  }
  return static_cast<size_t>(value);
}

ThreadPool& ThreadPool::Shared() {
  // Leaked on purpose: joining threads during static destruction at process
  // exit can deadlock when the exit happens from inside a worker.
  static ThreadPool* pool = new ThreadPool(ConfiguredThreadCount(nullptr));
  return *pool;
}

ThreadPool::ThreadPool(size_t threads) {
  threads = std::max<size_t>(1, threads);
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (auto& worker : workers_) worker.join();
}

bool ThreadPool::RunOneTask(std::unique_lock<std::mutex>& lock, const void* loop) {
  auto it = tasks_.begin();
  while (it != tasks_.end() && loop != nullptr && it->loop != loop) ++it;
  if (it == tasks_.end()) return false;
  std::function<void()> task = std::move(it->run);
  tasks_.erase(it);
  lock.unlock();
  task();
  lock.lock();
  return true;
}

void ThreadPool::WaitForToken(std::unique_lock<std::mutex>& lock) {
  ++token_waiters_;
  token_free_.wait(lock, [this] { return running_ < Size(); });
  --token_waiters_;
  ++running_;
  // Workers stand back while anyone waits for a token: with the waiters served, one may take the next.
  if (token_waiters_ == 0 && !tasks_.empty() && running_ < Size()) has_work_.notify_one();
}

void ThreadPool::ReleaseToken(std::unique_lock<std::mutex>& lock) {
  (void)lock;
  --running_;
  if (!tasks_.empty()) has_work_.notify_one();
  token_free_.notify_one();
}

bool ThreadPool::AcquireToken() {
  if (holds_token) return false;
  std::unique_lock<std::mutex> lock(mutex_);
  WaitForToken(lock);
  holds_token = true;
  return true;
}

size_t ThreadPool::TokensHeld() {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void ThreadPool::ReleaseAcquiredToken() {
  holds_token = false;
  std::unique_lock<std::mutex> lock(mutex_);
  ReleaseToken(lock);
}

void ThreadPool::WorkerLoop() {
#ifdef __linux__
  // Named so that top, perf and /proc/self/task tell the budget's threads from libuv's and V8's.
  pthread_setname_np(pthread_self(), "boundless-pool");
#endif
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    has_work_.wait(lock, [this] { return stopping_ || (!tasks_.empty() && running_ < Size() && token_waiters_ == 0); });
    if (stopping_) return;
    ++running_;
    holds_token = true;
    // Between tasks the token goes to a thread waiting for one, if any (see the header).
    while (token_waiters_ == 0 && RunOneTask(lock)) {
    }
    holds_token = false;
    ReleaseToken(lock);
  }
}

namespace {
thread_local bool serial_scope = false;
}  // namespace

SerialScope::SerialScope() : previous_(serial_scope) { serial_scope = true; }
SerialScope::~SerialScope() { serial_scope = previous_; }

bool CallerRunsSerially() { return serial_scope; }
void SetCallerSerial(bool serial) { serial_scope = serial; }

TokenScope::TokenScope(bool serial) : acquired_(ThreadPool::Shared().AcquireToken()), previous_serial_(serial_scope) {
  if (serial) serial_scope = true;
}

TokenScope::~TokenScope() {
  serial_scope = previous_serial_;
  if (acquired_) ThreadPool::Shared().ReleaseAcquiredToken();
}

void ThreadPool::ParallelFor(size_t count, size_t min_chunk,
                             const std::function<void(size_t, size_t)>& body, size_t chunks_per_thread) {
  if (count == 0) return;
  if (serial_scope) {
    body(0, count);
    return;
  }
  min_chunk = std::max<size_t>(1, min_chunk);
  const size_t wanted = std::max<size_t>(1, std::min(Size() * std::max<size_t>(1, chunks_per_thread), (count + min_chunk - 1) / min_chunk));
  // A caller runs chunks itself when it holds a token already (a nested loop) or can take a free one.
  const bool nested = holds_token;
  bool took_token = false;
  if (!nested) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_ < Size()) {
      ++running_;
      took_token = true;
    }
  }
  // A loop too small to split runs at once on its caller, token or not: handing it to a pool
  // thread busy with a long task (a parse segment) would make it wait for that task, and the
  // linear learner takes dozens of such steps per batch.
  const bool participating = nested || took_token || wanted == 1;
  auto give_back = [&] {
    if (!took_token) return;
    holds_token = false;
    std::unique_lock<std::mutex> lock(mutex_);
    ReleaseToken(lock);
    took_token = false;
  };
  if (wanted == 1 && participating) {
    // A caller with no token (none was free) runs the loop all the same, but not as a holder: the
    // loops nested in body then take a free token or queue their chunks like any caller's, and
    // never lend a token this thread does not have (a lent phantom token, taken back as a real
    // one, leaked one token a time until the budget's were all gone and the process hung).
    holds_token = nested || took_token;
    try {
      body(0, count);
    } catch (...) {
      holds_token = nested;
      give_back();
      throw;
    }
    holds_token = nested;
    give_back();
    return;
  }
  // Equal chunks of ceil(count / wanted) may cover count in fewer than `wanted` chunks (40 items
  // in 16 chunks of 3 need only 14): count the chunks again so that none starts past the end.
  const size_t chunk_size = (count + wanted - 1) / wanted;
  const size_t chunks = (count + chunk_size - 1) / chunk_size;

  // Per-call completion state lives on this stack frame; tasks only touch it
  // while the caller is still waiting, because the caller waits for all.
  std::mutex done_mutex;
  std::condition_variable done_cv;
  size_t remaining = chunks;
  std::exception_ptr failure;

  auto run_chunk = [&](size_t begin, size_t end) {
    std::exception_ptr error;
    try {
      body(begin, end);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> guard(done_mutex);
    if (error && !failure) failure = error;
    if (--remaining == 0) done_cv.notify_all();
  };

  const size_t first_queued = participating ? 1 : 0;
  if (chunks > first_queued) {
    // Wake workers only when a token is free for them: a woken worker without one goes back to
    // sleep, and with BOUNDLESS_NUM_THREADS=1 those futex wake-ups were 7% of a dense linear
    // learner run. No wake-up is lost: whoever releases a token wakes a worker if tasks remain.
    size_t free_tokens = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // In front of older loops' chunks, in order: the newest loop is the one a caller now waits on.
      for (size_t c = chunks; c-- > first_queued;) {
        size_t begin = c * chunk_size;
        size_t end = std::min(count, begin + chunk_size);
        tasks_.push_front(Task{&run_chunk, [&run_chunk, begin, end] { run_chunk(begin, end); }});
      }
      free_tokens = token_waiters_ > 0 ? 0 : Size() - std::min(Size(), running_);
    }
    // As many as can take a chunk, not all: with a budget far above the cores (1024 threads on
    // 2 cores) waking every worker for each loop cost more than the work.
    const size_t wake = std::min(free_tokens, chunks - first_queued);
    for (size_t i = 0; i < wake; ++i) has_work_.notify_one();
  }

  bool lent_token = false;  // a nested caller's token, let go while others run its last chunks
  if (participating) {
    holds_token = true;
    run_chunk(0, std::min(count, chunk_size));
    // Run this loop's queued chunks while any are waiting, instead of handing them to threads
    // that must first wake up; not another loop's (a parse segment would hold this caller up).
    // All of them, even with a thread waiting for a token: a caller that stopped here would
    // sleep on chunks that only a token holder can run, and with one pool thread (itself, in a
    // nested loop) none might be left to run them.
    bool pending = true;
    for (;;) {
      {
        std::lock_guard<std::mutex> guard(done_mutex);
        pending = remaining > 0;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (!pending || !RunOneTask(lock, &run_chunk)) break;
    }
    give_back();  // before sleeping: the token is the budget's, not this caller's
    // Every chunk is taken now and runs on a thread with a token: a nested caller lends its own
    // until they are done (taking one again after), so no token sleeps while work waits for it.
    if (nested && pending) {
      holds_token = false;
      std::unique_lock<std::mutex> lock(mutex_);
      ReleaseToken(lock);
      lent_token = true;
    } else if (nested) {
      holds_token = true;
    }
  }
  std::unique_lock<std::mutex> done_lock(done_mutex);
  done_cv.wait(done_lock, [&] { return remaining == 0; });
  done_lock.unlock();
  if (lent_token) {
    std::unique_lock<std::mutex> lock(mutex_);
    WaitForToken(lock);
    holds_token = true;
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace boundless
