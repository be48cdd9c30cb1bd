// A std::vector whose resize leaves new elements uninitialized (default-initialized) instead of
// zeroing them.
//
// Why: a staging buffer sized for the worst case (the parallel parser's non-zeros bound is twice
// what libsvm text usually holds) was zeroed in full by resize, and zeroing touches every page:
// on a VM where a page fault is expensive (nested paging), those first touches were as long as
// the parse they staged. Untouched, a page is faulted in only when a record is written to it.
#pragma once

#include <memory>
#include <vector>

namespace boundless {

template <class T, class Base = std::allocator<T>>
struct DefaultInitAllocator : Base {
  using Base::Base;
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U, typename std::allocator_traits<Base>::template rebind_alloc<U>>;
  };
  // `new (p) U` default-initializes: for arithmetic types, nothing is written.
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<Base>::construct(static_cast<Base&>(*this), p, std::forward<Args>(args)...);
  }
};

template <class T>
using UninitializedVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace boundless
