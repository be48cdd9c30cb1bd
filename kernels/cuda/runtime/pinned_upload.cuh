// A call's host arrays packed into one page-locked buffer and sent to the
// device in one asynchronous copy: a batch crosses once, in one transfer at the
// DMA engine's speed (50–55 GB/s measured on the H200 from page-locked memory,
// 9–13 GB/s from pageable), and the call returns once the copy is enqueued — not
// after each pageable array has been staged, as separate cudaMemcpyAsync calls
// from pageable memory do. Both buffers are kept from call to call and grown to
// the largest; the page-locked one is rewritten only once the copy out of it has
// finished (an event), which by the next batch it almost always has.
//
// A batch the epoch cache keeps (`kept`, its id; 0 for any other) crosses once
// per run instead: the parts that are its arrays (`batch`) are looked up among
// the kept copies (resident_batches.cuh) and not sent when found, and copied
// there on the device when they are sent.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/device_arena.cuh"
#include "runtime/resident_batches.cuh"
#include "runtime/traffic.cuh"

namespace boundless_cuda {

struct UploadPart {
  const void* data;  // null: `bytes` of zeros
  size_t bytes;
  bool batch = false;  // an array of the batch (kept on the device with it), not the call's own data
};

class PinnedUpload {
 public:
  // Packs `parts` (each at an 8-byte boundary) and enqueues their copy on `stream`; where[i] is part i on
  // the device (in device(), or a kept batch's copy); "" or why not (an out-of-memory decline names `what`).
  // `kept`: the id of a batch the epoch cache keeps, whose `batch` parts cross once and stay (0: none).
  std::string Send(cudaStream_t stream, const std::vector<UploadPart>& parts, std::vector<const char*>& where, const std::string& what,
                   uint64_t kept = 0) {
    where.assign(parts.size(), nullptr);
    std::vector<size_t> offsets(parts.size(), 0);
    const auto keeps = [&](size_t i) { return kept != 0 && parts[i].batch && parts[i].data != nullptr; };
    size_t total = 0;
    for (size_t i = 0; i < parts.size(); i++) {
      if (keeps(i)) where[i] = ResidentBatches::Shared().Find(kept, parts[i].data, parts[i].bytes, stream);
      if (where[i]) continue;
      offsets[i] = total;
      total += (parts[i].bytes + 7) / 8 * 8;
    }
    if (pending_) {
      // Usually done by now: a wait (counted) only when it is not.
      cudaError_t status = cudaEventQuery(sent_);
      if (status == cudaErrorNotReady) status = CountedEventSynchronize(sent_);
      if (status != cudaSuccess) return Describe("cudaEventSynchronize", status);
      pending_ = false;
    }
    if (total == 0) return "";  // every part was on the device already
    std::string error = GrowHost(total, what);
    if (error.empty()) error = GrowBuffer(stream, device_, device_capacity_, total, what);
    if (!error.empty()) return error;
    for (size_t i = 0; i < parts.size(); i++) {
      if (where[i]) continue;
      if (parts[i].data) std::memcpy(host_ + offsets[i], parts[i].data, parts[i].bytes);
      else std::memset(host_ + offsets[i], 0, parts[i].bytes);
    }
    cudaError_t status = CountedMemcpyAsync(device_, host_, total, cudaMemcpyHostToDevice, stream);
    if (status == cudaSuccess && !sent_) status = cudaEventCreateWithFlags(&sent_, cudaEventDisableTiming);
    if (status == cudaSuccess) status = cudaEventRecord(sent_, stream);
    if (status != cudaSuccess) return Describe("cudaMemcpyAsync", status);
    pending_ = true;
    for (size_t i = 0; i < parts.size(); i++) {
      if (where[i]) continue;
      where[i] = device_ + offsets[i];
      if (keeps(i)) ResidentBatches::Shared().Keep(kept, parts[i].data, parts[i].bytes, where[i], stream);
    }
    return "";
  }

  char* device() const { return device_; }

  // Frees both buffers; the caller has synchronized the stream.
  void Free() {
    if (host_) cudaFreeHost(host_);
    if (device_) cudaFree(device_);
    if (sent_) cudaEventDestroy(sent_);
    host_ = device_ = nullptr;
    host_capacity_ = device_capacity_ = 0;
    sent_ = nullptr;
    pending_ = false;
  }

 private:
  std::string GrowHost(size_t bytes, const std::string& what) {
    if (bytes <= host_capacity_) return "";
    if (host_) cudaFreeHost(host_);
    host_ = nullptr;
    host_capacity_ = 0;
    size_t size = 256;
    while (size < bytes) size *= 2;
    if (cudaMallocHost(reinterpret_cast<void**>(&host_), size) != cudaSuccess) {
      cudaGetLastError();
      return "out of page-locked host memory: " + what + " needs " + std::to_string(size) + " bytes";
    }
    host_capacity_ = size;
    return "";
  }

  char* host_ = nullptr;
  char* device_ = nullptr;
  size_t host_capacity_ = 0, device_capacity_ = 0;
  cudaEvent_t sent_ = nullptr;
  bool pending_ = false;
};

}  // namespace boundless_cuda
