#include "fiber_loop.hpp"

namespace socketserver::detail {
namespace {

// Stacks of finished fibers kept for reuse: enough for a burst of connections to come
// and go without mmap and munmap, while an idle server gives most memory back.
constexpr std::size_t cached_stacks = 1024;

} // namespace

FiberLoop::FiberLoop(boost::asio::io_context& context, std::size_t stack_size, std::function<void()> on_finished)
    : context_(context), stacks_(stack_size, cached_stacks), on_finished_(std::move(on_finished)) {}

FiberLoop::~FiberLoop() = default;

void FiberLoop::spawn(Request& request, const Fiber::Body& body) {
  Fiber* fiber;
  if (idle_.empty()) {
    fibers_.push_back(std::make_unique<Fiber>(*this));
    fiber = fibers_.back().get();
    idle_.reserve(fibers_.size());  // so that finished() never allocates
  } else {
    fiber = idle_.back();
    idle_.pop_back();
  }
  try {
    fiber->start(request, body);
  } catch (...) {  // no stack: the Fiber goes back unused
    idle_.push_back(fiber);
    throw;
  }
}

void FiberLoop::cut() noexcept {
  cut_ = true;
  for (auto& fiber : fibers_)
    if (!fiber->finished()) fiber->cut();
}

void FiberLoop::finished(Fiber& fiber) noexcept {
  idle_.push_back(&fiber);
  if (on_finished_) on_finished_();
}

} // namespace socketserver::detail
