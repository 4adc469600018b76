#include "socketserver/threading_mixin.hpp"

namespace socketserver::detail {

void HandlerThreads::start(std::function<void()> work) {
  reap();
  std::lock_guard lock(mutex_);
  // The new thread's exit takes the same lock, so it cannot unregister itself before
  // it has been registered here.
  std::thread thread([this, work = std::move(work)] {
    work();
    exit_current_thread();
  });
  auto id = thread.get_id();
  running_.emplace(id, std::move(thread));
}

void HandlerThreads::exit_current_thread() {
  std::lock_guard lock(mutex_);
  auto self = running_.find(std::this_thread::get_id());
  finished_.push_back(std::move(self->second));
  running_.erase(self);
  all_done_.notify_all();
}

void HandlerThreads::reap() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mutex_);
    done.swap(finished_);
  }
  for (auto& thread : done) thread.join();
}

void HandlerThreads::join_all() {
  {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] { return running_.empty(); });
  }
  reap();
}

bool HandlerThreads::join_all_until(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!deadline) {
    join_all();
    return true;
  }
  bool done;
  {
    std::unique_lock lock(mutex_);
    done = all_done_.wait_until(lock, *deadline, [this] { return running_.empty(); });
  }
  reap();
  return done;
}

std::size_t HandlerThreads::live() const {
  std::lock_guard lock(mutex_);
  return running_.size();
}

} // namespace socketserver::detail
