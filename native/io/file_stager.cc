#include "io/file_stager.h"

#include <fcntl.h>
#include <sys/stat.h>
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

uint64_t FileSize(int fd) {
  struct stat status;
  if (fstat(fd, &status) != 0) throw std::runtime_error(std::strerror(errno));
  return static_cast<uint64_t>(status.st_size);
}

}  // namespace

FileStager::FileStager(ParallelTextParser& parser, const BatchTarget& shape, std::string path, uint64_t from, uint64_t to)
    : parser_(parser), shape_(shape), path_(std::move(path)), from_(from), to_(to), thread_([this] { Run(); }) {}

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

// The next window of the file from `at`: at most a wave's bytes, up to `to` or the file's end
// (its size now); null at the end. A file whose size says it ends before the bytes already read
// (a /proc file says 0) is read, not mapped, until a read finds its end.
std::unique_ptr<FileWindow> FileStager::Window(int fd, uint64_t at) const {
  const uint64_t size = FileSize(fd);
  const bool sized = size >= from_;
  const uint64_t end = std::min(to_, sized ? size : UINT64_MAX);
  if (at >= end) return nullptr;
  auto window = std::make_unique<FileWindow>(fd, at, static_cast<size_t>(std::min<uint64_t>(ParallelTextParser::kWaveBytes, end - at)), sized);
  return window->length() > 0 ? std::move(window) : nullptr;
}

void FileStager::Run() {
  std::string error;
  try {
    FileDescriptor file(path_);
    // Each window is mapped and its pages populated (on a thread of its own, outside the
    // budget, as Node's reads were) while the one before is parsed.
    auto map = [&](uint64_t at) { return std::async(std::launch::async, [this, &file, at] { return Window(file.get(), at); }); };
    uint64_t position = from_;
    auto pending = map(position);
    while (!cancelled_.load()) {
      std::unique_ptr<FileWindow> window = pending.get();
      if (!window) break;
      const size_t length = window->length();
      pending = map(position + length);
      ParallelTextParser::Wave* wave = parser_.ReserveWaiting(cancelled_);
      if (!wave) break;
      size_t consumed;
      {
        TokenScope token(false);
        consumed = parser_.Stage(*wave, window->data(), length, shape_, false);
      }
      // Cut inside the window's last page, the bytes past the end read as zeros without a signal.
      const bool truncated = window->mapped() && (window->truncated() || FileSize(file.get()) < position + length);
      ParallelTextParser::Publish(*wave, truncated ? "byte " + std::to_string(position) +
          ": the file was truncated (by another process?) while it was read: nothing from here on is read" : "");
      position += consumed;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        bytes_ += consumed;
        changed_.notify_all();
      }
      // Its error waits for the hand-over (a record longer than allowed takes no bytes); nothing
      // after it is read.
      if (truncated || ParallelTextParser::Failed(*wave)) break;
      if (consumed == 0) throw std::runtime_error("the parser took none of " + std::to_string(length) + " bytes (a bug): please report it");
      if (consumed < length) {
        // A wave's worth taken (dense rows past kDenseStagingBytes): the rest is mapped again.
        pending.wait();
        pending = map(position);
      }
    }
    if (pending.valid()) pending.wait();  // the descriptor must outlive it
  } catch (const std::exception& e) {
    error = path_ + ": " + e.what();
  }
  End(error);
}

}  // namespace boundless
