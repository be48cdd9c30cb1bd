// The process-wide pool of std::threads for the data work of the process:
// parsing, kernels, finalize steps, and every --workers thread's calls
// together. Its size is the thread budget, BOUNDLESS_NUM_THREADS (default:
// the cores this process may run on): at most that many threads run data
// work at any instant, whoever calls. A thread runs a chunk only while it
// holds one of the budget's tokens. A caller from outside the pool (the event
// loop, a libuv thread running an AsyncWorker) takes a token when one is free
// and runs chunks itself, so a small loop costs no hand-over to another
// thread; when none is free it hands its loop to the pool and sleeps. (A loop
// too small to split runs on its caller at once even then: waiting behind a
// long task would cost more than the brief extra thread.) A loop
// is split into more chunks than threads, so a thread held up by other work
// (a parse running beside a kernel) does not hold the loop up: the others
// take the remaining chunks. Results must not depend on how a loop is split.
//
// Scheduling favours the short calls a pipeline waits on over the long ones it runs ahead: a
// thread waiting for a token (a kernel call, queued behind a parse's segments) gets the next one
// a pool thread lets go between chunks; a caller helps with its own chunks only, so a kernel's
// step never waits behind a parse segment it picked up; the newest loop's chunks are queued
// first; and a caller that waits for chunks other threads run gives its token back meanwhile. Measured on 2 cores (bench/threads.ts, train pca on a 400k × 64 CSV): a batch's
// kernel call had waited for a whole 4 MB parse wave, the parse then stalled on the undrained
// batches, and a third of the two cores' time was idle.
//
// The data work that runs on libuv threads (a parse feed, a kernel call, an encoder) holds a
// token for its whole run (TokenScope): with BOUNDLESS_NUM_THREADS=1 a parse and a kernel take
// turns on one core instead of running side by side on two, so the budget is the cores a job
// uses, and a second thread is what makes it faster. Reading files and gzip inflation (Node's
// own libuv work) stay outside the budget.
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

  // Threads that may run data work at once: the budget.
  size_t Size() const { return workers_.size(); }
  // Tokens held now: 0 whenever no data work runs (a test's check that none leaked).
  size_t TokensHeld();

  // Calls body(begin, end) on disjoint chunks covering [0, count), chunks no
  // smaller than min_chunk and at most chunks_per_thread per thread. Returns
  // when all chunks are done. An exception from body is rethrown in the caller.
  void ParallelFor(size_t count, size_t min_chunk,
                   const std::function<void(size_t, size_t)>& body, size_t chunks_per_thread = kChunksPerThread);

  // Chunks per thread a loop is split into at most: enough for idle threads to
  // balance a loop one busy thread holds up, few enough that a chunk's fixed
  // cost (a scan of a batch per chunk, scratch) stays small.
  static constexpr size_t kChunksPerThread = 4;

  // Blocks until a token is free and takes it for this thread (not when it holds one already:
  // then false, and nothing to give back). TokenScope is the way to use these.
  bool AcquireToken();
  void ReleaseAcquiredToken();

 private:
  // A queued chunk of a ParallelFor call; `loop` tells the call's own chunks from other callers'.
  struct Task {
    const void* loop;
    std::function<void()> run;
  };

  void WorkerLoop();
  // Runs the first queued task of `loop`, or of any loop when null (the caller holds a token);
  // false when there is none.
  bool RunOneTask(std::unique_lock<std::mutex>& lock, const void* loop = nullptr);
  // Gives a token back, waking a worker when work waits for one.
  void ReleaseToken(std::unique_lock<std::mutex>& lock);
  // Waits for a free token and takes it (counted in token_waiters_ while waiting).
  void WaitForToken(std::unique_lock<std::mutex>& lock);

  std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable token_free_;  // AcquireToken's waiters
  std::deque<Task> tasks_;  // the newest loop's chunks first
  std::vector<std::thread> workers_;
  size_t running_ = 0;  // tokens held: threads running data work now
  size_t token_waiters_ = 0;  // threads blocked in WaitForToken
  bool stopping_ = false;
};

// While one lives, this thread's ParallelFor calls run inline: for a caller that splits its work
// coarsely itself (a batch into chunks of rows), so the small loops inside each chunk do not wake
// other threads for a few microseconds of work each.
class SerialScope {
 public:
  SerialScope();
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  bool previous_;
};

// Whether this thread's ParallelFor calls run inline (a SerialScope, or SetCallerSerial).
bool CallerRunsSerially();

// Makes every later ParallelFor call of this thread run inline, and the data work it queues (read
// by AsyncWorkers through CallerRunsSerially when they are made) run serially on its libuv thread.
// For data-parallel worker threads that are as many as the budget: each keeps to one core, since
// splitting one worker's 1,000-row step across cores costs more in cache traffic than it saves
// when the other cores are busy with the other workers' steps (bench/workers.ts).
void SetCallerSerial(bool serial);

// Holds one of the shared pool's tokens while it lives (waiting for one first): wraps the data
// work an AsyncWorker runs on a libuv thread. Its ParallelFor calls then run chunks on this
// thread and hand the rest to threads with tokens of their own, or, with `serial` (the queuing
// thread's CallerRunsSerially, captured when the work was made), run inline.
class TokenScope {
 public:
  explicit TokenScope(bool serial);
  ~TokenScope();
  TokenScope(const TokenScope&) = delete;
  TokenScope& operator=(const TokenScope&) = delete;

 private:
  bool acquired_;
  bool previous_serial_;
};

// The thread budget: BOUNDLESS_NUM_THREADS, or the cores this process may run
// on (its CPU affinity, as os.availableParallelism() counts them); with a
// description of why when the variable was present but unusable.
size_t ConfiguredThreadCount(std::string* error);

// Cores this process may run on (sched_getaffinity on Linux; hardware threads elsewhere).
size_t AvailableCores();

}  // namespace boundless
