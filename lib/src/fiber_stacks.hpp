// detail::FiberStacks: guard-paged stacks for fibers, reused when a fiber ends.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include <boost/context/stack_context.hpp>

namespace socketserver::detail {

/// The stacks of one loop's fibers. Each is an anonymous mapping with a PROT_NONE page
/// below it, so a handler that overflows its stack dies with SIGSEGV instead of writing
/// into a neighbour's memory. A finished fiber's stack is kept for the next fiber (up to
/// a bound), so a busy server does not mmap and munmap per connection; pages it touched
/// stay resident, which is the price of reuse.
///
/// Each stack costs two memory mappings (the stack and its guard): the kernel's
/// `vm.max_map_count` (65,530 by default) bounds a process to about 32,000 fibers.
///
/// Thread-safe: in pool mode a fiber may end on another worker than it started on.
class FiberStacks {
public:
  /// Stacks of @p size usable bytes (rounded up to whole pages); at most @p cached kept.
  FiberStacks(std::size_t size, std::size_t cached);
  ~FiberStacks();
  FiberStacks(const FiberStacks&) = delete;
  FiberStacks& operator=(const FiberStacks&) = delete;

  /// A stack: a cached one, or a new mapping (throws std::bad_alloc when the kernel says no).
  boost::context::stack_context allocate();
  /// Takes @p stack back for reuse, or unmaps it when the cache is full.
  void deallocate(boost::context::stack_context& stack) noexcept;

  /// Usable bytes of each stack.
  std::size_t size() const noexcept { return size_; }

private:
  void unmap(const boost::context::stack_context& stack) noexcept;

  std::size_t page_;
  std::size_t size_;
  std::size_t cached_limit_;
  std::mutex mutex_;
  std::vector<boost::context::stack_context> cache_;
};

/// What Boost.Context's fiber needs of a stack allocator, handing out FiberStacks' stacks.
class PooledStack {
public:
  explicit PooledStack(FiberStacks& stacks) noexcept : stacks_(&stacks) {}
  boost::context::stack_context allocate() { return stacks_->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { stacks_->deallocate(stack); }

private:
  FiberStacks* stacks_;
};

} // namespace socketserver::detail
