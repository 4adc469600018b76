#include "fiber_stacks.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace socketserver::detail {

FiberStacks::FiberStacks(std::size_t size, std::size_t cached)
    : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
      size_((size + page_ - 1) / page_ * page_),
      cached_limit_(cached) {
  if (size_ == 0) size_ = page_;
}

FiberStacks::~FiberStacks() {
  for (auto& stack : cache_) unmap(stack);
}

boost::context::stack_context FiberStacks::allocate() {
  {
    std::lock_guard lock(mutex_);
    if (!cache_.empty()) {
      boost::context::stack_context stack = cache_.back();
      cache_.pop_back();
      return stack;
    }
  }
  std::size_t total = size_ + page_;
  // MAP_NORESERVE: a stack costs the pages the fiber touches, not its whole size.
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  if (::mprotect(base, page_, PROT_NONE) != 0) {  // the guard page, below the stack
    ::munmap(base, total);
    throw std::bad_alloc();
  }
  boost::context::stack_context stack;
  stack.size = size_;
  stack.sp = static_cast<char*>(base) + total;  // stacks grow down from the top
  return stack;
}

void FiberStacks::deallocate(boost::context::stack_context& stack) noexcept {
  std::unique_lock lock(mutex_);
  if (cache_.size() < cached_limit_) {
    try {
      cache_.push_back(stack);
      return;
    } catch (...) {  // out of memory: give the stack back instead
    }
  }
  lock.unlock();
  unmap(stack);
}

void FiberStacks::unmap(const boost::context::stack_context& stack) noexcept {
  char* top = static_cast<char*>(stack.sp);
  ::munmap(top - stack.size - page_, stack.size + page_);
}

} // namespace socketserver::detail
