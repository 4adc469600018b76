#include "fiber.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "fiber_loop.hpp"

namespace socketserver::detail {
namespace {

thread_local Fiber* running_fiber = nullptr;

template <class Socket>
void cancel_waits(void* socket) {
  boost::system::error_code ignored;
  static_cast<Socket*>(socket)->cancel(ignored);
}

boost::asio::socket_base::wait_type wait_type(Readiness readiness) {
  return readiness == Readiness::readable ? boost::asio::socket_base::wait_read : boost::asio::socket_base::wait_write;
}

} // namespace

Fiber::Fiber(FiberLoop& loop) : loop_(loop), timer_(loop.context()) {}

Fiber::~Fiber() = default;

Fiber* Fiber::current() noexcept { return running_fiber; }

void Fiber::start(Request& request, const Body& body) {
  FiberStacks& stacks = loop_.stacks();
  cut_ = loop_.was_cut();
  boost::context::stack_context stack = stacks.allocate();
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
                                PooledStack(stacks), std::move(run));
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
    sanitizer_end_fiber(fiber_stack_);
    loop_.finished(*this);
  }
}

void Fiber::suspend() {
  sanitizer_before_switch(fiber_stack_, loop_stack_);
  loop_side_ = std::move(loop_side_).resume();
  sanitizer_after_switch(fiber_stack_, &loop_stack_);
}

void Fiber::wait(StreamSocket& socket, Readiness readiness, const Deadline& deadline) {
  wait_for(socket, readiness, deadline);
}

void Fiber::wait(DatagramSocket& socket, Readiness readiness, const Deadline& deadline) {
  wait_for(socket, readiness, deadline);
}

template <class Socket>
void Fiber::wait_for(Socket& socket, Readiness readiness, const Deadline& deadline) {
  std::uint64_t serial = ++serial_;
  socket.async_wait(wait_type(readiness), [this, serial](const boost::system::error_code&) {
    if (serial == serial_ && waiting_) wake(Wake::ready);  // errors: the next I/O call reports them
  });
  switch (suspend_until(deadline, SocketHandle{&socket, &cancel_waits<Socket>})) {
  case Wake::ready: return;
  case Wake::timeout: throw boost::system::system_error(boost::asio::error::timed_out, "socket operation timed out");
  case Wake::cut: break;
  }
  throw boost::system::system_error(boost::asio::error::operation_aborted, "the server is stopping");
}

void Fiber::sleep_until(Clock::time_point until) {
  if (cut_) throw boost::system::system_error(boost::asio::error::operation_aborted, "the server is stopping");
  ++serial_;
  sleeping_ = true;
  Wake why = suspend_until(until, SocketHandle{});
  sleeping_ = false;
  if (why == Wake::cut) throw boost::system::system_error(boost::asio::error::operation_aborted, "the server is stopping");
}

Fiber::Wake Fiber::suspend_until(const Deadline& deadline, SocketHandle socket) {
  deadline_ = deadline;
  socket_ = socket;
  waiting_ = true;
  if (deadline) arm_timer(*deadline);
  suspend();
  return wake_;
}

void Fiber::wake(Wake why) {
  waiting_ = false;
  ++serial_;  // the other completion of this wait, when it comes, is stale
  wake_ = why;
  resume();
}

void Fiber::cut() noexcept {
  cut_ = true;
  if (waiting_ && sleeping_) wake(Wake::cut);
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
  if (!waiting_ || !deadline_) return;
  if (Clock::now() < *deadline_) return arm_timer(*deadline_);
  if (socket_.socket) socket_.cancel(socket_.socket);
  wake(sleeping_ ? Wake::ready : Wake::timeout);
}

} // namespace socketserver::detail
