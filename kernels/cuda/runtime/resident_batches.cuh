// Batches kept on the device across epochs: the device half of the epoch
// cache (lib/train/epoch-cache.ts, lib/data/kept-batches.ts). A batch the cache
// keeps never changes while it lives and carries an id no other batch ever
// gets; the first upload of each of its arrays (PinnedUpload, in the epoch
// after the one that recorded it) is also copied into a device buffer of its
// own, and later uploads of that array find it here and send nothing. Kept
// arrays are keyed by (batch id, host address, bytes): the address tells a
// batch's arrays apart, the id makes the key unique for the life of the
// process, so memory the host reuses after a cache is released never finds
// another batch's copy.
//
// Memory: the device copies mirror the host cache's arrays, so they are
// bounded by its budget (epochCacheBytes); they are freed when the cache is
// released (residentRelease, from the cache's release). An allocation that
// fails is not an error: that array is uploaded every epoch, as without the
// cache, and counted (declined).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "runtime/traffic.cuh"

namespace boundless_cuda {

struct ResidentStats {
  size_t arrays = 0, bytes = 0;  // held now
  uint64_t hits = 0, bytes_not_sent = 0, declined = 0;  // since the process started
};

class ResidentBatches {
 public:
  static ResidentBatches& Shared() {
    static ResidentBatches store;
    return store;
  }

  // The device copy of a kept array, made ready for `stream`; null when there is none.
  const char* Find(uint64_t batch, const void* host, size_t bytes, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = entries_.find(Key{batch, reinterpret_cast<uintptr_t>(host), bytes, CurrentDevice()});
    if (found == entries_.end()) return nullptr;
    // The copy was made on another state's stream: this one waits for it (long done by now).
    if (found->second.ready && cudaStreamWaitEvent(stream, found->second.ready, 0) != cudaSuccess) return nullptr;
    stats_.hits++;
    stats_.bytes_not_sent += (bytes + 7) / 8 * 8;  // as PinnedUpload would have sent it: each part at an 8-byte boundary
    return found->second.device;
  }

  // Keeps a copy of `bytes` at `device_source` (the array just uploaded), enqueued on `stream`.
  void Keep(uint64_t batch, const void* host, size_t bytes, const char* device_source, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Key key{batch, reinterpret_cast<uintptr_t>(host), bytes, CurrentDevice()};
    if (entries_.count(key)) return;
    Entry entry;
    if (cudaMalloc(reinterpret_cast<void**>(&entry.device), bytes > 0 ? bytes : 1) != cudaSuccess) {
      cudaGetLastError();  // clear it: the device stays usable, and the array is uploaded every epoch
      stats_.declined++;
      return;
    }
    cudaError_t status = cudaMemcpyAsync(entry.device, device_source, bytes, cudaMemcpyDeviceToDevice, stream);
    if (status == cudaSuccess) status = cudaEventCreateWithFlags(&entry.ready, cudaEventDisableTiming);
    if (status == cudaSuccess) status = cudaEventRecord(entry.ready, stream);
    if (status != cudaSuccess) {
      cudaGetLastError();
      if (entry.ready) cudaEventDestroy(entry.ready);
      cudaFree(entry.device);
      stats_.declined++;
      return;
    }
    entry.bytes = bytes;
    stats_.arrays++;
    stats_.bytes += bytes;
    entries_.emplace(key, entry);
  }

  // Frees the copies of batches first..last (an epoch cache's ids), on every device.
  void Release(uint64_t first, uint64_t last) {
    std::lock_guard<std::mutex> lock(mutex_);
    int current = 0;
    cudaGetDevice(&current);
    for (auto it = entries_.lower_bound(Key{first, 0, 0, -1}); it != entries_.end() && it->first.batch <= last;) {
      cudaSetDevice(it->first.device);
      // The copy and every kernel that read it were enqueued before the cache let go of the batch;
      // cudaFree waits for the device's work to finish before it frees.
      if (it->second.ready) cudaEventDestroy(it->second.ready);
      cudaFree(it->second.device);
      stats_.arrays--;
      stats_.bytes -= it->second.bytes;
      it = entries_.erase(it);
    }
    cudaSetDevice(current);
  }

  ResidentStats Stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  struct Key {
    uint64_t batch;
    uintptr_t host;
    size_t bytes;
    int device;
    bool operator<(const Key& other) const {
      return std::tie(batch, host, bytes, device) < std::tie(other.batch, other.host, other.bytes, other.device);
    }
  };
  struct Entry {
    char* device = nullptr;
    size_t bytes = 0;
    cudaEvent_t ready = nullptr;
  };

  static int CurrentDevice() {
    int device = 0;
    cudaGetDevice(&device);
    return device;
  }

  std::mutex mutex_;
  std::map<Key, Entry> entries_;
  ResidentStats stats_;
};

}  // namespace boundless_cuda
