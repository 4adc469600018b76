#include "socketserver/detail/worker_pool.hpp"

#include <algorithm>
#include <system_error>

namespace socketserver::detail {

std::size_t default_worker_count() noexcept {
  return std::max<std::size_t>(4, std::thread::hardware_concurrency());
}

void WorkerPool::start(std::size_t workers, std::size_t capacity, Work work,
                       std::function<void()> on_room) {
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return;
  capacity_ = capacity;
  stopping_ = false;
  work_ = std::move(work);
  on_room_ = std::move(on_room);
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

void WorkerPool::stop(std::optional<std::chrono::steady_clock::time_point> deadline,
                      const std::function<void()>& overdue) {
  std::vector<std::thread> threads;
  std::deque<Request> dropped;
  bool finished = true;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
    if (deadline) {
      finished = worker_exited_.wait_until(lock, *deadline, [this] { return running_threads_ == 0; });
      if (!finished) dropped.swap(queue_);
    }
    threads.swap(threads_);
  }
  dropped.clear();  // closes the connections nobody will serve
  if (!finished && overdue) overdue();
  for (auto& thread : threads) thread.join();
}

void WorkerPool::work_loop() {
  for (;;) {
    std::optional<Request> request;
    bool made_room = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping, and the queue is drained
        --running_threads_;
        worker_exited_.notify_all();
        return;
      }
      made_room = queue_.size() >= capacity_;
      request.emplace(std::move(queue_.front()));
      queue_.pop_front();
      ++busy_;
    }
    if (made_room && on_room_) on_room_();
    work_(*request);
    --busy_;
  }
}

} // namespace socketserver::detail
