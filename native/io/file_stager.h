// A byte range of a plain file read and staged into a ParallelTextParser's waves by a thread of
// its own, wave after wave, while the caller hands over the rows staged before (Drain).
//
// Why: fed chunk by chunk from JavaScript, every wave began with a hop through the event loop
// and a libuv thread that had to be woken while the cores drained and read the wave before: on
// 2 cores 0.35–0.7 ms per 4 MB wave, 7–10% of a parse at two threads (libsvm 400k rows: 16 of
// 165 ms; CSV: 22 of 321 ms). Here the thread that finishes a wave starts the next at once,
// while a wave is free. The file is parsed where it is mapped (file_window.h), not copied out of
// the page cache first: at two threads the copy took CPU the parse needed (libsvm −8%, CSV −2%).
//
// The thread holds one of the pool's tokens while it parses (as the libuv thread that ran a
// stage did) and none while it waits for a free wave, so the thread budget is kept; the next
// window is mapped meanwhile outside it, as Node's reads were. The
// bytes are the ones the caller would have fed, in order, so batches, positions and errors are
// the same as chunk by chunk (tests: test/io/file-stager.test.ts).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io/file_window.h"
#include "io/parallel_text_parser.h"

namespace boundless {

class FileStager {
 public:
  // What Wait saw: rows ready at the parser's oldest wave, or the stager's end (with the bytes
  // read so far in either case; `error` set when reading failed).
  struct Progress {
    bool ready = false;
    bool done = false;
    uint64_t bytes = 0;
    std::string error;
  };

  // Starts reading `path` from byte `from` up to `to` (or its end, whichever comes first) into
  // the parser, whose batches have the arrays `shape` names. The parser must not be fed
  // meanwhile; Drain may run on the caller's thread.
  FileStager(ParallelTextParser& parser, const BatchTarget& shape, std::string path, uint64_t from, uint64_t to);
  ~FileStager();
  FileStager(const FileStager&) = delete;
  FileStager& operator=(const FileStager&) = delete;

  // Blocks until the parser's oldest held wave is ready, or the stager has ended.
  Progress Wait();
  // Ends the thread (after the wave it is parsing) and joins it; the bytes it staged.
  uint64_t Stop();

 private:
  void Run();
  std::unique_ptr<FileWindow> Window(int fd, uint64_t at) const;
  void End(const std::string& error);

  ParallelTextParser& parser_;
  const BatchTarget shape_;
  const std::string path_;
  const uint64_t from_, to_;

  std::mutex mutex_;
  std::condition_variable changed_;  // a wave got ready, or the stager ended
  bool done_ = false;
  uint64_t bytes_ = 0;
  std::string error_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace boundless
