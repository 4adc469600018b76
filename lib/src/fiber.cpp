#include "fiber.hpp"

#include <utility>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "fiber_loop.hpp"

namespace socketserver::detail {
namespace {

thread_local Fiber* running_fiber = nullptr;

boost::asio::socket_base::wait_type wait_type(Readiness readiness) {
  return readiness == Readiness::readable ? boost::asio::socket_base::wait_read : boost::asio::socket_base::wait_write;
}

[[noreturn]] void throw_stopping() {
  throw boost::system::system_error(boost::asio::error::operation_aborted, "the server is stopping");
}

} // namespace

Fiber::Fiber(FiberLoop& loop) : loop_(loop), timer_(loop.reactor()) { watch_.fiber = this; }

Fiber::~Fiber() = default;

Fiber* Fiber::current() noexcept { return running_fiber; }

void Fiber::start(Request& request, const Body& body) {
  cut_ = loop_.was_cut();
  has_pending_ = false;
  new_request_ = true;
  boost::context::stack_context stack = loop_.stacks().allocate();
  fiber_stack_ = sanitizer_new_fiber(static_cast<char*>(stack.sp) - stack.size, stack.size);
  auto run = [this, &body, request = std::move(request)](boost::context::fiber&& loop_side) mutable {
    loop_side_ = std::move(loop_side);
    sanitizer_after_switch(fiber_stack_, &loop_stack_);
    try {
      Request served = std::move(request);  // closed and released before the fiber ends
      body(served);
    } catch (const boost::context::detail::forced_unwind&) {
      throw;  // Boost.Context unwinding the stack: not ours to stop
    } catch (...) {  // the body handles its errors; nothing may escape a fiber
    }
    sanitizer_before_switch(fiber_stack_, loop_stack_, true);
    return std::move(loop_side_);
  };
  self_ = boost::context::fiber(std::allocator_arg, boost::context::preallocated(stack.sp, stack.size, stack),
                                PooledStack(loop_.stacks()), std::move(run));
  resume();
}

void Fiber::resume() {
  Fiber* previous = running_fiber;
  running_fiber = this;
  loop_stack_.tsan_fiber = sanitizer_current().tsan_fiber;
  sanitizer_before_switch(loop_stack_, fiber_stack_);
  self_ = std::move(self_).resume();
  sanitizer_after_switch(loop_stack_);
  running_fiber = previous;
  if (!self_) {
    sanitizer_fiber_ended(loop_stack_, fiber_stack_);
    loop_.finished(*this);
  } else if (has_pending_) {
    has_pending_ = false;
    loop_.arm(*this);  // the fiber is off its stack now: its wait may complete anywhere
  }
}

void Fiber::suspend() {
  sanitizer_before_switch(fiber_stack_, loop_stack_);
  loop_side_ = std::move(loop_side_).resume();
  sanitizer_after_switch(fiber_stack_, &loop_stack_);
}

void Fiber::wait(StreamSocket& socket, Readiness readiness, const Deadline& deadline) {
  Pending pending;
  pending.connection = socket.native_handle();
  // A new request's socket joins the poller afresh, even if its descriptor's number is the
  // last request's. (Told through the wait, which reaches the reactor's thread with it: the
  // watch itself belongs to that thread.)
  pending.new_connection = std::exchange(new_request_, false);
  pending.readiness = readiness;
  pending.deadline = deadline;
  end_socket_wait(suspend_for(pending));
}

void Fiber::wait(DatagramSocket& socket, Readiness readiness, const Deadline& deadline) {
  Pending pending;
  pending.datagram = &socket;
  pending.readiness = readiness;
  pending.deadline = deadline;
  end_socket_wait(suspend_for(pending));
}

void Fiber::end_socket_wait(Wake why) {
  switch (why) {
  case Wake::ready: return;
  case Wake::timeout: throw boost::system::system_error(boost::asio::error::timed_out, "socket operation timed out");
  case Wake::cut: break;
  }
  throw_stopping();
}

void Fiber::sleep_until(Clock::time_point until) {
  if (cut_) throw_stopping();
  Pending pending;
  pending.deadline = until;
  if (suspend_for(pending) == Wake::cut) throw_stopping();
}

Fiber::Wake Fiber::suspend_for(const Pending& pending) {
  pending_ = pending;
  has_pending_ = true;
  suspend();
  return wake_;
}

void Fiber::start_wait() {
  std::uint64_t serial = ++serial_;
  waiting_ = true;
  if (!waits_on_socket() && cut_) return wake(Wake::cut);  // a sleep after the cut
  if (pending_.connection >= 0) {
    try {
      loop_.poller().wait(watch_, pending_.connection, pending_.new_connection, pending_.readiness, serial);
    } catch (...) {  // the poller cannot take it (out of memory): the next I/O call tries again
      return wake(Wake::ready);
    }
  } else if (pending_.datagram) {
    pending_.datagram->async_wait(wait_type(pending_.readiness), [this, serial](const boost::system::error_code&) {
      on_ready(serial);  // errors: the next I/O call reports them
    });
  }
  if (pending_.deadline) arm_timer(*pending_.deadline);
}

void Fiber::on_ready(std::uint64_t serial) {
  if (serial == serial_ && waiting_) wake(Wake::ready);
}

void Fiber::wake(Wake why) {
  waiting_ = false;
  ++serial_;  // the other completion of this wait, when it comes, is stale
  wake_ = why;
  loop_.ready(*this);
}

void Fiber::cut() noexcept {
  cut_ = true;
  if (waiting_ && !waits_on_socket()) wake(Wake::cut);
}

void Fiber::arm_timer(Clock::time_point at) {
  if (timer_armed_ && timer_expiry_ <= at) return;  // fires first, then re-arms (on_timer)
  timer_armed_ = true;
  timer_expiry_ = at;
  std::uint64_t serial = ++timer_serial_;
  timer_.expires_at(at);  // a pending wait completes as aborted, with a stale serial
  timer_.async_wait([this, serial](const boost::system::error_code&) {
    if (serial == timer_serial_) on_timer();
  });
}

void Fiber::on_timer() {
  timer_armed_ = false;
  if (!waiting_ || !pending_.deadline) return;
  if (Clock::now() < *pending_.deadline) return arm_timer(*pending_.deadline);
  if (waits_on_socket()) {
    if (pending_.connection >= 0) {
      loop_.poller().cancel(watch_);
    } else {
      boost::system::error_code ignored;
      pending_.datagram->cancel(ignored);
    }
    return wake(Wake::timeout);
  }
  wake(Wake::ready);  // a sleep that is over
}

} // namespace socketserver::detail
