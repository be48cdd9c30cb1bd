#include "io/file_stager.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <vector>

#include "runtime/thread_pool.h"

namespace boundless {
namespace {

// Bytes read into [into, into + length) from `offset`, short only at the end of the file.
size_t ReadFully(int fd, char* into, size_t length, uint64_t offset) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(fd, into + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::strerror(errno));
  }
  ~FileDescriptor() { close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

FileStager::FileStager(ParallelTextParser& parser, const BatchTarget& shape, std::string path, uint64_t from, uint64_t to)
    : parser_(parser), shape_(shape), path_(std::move(path)), from_(from), to_(to),
      buffers_{std::vector<char>(ParallelTextParser::kWaveBytes), std::vector<char>(ParallelTextParser::kWaveBytes)}, thread_([this] { Run(); }) {}

FileStager::~FileStager() { Stop(); }

uint64_t FileStager::Stop() {
  cancelled_.store(true);
  parser_.WakeReservers();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

FileStager::Progress FileStager::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  Progress progress;
  changed_.wait(lock, [&] { return done_ || parser_.has_staged(); });
  progress.ready = parser_.has_staged();
  progress.done = done_;
  progress.bytes = bytes_;
  progress.error = error_;
  return progress;
}

void FileStager::End(const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  error_ = error;
  changed_.notify_all();
}

void FileStager::Run() {
  std::string error;
  try {
    FileDescriptor file(path_);
    // Each chunk is read (on a thread of its own, outside the budget, as Node's reads were)
    // while the one before is parsed: a read copies 4 MB out of the page cache, 0.4–1.3 ms here,
    // which in front of each wave's parse cost what the hops did.
    auto read = [&](size_t which, uint64_t at) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(ParallelTextParser::kWaveBytes, to_ - std::min(to_, at)));
      return std::async(std::launch::async, [this, &file, which, at, want] { return ReadFully(file.get(), buffers_[which].data(), want, at); });
    };
    uint64_t position = from_;
    size_t which = 0;
    std::future<size_t> pending = read(which, position);
    while (!cancelled_.load()) {
      const size_t length = pending.get();
      if (length == 0) break;
      pending = read(which ^ 1, position + length);
      ParallelTextParser::Wave* wave = parser_.ReserveWaiting(cancelled_);
      if (!wave) break;
      size_t consumed;
      {
        TokenScope token(false);
        consumed = parser_.Stage(*wave, buffers_[which].data(), length, shape_);
      }
      if (consumed == 0) throw std::runtime_error("the parser took none of " + std::to_string(length) + " bytes (a bug): please report it");
      position += consumed;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        bytes_ += consumed;
        changed_.notify_all();
      }
      // Its error waits for the hand-over; nothing after it is read.
      if (ParallelTextParser::Failed(*wave)) break;
      if (consumed < length) {
        // A wave's worth taken (dense rows past kDenseStagingBytes): the rest is read again.
        pending.wait();
        pending = read(which ^ 1, position);
      }
      which ^= 1;
    }
    if (pending.valid()) pending.wait();  // its buffer and descriptor must outlive it
  } catch (const std::exception& e) {
    error = path_ + ": " + e.what();
  }
  End(error);
}

}  // namespace boundless
