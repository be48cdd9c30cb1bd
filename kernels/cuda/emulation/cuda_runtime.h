// The CUDA runtime and device built-ins, emulated on the CPU: the same .cu
// sources compile with g++ against this header (scripts/build-cuda-emulation.mjs
// builds build-cuda-emulation/boundless_cuda.node from them) so that the cuda
// backend's kernels, bindings and TypeScript run in CI, on machines without a
// GPU, in the tests that run on every GPU backend.
//
// What it models: device memory (a budget, BOUNDLESS_CUDA_EMULATION_MEMORY
// bytes, default 1 GiB, so out-of-memory paths run too), copies whose
// direction is checked against which side owns each pointer, launch limits
// (threads per block, grid size), pointer kernel arguments that must be device
// memory, and blocks whose threads run as fibers, so __syncthreads and the warp
// shuffles mean what they mean on a GPU. Each launch runs to completion before
// it returns (every stream is synchronous), blocks one after another.
//
// What it cannot show: speed, the GPU memory model (a race that a fiber
// schedule hides), float rounding of the hardware's own math functions (the
// C library's stand in), and out-of-bounds reads inside an allocation. A kernel
// that passes here has correct indexing, reductions and host plumbing; the
// lent GPU still has the last word (npm run test:gpu).
#pragma once

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#define BOUNDLESS_CUDA_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// One copy per OS thread: a block's fibers share it; blocks run one after another.
#define __shared__ static thread_local

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevice = 101,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorEmulationSetting = 999,  // the emulation's own: a bad BOUNDLESS_CUDA_EMULATION_MEMORY
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct CUstream_st {};
using cudaStream_t = CUstream_st*;
constexpr unsigned cudaStreamNonBlocking = 1;
struct CUevent_st {};
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaEventDisableTiming = 2;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
  int multiProcessorCount;
};

namespace boundless_cuda_emulation {

inline cudaError_t& LastError() {
  static thread_local cudaError_t error = cudaSuccess;
  return error;
}

inline cudaError_t Fail(cudaError_t error) {
  LastError() = error;
  return error;
}

// Device memory: every allocation by its start, and the bytes in use against the budget.
struct Memory {
  std::mutex mutex;
  std::map<const char*, size_t> blocks;
  size_t used = 0;
  size_t budget;
  bool bad_setting = false;  // BOUNDLESS_CUDA_EMULATION_MEMORY is not a whole number of bytes
  Memory() {
    const char* set = std::getenv("BOUNDLESS_CUDA_EMULATION_MEMORY");
    budget = size_t{1} << 30;
    if (set == nullptr || *set == '\0') return;
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(set, &end, 10);
    bad_setting = *set < '0' || *set > '9' || *end != '\0' || errno == ERANGE;
    if (!bad_setting) budget = value;
  }
  // Whether [p, p + bytes) lies inside one allocation.
  bool Holds(const void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    const char* at = static_cast<const char*>(p);
    auto it = blocks.upper_bound(at);
    if (it == blocks.begin()) return false;
    --it;
    return at >= it->first && at + bytes <= it->first + it->second;
  }
};

inline Memory& DeviceMemory() {
  static Memory memory;
  return memory;
}

// The thread a fiber stands for, and its block's shared state while the block runs
// (fibers.cc runs them).
struct Fiber {
  void* stack_pointer = nullptr;  // where the fiber resumes
  bool done = false;
  uint3 thread{};
};

struct BlockRun {
  void* scheduler = nullptr;  // the scheduler's saved stack pointer
  std::vector<Fiber> fibers;
  std::vector<std::unique_ptr<char[]>> stacks;
  std::vector<uint64_t> exchange;  // one slot per thread for the warp shuffles
  size_t current = 0;
  uint3 block{};
  dim3 grid, dims;
  const std::function<void()>* body = nullptr;
};

// The block running on this OS thread (null outside a launch).
inline thread_local BlockRun* running = nullptr;
inline BlockRun*& Running() { return running; }

// Hands control back to the block's scheduler until every live thread of the block has arrived.
void Barrier();

// Runs every block of the grid, one after another, each block's threads as fibers interleaved at barriers.
void RunGrid(dim3 grid, dim3 dims, const std::function<void()>& body);

inline const BlockRun& Now() { return *Running(); }
inline const uint3& ThreadIndex() {
  const BlockRun& run = Now();
  return run.fibers[run.current].thread;
}

// A kernel's pointer arguments must point into device memory (or be null), as on a GPU.
template <class T>
bool DeviceArgument(const T& value) {
  if constexpr (std::is_pointer_v<T>) {
    return value == nullptr || DeviceMemory().Holds(value, 1);
  } else {
    return true;
  }
}

template <class... Params>
struct Launcher {
  void (*kernel)(Params...);
  dim3 grid, block;
  template <class... Args>
  void operator()(Args&&... args) const {
    const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
    if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu ||
        grid.y > 65535 || grid.z > 65535) {
      Fail(cudaErrorInvalidConfiguration);
      return;
    }
    const std::tuple<Params...> bound(std::forward<Args>(args)...);
    bool device = true;
    std::apply([&](const auto&... value) { device = (DeviceArgument(value) && ...); }, bound);
    if (!device) {
      Fail(cudaErrorIllegalAddress);
      return;
    }
    const std::function<void()> body = [&] { std::apply(kernel, bound); };
    RunGrid(grid, block, body);
  }
};

template <class... Params>
Launcher<Params...> Launch(void (*kernel)(Params...), dim3 grid, dim3 block) {
  return Launcher<Params...>{kernel, grid, block};
}

template <class T>
T Shuffle(T value, unsigned lane_from) {
  BlockRun* run = Running();
  static_assert(sizeof(T) <= sizeof(uint64_t), "a shuffled value fits in 64 bits");
  uint64_t slot = 0;
  std::memcpy(&slot, &value, sizeof(T));
  run->exchange[run->current] = slot;
  Barrier();
  const size_t warp_base = run->current / 32 * 32;
  const size_t from = warp_base + lane_from;
  T result = value;
  if (lane_from < 32 && from < run->fibers.size()) std::memcpy(&result, &run->exchange[from], sizeof(T));
  Barrier();  // every lane has read before any writes its next value
  return result;
}

}  // namespace boundless_cuda_emulation

// A launch is ::boundless_cuda_emulation::Launch(kernel, grid, block)(arguments...): runtime/launch.cuh's
// BOUNDLESS_LAUNCH writes it so.

#define threadIdx (::boundless_cuda_emulation::ThreadIndex())
#define blockIdx (::boundless_cuda_emulation::Now().block)
#define blockDim (::boundless_cuda_emulation::Now().dims)
#define gridDim (::boundless_cuda_emulation::Now().grid)

inline void __syncthreads() { ::boundless_cuda_emulation::Barrier(); }

// Warp shuffles synchronize the whole block here (a superset of the warp): every thread of the
// block must reach them, as they do in the kernels that use them.
template <class T>
T __shfl_down_sync(unsigned, T value, unsigned delta) {
  const unsigned lane = static_cast<unsigned>(::boundless_cuda_emulation::Running()->current % 32);
  return ::boundless_cuda_emulation::Shuffle(value, lane + delta);
}
template <class T>
T __shfl_xor_sync(unsigned, T value, unsigned mask) {
  const unsigned lane = static_cast<unsigned>(::boundless_cuda_emulation::Running()->current % 32);
  return ::boundless_cuda_emulation::Shuffle(value, lane ^ mask);
}

inline unsigned __float_as_uint(float v) {
  unsigned bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline float __uint_as_float(unsigned bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Atomics: fibers switch only at barriers and blocks run one at a time, so a plain
// read-modify-write is atomic among the emulated threads.
template <class T>
T atomicAdd(T* at, T value) {
  const T old = *at;
  *at = old + value;
  return old;
}
template <class T>
T atomicMin(T* at, T value) {
  const T old = *at;
  if (value < old) *at = value;
  return old;
}
template <class T>
T atomicMax(T* at, T value) {
  const T old = *at;
  if (value > old) *at = value;
  return old;
}
template <class T>
T atomicCAS(T* at, T compare, T value) {
  const T old = *at;
  if (old == compare) *at = value;
  return old;
}

inline const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorEmulationSetting: return "cudaErrorEmulationSetting";
  }
  return "cudaErrorUnknown";
}

inline const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered (emulation: a host pointer reached a kernel or copy)";
    case cudaErrorEmulationSetting: return "BOUNDLESS_CUDA_EMULATION_MEMORY must be a whole number of bytes, such as 1048576";
  }
  return "unknown error";
}

inline cudaError_t cudaGetLastError() {
  const cudaError_t error = ::boundless_cuda_emulation::LastError();
  ::boundless_cuda_emulation::LastError() = cudaSuccess;
  return error;
}
inline cudaError_t cudaPeekAtLastError() { return ::boundless_cuda_emulation::LastError(); }

inline cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
inline cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceCount(int* count) {
  *count = 0;
  if (::boundless_cuda_emulation::DeviceMemory().bad_setting) return cudaErrorEmulationSetting;
  *count = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* props, int device) {
  if (device != 0) return ::boundless_cuda_emulation::Fail(cudaErrorInvalidDevice);
  std::memset(props, 0, sizeof *props);
  std::strncpy(props->name, "CUDA emulated on the CPU (tests only)", sizeof props->name - 1);
  props->totalGlobalMem = ::boundless_cuda_emulation::DeviceMemory().budget;
  props->multiProcessorCount = 1;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int device) {
  return device == 0 ? cudaSuccess : ::boundless_cuda_emulation::Fail(cudaErrorInvalidDevice);
}
inline cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}

inline cudaError_t cudaMalloc(void** at, size_t bytes) {
  auto& memory = ::boundless_cuda_emulation::DeviceMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  *at = nullptr;
  if (bytes == 0) bytes = 1;
  if (memory.used + bytes > memory.budget) return ::boundless_cuda_emulation::Fail(cudaErrorMemoryAllocation);
  char* block = static_cast<char*>(std::malloc(bytes));
  if (block == nullptr) return ::boundless_cuda_emulation::Fail(cudaErrorMemoryAllocation);
  std::memset(block, 0xa5, bytes);  // device memory starts as garbage, not zeros
  memory.blocks[block] = bytes;
  memory.used += bytes;
  *at = block;
  return cudaSuccess;
}
template <class T>
cudaError_t cudaMalloc(T** at, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(at), bytes);
}

inline cudaError_t cudaFree(void* at) {
  if (at == nullptr) return cudaSuccess;
  auto& memory = ::boundless_cuda_emulation::DeviceMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  auto it = memory.blocks.find(static_cast<const char*>(at));
  if (it == memory.blocks.end()) return ::boundless_cuda_emulation::Fail(cudaErrorInvalidValue);
  memory.used -= it->second;
  memory.blocks.erase(it);
  std::free(at);
  return cudaSuccess;
}

inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  auto& memory = ::boundless_cuda_emulation::DeviceMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  *free_bytes = memory.budget - memory.used;
  *total_bytes = memory.budget;
  return cudaSuccess;
}

inline cudaError_t cudaMemcpy(void* to, const void* from, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  auto& memory = ::boundless_cuda_emulation::DeviceMemory();
  const bool to_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool from_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (memory.Holds(to, bytes) != to_device || memory.Holds(from, bytes) != from_device) {
    return ::boundless_cuda_emulation::Fail(cudaErrorInvalidValue);
  }
  std::memcpy(to, from, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* to, const void* from, size_t bytes, cudaMemcpyKind kind, cudaStream_t = nullptr) {
  return cudaMemcpy(to, from, bytes, kind);
}
inline cudaError_t cudaMemset(void* to, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!::boundless_cuda_emulation::DeviceMemory().Holds(to, bytes)) return ::boundless_cuda_emulation::Fail(cudaErrorInvalidValue);
  std::memset(to, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* to, int value, size_t bytes, cudaStream_t = nullptr) { return cudaMemset(to, value, bytes); }

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new CUstream_st;
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

// Page-locked host memory: host memory to the copy checks (copies from it go host → device).
inline cudaError_t cudaMallocHost(void** at, size_t bytes) {
  *at = std::malloc(bytes > 0 ? bytes : 1);
  return *at ? cudaSuccess : ::boundless_cuda_emulation::Fail(cudaErrorMemoryAllocation);
}
template <class T>
cudaError_t cudaMallocHost(T** at, size_t bytes) {
  return cudaMallocHost(reinterpret_cast<void**>(at), bytes);
}
inline cudaError_t cudaFreeHost(void* at) {
  std::free(at);
  return cudaSuccess;
}

// Events: the work before them has always ended (launches and copies finish before they return).
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) {
  *event = new CUevent_st;
  return cudaSuccess;
}
inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t = nullptr) { return cudaSuccess; }
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaEventQuery(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned = 0) { return cudaSuccess; }
inline cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
