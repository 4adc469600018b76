// Tells AddressSanitizer and ThreadSanitizer about fiber switches. Both track one stack
// per thread; a switch they are not told about looks to them like a wild stack pointer
// (ASan's false stack-buffer-overflow reports) or like one thread running two flows at
// once (TSan's false races). Empty in ordinary builds.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace socketserver::detail {

/// One side of a switch: the stack being left or entered, as the sanitizers see it.
struct SanitizerStack {
  const void* bottom = nullptr;  // lowest address (ASan)
  std::size_t size = 0;
  void* tsan_fiber = nullptr;  // ThreadSanitizer's handle for this flow of control
  void* fake_stack = nullptr;  // ASan's saved fake stack while switched away
};

/// A new fiber's state for the sanitizers (its stack is [@p bottom, @p bottom + @p size)).
inline SanitizerStack sanitizer_new_fiber(const void* bottom, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  // A reused stack (or a new mapping at the address of an old one) still carries the
  // poison of the frames that last lived there; left behind, ASan reports the next
  // fiber's own locals as used after their scope.
  __asan_unpoison_memory_region(bottom, size);
#endif
  SanitizerStack stack;
  stack.bottom = bottom;
  stack.size = size;
#if defined(__SANITIZE_THREAD__)
  stack.tsan_fiber = __tsan_create_fiber(0);
#endif
  return stack;
}

/// The calling thread's own flow (the loop side of a switch).
inline SanitizerStack sanitizer_current() {
  SanitizerStack stack;
#if defined(__SANITIZE_THREAD__)
  stack.tsan_fiber = __tsan_get_current_fiber();
#endif
  return stack;
}

/// Call right before switching from @p from to @p to; @p leaving_for_good when @p from
/// (a fiber's stack) ends with this switch.
inline void sanitizer_before_switch([[maybe_unused]] SanitizerStack& from, [[maybe_unused]] const SanitizerStack& to,
                                    [[maybe_unused]] bool leaving_for_good = false) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(leaving_for_good ? nullptr : &from.fake_stack, to.bottom, to.size);
#endif
#if defined(__SANITIZE_THREAD__)
  // A fiber's last switch is left unannounced: TSan keeps a shadow call stack per flow,
  // and the frames that end the fiber after this point (its function's return, Boost's
  // exit path) would be popped off the loop's. sanitizer_fiber_ended() switches instead,
  // on the loop side, once the fiber is gone.
  if (!leaving_for_good) __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
}

/// Call on the loop side right after a fiber's last switch arrived there: @p loop is the
/// loop side's stack, @p fiber the ended fiber's, whose sanitizer state is released.
inline void sanitizer_fiber_ended([[maybe_unused]] const SanitizerStack& loop, [[maybe_unused]] SanitizerStack& fiber) {
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(loop.tsan_fiber, 0);
  if (fiber.tsan_fiber) __tsan_destroy_fiber(fiber.tsan_fiber);
  fiber.tsan_fiber = nullptr;
#endif
}

/// Call right after a switch has arrived in @p here; records in @p came_from the stack
/// that was left (how a fiber learns its loop's stack).
inline void sanitizer_after_switch([[maybe_unused]] SanitizerStack& here, [[maybe_unused]] SanitizerStack* came_from = nullptr) {
#if defined(__SANITIZE_ADDRESS__)
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(here.fake_stack, &bottom, &size);
  if (came_from) {
    came_from->bottom = bottom;
    came_from->size = size;
  }
#endif
}

} // namespace socketserver::detail
