// A byte range of a file for a parser to read: mapped read-only, so it is read in place with no
// copy out of the page cache (a 4 MB pread copied for 0.4–1.3 ms on this project's 2-core VM,
// CPU a parse at two threads shares with the parse itself). Where the file cannot be mapped (a
// file system without mmap) or its size cannot be trusted, the range is read into a buffer.
//
// A mapped file that another process truncates raises SIGBUS where its pages are read, which
// would kill the process. While a FileWindow lives, a SIGBUS inside it is caught instead: the
// page is replaced by one of zeros, the read goes on, and truncated() tells the owner, which must
// then not use what it read (the parser's wave is dropped and reported as an error). A SIGBUS
// anywhere else goes to the handler that was there before, or kills the process as it would have.
// (The JVM's MappedByteBuffer does the same, raising an InternalError.)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace boundless {

class FileWindow {
 public:
  // Bytes [offset, offset + length) of the open file `fd` (length > 0): mapped with its pages
  // populated ahead, or, with `map` false or where mmap fails, read. Read, the window holds the
  // bytes up to the end of the file (length() may be less, 0 at the end). Throws
  // std::runtime_error with the system's reason when reading fails.
  FileWindow(int fd, uint64_t offset, size_t length, bool map);
  ~FileWindow();
  FileWindow(const FileWindow&) = delete;
  FileWindow& operator=(const FileWindow&) = delete;

  const char* data() const { return data_; }
  size_t length() const { return length_; }
  bool mapped() const { return base_ != nullptr; }
  // Whether a mapped page of the window was gone (the file truncated) when it was read: its bytes read as zeros.
  bool truncated() const { return truncated_.load(std::memory_order_acquire); }

 private:
  bool Map(int fd, uint64_t offset, size_t length);
  void Read(int fd, uint64_t offset, size_t length);

  void* base_ = nullptr;  // page-aligned start of the mapping; null when read
  size_t mapped_ = 0;     // bytes mapped from base_
  std::vector<char> copy_;  // the bytes, when read
  const char* data_ = nullptr;
  size_t length_ = 0;
  size_t slot_ = 0;       // its place among the guarded ranges
  std::atomic<bool> truncated_{false};
};

}  // namespace boundless
