#include "io/file_window.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace boundless {
namespace {

// The ranges the handler answers for: a fixed table read without locks (a signal handler may not
// take one); a slot is claimed and given back under the mutex, its end cleared before its begin
// is, so the handler never sees a range that is half written.
struct GuardedRange {
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<std::atomic<bool>*> truncated{nullptr};
};
constexpr size_t kGuardedRanges = 256;
GuardedRange guarded[kGuardedRanges];
std::mutex slots_mutex;
struct sigaction previous_action;
std::once_flag installed;
uintptr_t page_bytes = 4096;  // set before the handler is installed (sysconf is not for a handler to call)

// Passes a SIGBUS that is not ours on as if we had never been there.
void PassOn(int signal, siginfo_t* info, void* context) {
  if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction) {
    previous_action.sa_sigaction(signal, info, context);
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
  } else {
    // Default (or ignored, which a fault cannot be): restore it and return; the faulting
    // instruction runs again and the signal then does what it always did.
    struct sigaction fallback{};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGBUS, &fallback, nullptr);
  }
}

void OnBusError(int signal, siginfo_t* info, void* context) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardedRange& range : guarded) {
    if (address < range.begin.load(std::memory_order_acquire) || address >= range.end.load(std::memory_order_acquire)) continue;
    std::atomic<bool>* flag = range.truncated.load(std::memory_order_acquire);
    const uintptr_t page = address & ~(page_bytes - 1);
    // A page of zeros in place of the one that is gone (mmap is a plain system call, safe here).
    void* zeros = mmap(reinterpret_cast<void*>(page), static_cast<size_t>(page_bytes), PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros != MAP_FAILED && flag) {
      flag->store(true, std::memory_order_release);
      return;
    }
  }
  PassOn(signal, info, context);
}

void Install() {
  page_bytes = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  struct sigaction action{};
  action.sa_sigaction = OnBusError;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &previous_action) != 0) throw std::runtime_error(std::string("sigaction: ") + std::strerror(errno));
}

}  // namespace

FileWindow::FileWindow(int fd, uint64_t offset, size_t length, bool map) {
  if (!map || !Map(fd, offset, length)) Read(fd, offset, length);
}

bool FileWindow::Map(int fd, uint64_t offset, size_t length) {
  std::call_once(installed, Install);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = offset - offset % page;
  const size_t mapped = static_cast<size_t>(offset - start) + length;
#ifdef MAP_POPULATE
  const int populate = MAP_POPULATE;  // Linux: the page tables filled here, not by a fault per 64 KB in the parse
#else
  const int populate = 0;
#endif
  void* base = mmap(nullptr, mapped, PROT_READ, MAP_PRIVATE | populate, fd, static_cast<off_t>(start));
  if (base == MAP_FAILED) return false;  // a file system without mmap: read instead
  std::lock_guard<std::mutex> lock(slots_mutex);
  for (slot_ = 0; slot_ < kGuardedRanges && guarded[slot_].end.load() != 0; ++slot_) {}
  if (slot_ == kGuardedRanges) {  // more windows at once than the table guards: read instead
    munmap(base, mapped);
    return false;
  }
  base_ = base;
  mapped_ = mapped;
  data_ = static_cast<const char*>(base_) + (offset - start);
  length_ = length;
  GuardedRange& range = guarded[slot_];
  range.truncated.store(&truncated_, std::memory_order_release);
  range.begin.store(reinterpret_cast<uintptr_t>(base_), std::memory_order_release);
  range.end.store(reinterpret_cast<uintptr_t>(base_) + mapped_, std::memory_order_release);
  return true;
}

void FileWindow::Read(int fd, uint64_t offset, size_t length) {
  copy_.resize(length);
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(fd, copy_.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data_ = copy_.data();
  length_ = got;
}

FileWindow::~FileWindow() {
  if (!base_) return;
  {
    std::lock_guard<std::mutex> lock(slots_mutex);
    GuardedRange& range = guarded[slot_];
    range.end.store(0, std::memory_order_release);
    range.begin.store(0, std::memory_order_release);
    range.truncated.store(nullptr, std::memory_order_release);
  }
  munmap(base_, mapped_);
}

}  // namespace boundless
