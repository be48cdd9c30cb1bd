// A thread's own instance of a buffer type, reached through a call that is never inlined.
//
// In a shared object (this addon) a thread_local's address comes from a call of __tls_get_addr,
// and GCC recomputes it at each use rather than keep it in a register, even through a reference
// bound once: the linear learner's sparse steps made thousands of such calls per batch (7% of a
// sparse run). The address this function returns is an ordinary pointer to its callers.
#pragma once

namespace boundless {

// `Tag` tells apart buffers of the same type that must not be shared (two scratch vectors of
// one loop); each (T, Tag) is one instance per thread, made on the thread's first call.
template <class T, class Tag = void>
__attribute__((noinline)) T& ThreadBuffer() {
  thread_local T value;
  return value;
}

}  // namespace boundless
