#include "fiber_loop.hpp"

#include <boost/asio/post.hpp>

namespace socketserver::detail {
namespace {

// Stacks of finished fibers kept for reuse: enough for a burst of connections to come
// and go without mmap and munmap, while an idle server gives most memory back.
constexpr std::size_t cached_stacks = 1024;

} // namespace

FiberLoop::FiberLoop(boost::asio::io_context& reactor, std::size_t stack_size, std::function<void()> on_finished,
                     FiberHandoff* handoff)
    : reactor_(reactor), stacks_(stack_size, cached_stacks), on_finished_(std::move(on_finished)), handoff_(handoff),
      poller_(reactor) {}

FiberLoop::~FiberLoop() = default;

void FiberLoop::spawn(Request& request, const Fiber::Body& body) {
  Fiber* fiber;
  {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) {
      fibers_.push_back(std::make_unique<Fiber>(*this));
      fiber = fibers_.back().get();
      idle_.reserve(fibers_.size());  // so that finished() never allocates
    } else {
      fiber = idle_.back();
      idle_.pop_back();
    }
  }
  try {
    fiber->start(request, body);
  } catch (...) {  // no stack: the Fiber goes back unused
    std::lock_guard lock(mutex_);
    idle_.push_back(fiber);
    throw;
  }
}

void FiberLoop::cut() noexcept {
  cut_ = true;
  std::vector<Fiber*> all;
  try {
    std::lock_guard lock(mutex_);
    for (auto& fiber : fibers_) all.push_back(fiber.get());
  } catch (...) {  // out of memory: the sleepers wake at their time instead
  }
  for (Fiber* fiber : all) fiber->cut();  // only fibers waiting on this reactor react
}

void FiberLoop::arm(Fiber& fiber) {
  if (!handoff_) return fiber.start_wait();
  boost::asio::post(reactor_, [&fiber] { fiber.start_wait(); });
}

void FiberLoop::ready(Fiber& fiber) {
  if (!handoff_) return fiber.resume();
  handoff_->resume_later(fiber);
}

void FiberLoop::finished(Fiber& fiber) noexcept {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(&fiber);
  }
  if (on_finished_) on_finished_();
}

} // namespace socketserver::detail
