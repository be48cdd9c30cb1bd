// Device buffers kept from call to call: each slot grows to the next power of
// two when a call needs more and is never freed per call (cudaMalloc + cudaFree
// cost 65–73 µs a pair on an H200, more than a small kernel). One arena per
// kernel family; callers hold its mutex for the whole call.
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

#include "runtime/traffic.cuh"

namespace boundless_cuda {

inline std::string Describe(const char* step, cudaError_t status) {
  return std::string(step) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
}

// cudaMalloc of `count` T (at least one, so a zero-size state still gets a pointer); false when it fails.
template <class T>
bool Allocate(T*& at, size_t count) {
  return cudaMalloc(&at, (count > 0 ? count : 1) * sizeof(T)) == cudaSuccess;
}

// Frees device buffers and nulls them (a state's partial allocations, before OutOfMemory measures what is free).
template <class... T>
void FreeAll(T*&... buffers) {
  ((buffers ? static_cast<void>(cudaFree(buffers)) : static_cast<void>(0)), ...);
  ((buffers = nullptr), ...);
}

// "out of device memory: <what> needs <bytes> bytes; the device has <free> free of <total>", clearing
// the failed allocation's error so the device stays usable.
inline std::string OutOfMemory(const std::string& what, size_t bytes) {
  cudaGetLastError();
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  return "out of device memory: " + what + " needs " + std::to_string(bytes) + " bytes; the device has " + std::to_string(free_bytes) +
         " free of " + std::to_string(total_bytes);
}

// A device buffer of a state's own, grown to hold `count` T (to a power of two, at least 256) once the
// work on `stream` that reads it has run; "" or why not (the sizes, for an out-of-memory decline).
template <class T>
std::string GrowBuffer(cudaStream_t stream, T*& buffer, size_t& capacity, size_t count, const std::string& what) {
  if (count <= capacity) return "";
  const cudaError_t synced = CountedStreamSynchronize(stream);
  if (synced != cudaSuccess) return Describe("cudaStreamSynchronize", synced);
  cudaFree(buffer);
  buffer = nullptr;
  capacity = 0;
  size_t size = 256;
  while (size < count) size *= 2;
  if (!Allocate(buffer, size)) return OutOfMemory(what, size * sizeof(T));
  capacity = size;
  return "";
}

// The device every kernel runs on (selectDevice; BOUNDLESS_CUDA_DEVICE), an index among the
// devices CUDA_VISIBLE_DEVICES leaves visible.
inline std::atomic<int>& SelectedDevice() {
  static std::atomic<int> device{0};
  return device;
}

template <size_t kSlots>
struct DeviceArena {
  std::mutex mutex;
  std::array<void*, kSlots> buffer{};
  std::array<size_t, kSlots> capacity{};
  int device = -1;  // where the buffers live

  // Makes the selected device current on this (libuv) thread, dropping buffers of another device.
  std::string UseSelectedDevice() {
    const int selected = SelectedDevice().load();
    cudaError_t status = cudaSetDevice(selected);
    if (status != cudaSuccess) return Describe("cudaSetDevice", status);
    if (device != selected) {
      if (device >= 0 && cudaSetDevice(device) == cudaSuccess) {
        for (void*& held : buffer) if (held != nullptr) cudaFree(held);
        cudaSetDevice(selected);
      }
      buffer.fill(nullptr);
      capacity.fill(0);
      device = selected;
    }
    return "";
  }

  // Slot `slot` holds at least `bytes`; "" or why not ("out of device memory: …" with the sizes).
  std::string Reserve(size_t slot, size_t bytes, const char* what) {
    if (capacity[slot] >= bytes) return "";
    size_t size = 256;
    while (size < bytes) size *= 2;
    if (buffer[slot] != nullptr) cudaFree(buffer[slot]);
    buffer[slot] = nullptr;
    capacity[slot] = 0;
    cudaError_t status = cudaMalloc(&buffer[slot], size);
    if (status == cudaErrorMemoryAllocation && size > bytes) {
      cudaGetLastError();
      size = bytes;  // the doubled size did not fit; the call's own might
      status = cudaMalloc(&buffer[slot], size);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it: the device stays usable
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      return "out of device memory: the " + std::string(what) + " needs " + std::to_string(bytes) + " bytes; the device has " +
             std::to_string(free_bytes) + " free of " + std::to_string(total_bytes);
    }
    if (status != cudaSuccess) return Describe("cudaMalloc", status);
    capacity[slot] = size;
    return "";
  }

  template <class T>
  T* As(size_t slot) const { return static_cast<T*>(buffer[slot]); }
};

}  // namespace boundless_cuda
