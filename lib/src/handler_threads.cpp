#include "socketserver/detail/handler_threads.hpp"

namespace socketserver::detail {

void HandlerThreads::start(std::function<void()> work) {
  reap();
  std::lock_guard lock(mutex_);
  ++busy_;
  if (idle_ > handed_over_.size()) {
    // A parked thread will take it: every parked thread checks handed_over_ before it
    // retires, so the work cannot be stranded.
    handed_over_.push_back(std::move(work));
    work_ready_.notify_one();
    return;
  }
  // The new thread retires under the same lock, so it cannot unregister itself before it
  // has been registered here.
  std::thread thread;
  try {
    thread = std::thread([this, work = std::move(work)]() mutable { thread_main(std::move(work)); });
  } catch (...) {  // out of threads (RLIMIT_NPROC, pids.max) or memory: the work never runs
    if (--busy_ == 0) all_done_.notify_all();
    throw;
  }
  auto id = thread.get_id();
  threads_.emplace(id, std::move(thread));
}

void HandlerThreads::thread_main(std::function<void()> work) {
  for (;;) {
    work();
    work = nullptr;  // release what the work held (its request) before parking
    std::unique_lock lock(mutex_);
    if (--busy_ == 0) all_done_.notify_all();
    if (!wait_for_work(lock, work)) {
      retire_current_thread();
      return;
    }
  }
}

bool HandlerThreads::wait_for_work(std::unique_lock<std::mutex>& lock, std::function<void()>& work) {
  if (retiring_ || idle_ >= max_parked) return false;
  ++idle_;
  auto give_up = std::chrono::steady_clock::now() + park_time;
  while (handed_over_.empty() && !retiring_)
    if (work_ready_.wait_until(lock, give_up) == std::cv_status::timeout) break;
  --idle_;
  if (handed_over_.empty()) return false;
  work = std::move(handed_over_.front());
  handed_over_.pop_front();
  return true;
}

void HandlerThreads::retire_current_thread() {
  auto self = threads_.find(std::this_thread::get_id());
  finished_.push_back(std::move(self->second));
  threads_.erase(self);
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

void HandlerThreads::join_all() { join_all_until(std::nullopt); }

bool HandlerThreads::join_all_until(std::optional<std::chrono::steady_clock::time_point> deadline) {
  {
    std::unique_lock lock(mutex_);
    auto all_idle = [this] { return busy_ == 0; };
    if (!deadline) {
      all_done_.wait(lock, all_idle);
    } else if (!all_done_.wait_until(lock, *deadline, all_idle)) {
      lock.unlock();
      reap();
      return false;
    }
    // Every thread is parked or retiring: wake the parked ones so they retire now.
    retiring_ = true;
    work_ready_.notify_all();
    all_done_.wait(lock, [this] { return threads_.empty(); });
    retiring_ = false;
  }
  reap();
  return true;
}

std::size_t HandlerThreads::live() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

} // namespace socketserver::detail
