#include "socketserver/thread_pool_mixin.hpp"

#include "move_socket.hpp"

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
    threads_.emplace_back([this] { work_loop(); });
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

void IdleConnections::park(Request request, std::optional<Seconds> timeout,
                           std::function<void(Request)> ready) {
  std::uint64_t id = next_id_++;
  auto entry = std::make_unique<Parked>(Parked{std::move(request), boost::asio::steady_timer(loop_), std::move(ready)});
  entry->request.connection->async_wait(boost::asio::socket_base::wait_read,
                                        [this, id](const boost::system::error_code& error) {
                                          if (error != boost::asio::error::operation_aborted) on_readable(id);
                                        });
  if (timeout) {
    entry->timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout));
    entry->timer.async_wait([this, id](const boost::system::error_code& error) {
      if (!error) on_timeout(id);
    });
  }
  parked_.emplace(id, std::move(entry));
}

void IdleConnections::on_readable(std::uint64_t id) {
  auto found = parked_.find(id);
  if (found == parked_.end()) return;
  std::unique_ptr<Parked> entry = std::move(found->second);
  parked_.erase(found);
  entry->timer.cancel();

  // Move the connection off the loop's context, so that its later traffic does not wake
  // the request loop while a worker serves it.
  std::optional<StreamSocket>& socket = entry->request.connection;
  if (!move_to_context(socket, connections_)) return;  // the peer is gone; closed with the entry
  socket->native_non_blocking(false);  // waiting on the loop made it non-blocking
  entry->ready(std::move(entry->request));
}

void IdleConnections::on_timeout(std::uint64_t id) {
  auto found = parked_.find(id);
  if (found == parked_.end()) return;
  boost::system::error_code ignored;
  found->second->request.connection->close(ignored);
  parked_.erase(found);
}

void IdleConnections::close_all() {
  for (auto& [id, entry] : parked_) {
    boost::system::error_code ignored;
    entry->timer.cancel();
    entry->request.connection->close(ignored);
  }
  parked_.clear();
}

} // namespace socketserver::detail
