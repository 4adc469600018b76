#include "socketserver/detail/worker_pool.hpp"

#include <algorithm>
#include <system_error>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "fiber_loop.hpp"

namespace socketserver::detail {

struct WorkerPool::Handoff : FiberHandoff {
  explicit Handoff(WorkerPool& owner) : pool(owner) {}
  void resume_later(Fiber& fiber) override { pool.resume_later(fiber); }
  WorkerPool& pool;
};

std::size_t default_worker_count() noexcept {
  return std::max<std::size_t>(4, std::thread::hardware_concurrency());
}

WorkerPool::WorkerPool() : handoff_(std::make_unique<Handoff>(*this)) {}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start(std::size_t workers, std::size_t capacity, Work work, std::function<void()> on_room,
                       boost::asio::io_context& reactor, std::size_t stack_size) {
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return;
  capacity_ = capacity;
  stopping_ = false;
  work_ = std::move(work);
  on_room_ = std::move(on_room);
  reactor_ = &reactor;
  if (!fibers_) fibers_ = std::make_unique<FiberLoop>(reactor, stack_size, [this] { request_done(); }, handoff_.get());
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i) {
    try {
      threads_.emplace_back([this] { work_loop(); });
    } catch (const std::system_error&) {
      if (threads_.empty()) throw;  // no pool at all: the caller reports it
      break;                        // out of threads (RLIMIT_NPROC, pids.max): serve with fewer
    }
    ++running_threads_;
  }
}

bool WorkerPool::started() const {
  std::lock_guard lock(mutex_);
  return !threads_.empty() && !stopping_;
}

void WorkerPool::push(Request request) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::resume_later(Fiber& fiber) {
  {
    std::lock_guard lock(mutex_);
    resumed_.push_back(&fiber);
  }
  wake_.notify_one();
}

void WorkerPool::request_done() {
  std::lock_guard lock(mutex_);
  if (--live_ == 0 && stopping_) wake_.notify_all();
}

void WorkerPool::stop(std::optional<std::chrono::steady_clock::time_point> deadline,
                      const std::function<void()>& overdue) {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (!run_reactor_until_exited(deadline)) {
    std::deque<Request> dropped;
    {
      std::lock_guard lock(mutex_);
      dropped.swap(queue_);
    }
    dropped.clear();  // closes the connections nobody will serve
    if (overdue) overdue();
    fibers_->cut();  // we run the reactor now: the sleepers wake on this thread
    run_reactor_until_exited(std::nullopt);
  }
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& thread : threads) thread.join();
}

bool WorkerPool::run_reactor_until_exited(const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  boost::asio::io_context& reactor = *reactor_;
  auto keep_running = boost::asio::make_work_guard(reactor);  // run_one() waits for the workers too
  reactor.restart();
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (running_threads_ == 0) return true;
    }
    if (!deadline) {
      reactor.run_one();
    } else if (std::chrono::steady_clock::now() >= *deadline) {
      return false;
    } else {
      reactor.run_one_until(*deadline);
    }
  }
}

void WorkerPool::work_loop() {
  for (;;) {
    Fiber* fiber = nullptr;
    std::optional<Request> request;
    bool made_room = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !resumed_.empty() || !queue_.empty() || (stopping_ && live_ == 0); });
      if (!resumed_.empty()) {
        fiber = resumed_.front();
        resumed_.pop_front();
      } else if (!queue_.empty()) {
        made_room = queue_.size() >= capacity_;
        request.emplace(std::move(queue_.front()));
        queue_.pop_front();
        ++live_;
      } else {  // stopping, and every request is done
        --running_threads_;
        boost::asio::post(*reactor_, [] {});  // wakes stop()'s wait in the reactor
        return;
      }
      ++busy_;
    }
    if (made_room && on_room_) on_room_();
    if (fiber) {
      fiber->resume();
    } else {
      try {
        fibers_->spawn(*request, work_);
      } catch (...) {  // no stack for it: the connection is closed with the request
        request_done();
      }
    }
    --busy_;
  }
}

} // namespace socketserver::detail
