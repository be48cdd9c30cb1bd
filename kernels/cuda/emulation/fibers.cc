// The emulated GPU threads of a block (cuda_runtime.h): one fiber per thread,
// each on its own small stack, switched at barriers. On x86-64 a switch saves
// and restores the six registers the SysV ABI says a call preserves: ucontext's
// swapcontext also makes two signal-mask system calls per switch, and
// restoring MXCSR and the x87 control word (which no kernel changes: they keep
// the process's round-to-nearest) stalls the pipeline; with them a 4.5M-thread
// launch took minutes. Elsewhere ucontext does the switching.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace boundless_cuda_emulation {
namespace {

constexpr size_t kFiberStack = 64 * 1024;

#if defined(__x86_64__)
extern "C" void boundless_emulation_switch(void** save, void* load);
extern "C" void boundless_emulation_start();

// Saves the callee-saved state on the current stack, stores its pointer in *save, and resumes the
// stack at `load` (one this function saved, or a new fiber's, laid out by Prepare).
asm(R"(
  .text
  .p2align 4
  .globl boundless_emulation_switch
  .hidden boundless_emulation_switch
  .type boundless_emulation_switch, @function
boundless_emulation_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size boundless_emulation_switch, .-boundless_emulation_switch
)");

// A new fiber's stack, as if it had switched away just before entering boundless_emulation_start:
// six zeroed registers, then the entry as the return address, 16-byte aligned so the entry sees
// the stack a call would give it.
// Stack tops are staggered by 192 bytes a fiber: tops at one offset in every 64 KiB would all map
// to the same cache sets, and each switch would evict the last fiber's frame.
void* Prepare(char* stack, size_t fiber) {
  auto top = (reinterpret_cast<uintptr_t>(stack) + kFiberStack - 192 * (fiber % 61)) & ~uintptr_t{15};
  auto* words = reinterpret_cast<uint64_t*>(top - 64);
  for (int i = 0; i < 6; i++) words[i] = 0;
  words[6] = reinterpret_cast<uint64_t>(&boundless_emulation_start);
  return words;
}

void SwitchTo(void** save, void* load) { boundless_emulation_switch(save, load); }
#else
struct Contexts {
  std::vector<ucontext_t> fibers;
  ucontext_t scheduler;
};
thread_local Contexts contexts;
#endif

}  // namespace

namespace {

[[noreturn]] void FiberMain() {
  BlockRun* run = Running();
  (*run->body)();
  run->fibers[run->current].done = true;
#if defined(__x86_64__)
  void* discarded;
  SwitchTo(&discarded, run->scheduler);
#else
  setcontext(&contexts.scheduler);
#endif
  std::abort();  // a finished fiber is never resumed
}

}  // namespace

#if defined(__x86_64__)
extern "C" void boundless_emulation_start() { FiberMain(); }
#endif

void Barrier() {
  BlockRun* run = Running();
#if defined(__x86_64__)
  SwitchTo(&run->fibers[run->current].stack_pointer, run->scheduler);
#else
  swapcontext(&contexts.fibers[run->current], &contexts.scheduler);
#endif
}

void RunGrid(dim3 grid, dim3 dims, const std::function<void()>& body) {
  static thread_local BlockRun run;
  const size_t threads = static_cast<size_t>(dims.x) * dims.y * dims.z;
  while (run.stacks.size() < threads) run.stacks.emplace_back(new char[kFiberStack]);
  run.fibers.assign(threads, Fiber{});
  run.exchange.assign(threads, 0);
  run.grid = grid;
  run.dims = dims;
  run.body = &body;
  BlockRun* outer = Running();
  Running() = &run;
#if !defined(__x86_64__)
  contexts.fibers.resize(threads);
#endif
  for (unsigned bz = 0; bz < grid.z; bz++) for (unsigned by = 0; by < grid.y; by++) for (unsigned bx = 0; bx < grid.x; bx++) {
    run.block = {bx, by, bz};
    for (size_t t = 0; t < threads; t++) {
      Fiber& f = run.fibers[t];
      f.done = false;
      f.thread = {static_cast<unsigned>(t % dims.x), static_cast<unsigned>(t / dims.x % dims.y),
                  static_cast<unsigned>(t / (static_cast<size_t>(dims.x) * dims.y))};
#if defined(__x86_64__)
      f.stack_pointer = Prepare(run.stacks[t].get(), t);
#else
      ucontext_t& c = contexts.fibers[t];
      getcontext(&c);
      c.uc_stack.ss_sp = run.stacks[t].get();
      c.uc_stack.ss_size = kFiberStack;
      c.uc_link = nullptr;
      makecontext(&c, reinterpret_cast<void (*)()>(FiberMain), 0);
#endif
    }
    // Each pass runs every live thread to its next barrier (or its end): a barrier is passed once
    // all live threads have reached it, as __syncthreads is.
    for (bool live = true; live;) {
      live = false;
      for (size_t t = 0; t < threads; t++) {
        if (run.fibers[t].done) continue;
        run.current = t;
#if defined(__x86_64__)
        SwitchTo(&run.scheduler, run.fibers[t].stack_pointer);
#else
        swapcontext(&contexts.scheduler, &contexts.fibers[t]);
#endif
        live = live || !run.fibers[t].done;
      }
    }
  }
  Running() = outer;
}

}  // namespace boundless_cuda_emulation
