// What the cuda backend moves and waits for, counted where it happens, as
// webgpu's TrafficQueue counts its own (lib/backends/device-traffic.ts): kernel
// launches, bytes copied to and from the device, waits for the device
// (synchronizations), and read-backs — the waits that bring device memory to the
// host. Every cuda source copies, synchronizes and launches through these, so
// "nothing is read back per batch" is a number (trafficCounts(), train()'s
// metrics.device) rather than a claim. The counts are the process's: one CUDA
// addon serves every cuda backend object.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace boundless_cuda {

struct TrafficCounts {
  std::atomic<uint64_t> launches{0}, bytes_to_device{0}, bytes_from_device{0}, synchronizations{0}, read_backs{0};
};

inline TrafficCounts& Traffic() {
  static TrafficCounts counts;
  return counts;
}

// Device→host copies this thread has enqueued that no synchronization has waited for yet: the
// wait that completes them is a read-back (a binding's work runs on one libuv thread from copy to wait).
inline bool& PendingReadBack() {
  thread_local bool pending = false;
  return pending;
}

inline void CountLaunch() { Traffic().launches++; }

inline void CountCopy(size_t bytes, cudaMemcpyKind kind) {
  if (kind == cudaMemcpyHostToDevice) Traffic().bytes_to_device += bytes;
  if (kind == cudaMemcpyDeviceToHost) {
    Traffic().bytes_from_device += bytes;
    PendingReadBack() = true;
  }
}

inline void CountWait() {
  Traffic().synchronizations++;
  if (PendingReadBack()) {
    Traffic().read_backs++;
    PendingReadBack() = false;
  }
}

inline cudaError_t CountedMemcpyAsync(void* to, const void* from, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  CountCopy(bytes, kind);
  return cudaMemcpyAsync(to, from, bytes, kind, stream);
}

// A synchronous copy; one to the host is a wait of its own.
inline cudaError_t CountedMemcpy(void* to, const void* from, size_t bytes, cudaMemcpyKind kind) {
  CountCopy(bytes, kind);
  const cudaError_t status = cudaMemcpy(to, from, bytes, kind);
  if (kind == cudaMemcpyDeviceToHost) CountWait();
  return status;
}

inline cudaError_t CountedStreamSynchronize(cudaStream_t stream) {
  CountWait();
  return cudaStreamSynchronize(stream);
}

inline cudaError_t CountedEventSynchronize(cudaEvent_t event) {
  CountWait();
  return cudaEventSynchronize(event);
}

inline cudaError_t CountedDeviceSynchronize() {
  CountWait();
  return cudaDeviceSynchronize();
}

}  // namespace boundless_cuda
