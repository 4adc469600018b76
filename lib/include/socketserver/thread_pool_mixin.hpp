/// @file
/// @brief ThreadPoolMixIn: a bounded pool of worker threads and a bounded queue.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "socketserver/datagram_server.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {

/// What ThreadPoolMixIn does with a request that arrives while its queue is full.
enum class OverflowPolicy {
  wait,   ///< stop accepting until there is room; the kernel backlog holds the burst
  refuse  ///< accept and close at once, counting the refusal
};

namespace detail {

/// N threads taking requests from a bounded queue, in order.
class WorkerPool {
public:
  /// Called by a worker for each request.
  using Work = std::function<void(Request&)>;

  WorkerPool() = default;
  ~WorkerPool() { stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Starts @p workers threads (once) running @p work; @p on_room is called (from a worker)
  /// each time a full queue of @p capacity gets room again.
  void start(std::size_t workers, std::size_t capacity, Work work, std::function<void()> on_room);
  /// True once start() was called and stop() was not.
  bool started() const;
  /// Queues @p request for a worker.
  void push(Request request);
  /// Requests waiting for a worker.
  std::size_t queued() const;
  /// Handlers running now.
  std::size_t busy() const noexcept { return busy_.load(); }
  /// Lets the workers finish the queue, then joins them.
  void stop() { stop(std::nullopt, nullptr); }
  /// Lets the workers finish the queue until @p deadline (none: no limit). If they have
  /// not finished by then, drops the requests still queued (closing their connections),
  /// calls @p overdue (which must make the running handlers end), and joins the workers.
  void stop(std::optional<std::chrono::steady_clock::time_point> deadline, const std::function<void()>& overdue);

private:
  void work_loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable worker_exited_;
  std::deque<Request> queue_;
  std::vector<std::thread> threads_;
  std::size_t running_threads_ = 0;
  std::size_t capacity_ = 0;
  bool stopping_ = false;
  std::atomic<std::size_t> busy_{0};
  Work work_;
  std::function<void()> on_room_;
};

/// Accepted connections that have not sent anything yet. They wait here, on the request
/// loop, until they become readable (then they go to a worker) or until their timeout
/// (then they are closed): silent clients never occupy a worker.
class IdleConnections {
public:
  /// Connections wait on @p loop; ready ones are moved to @p connections.
  IdleConnections(boost::asio::io_context& loop, boost::asio::io_context& connections)
      : loop_(loop), connections_(connections) {}

  /// Holds @p request (a connection on the loop context) until it is readable, then calls
  /// @p ready with it; after @p timeout it is closed instead.
  void park(Request request, std::optional<Seconds> timeout, std::function<void(Request)> ready);
  /// Connections waiting.
  std::size_t size() const noexcept { return parked_.size(); }
  /// Closes every waiting connection.
  void close_all();

private:
  struct Parked {
    Request request;
    boost::asio::steady_timer timer;
    std::function<void(Request)> ready;
  };
  void on_readable(std::uint64_t id);
  void on_timeout(std::uint64_t id);

  boost::asio::io_context& loop_;
  boost::asio::io_context& connections_;
  std::map<std::uint64_t, std::unique_ptr<Parked>> parked_;
  std::uint64_t next_id_ = 0;
};

/// Worker threads to start by default: the number of cores, at least 4.
std::size_t default_worker_count() noexcept;

} // namespace detail

/// A fixed pool of worker threads and a bounded queue — Python has no answer to a
/// ThreadingMixIn that creates one thread per client, however many clients come.
///
/// At most #workers handlers run at once, and at most #queue_size requests wait. When the
/// queue is full the server stops accepting (the kernel backlog absorbs the burst) instead
/// of growing memory, or with OverflowPolicy::refuse closes new connections at once,
/// counting them in refused_count().
///
/// A connection is handed to a worker only once it has data to read: until then it waits
/// on the request loop (like Apache's event MPM), and is closed if it stays silent past
/// `request_timeout`. So idle clients cannot occupy the workers.
///
/// server_close() (and the destructor) closes the silent connections at once and drains
/// the rest within `drain_timeout`: the workers go on with the queue until then; after it
/// the requests still queued are dropped and the connections still being served are shut
/// down so their handlers end.
template <class Server>
class ThreadPoolMixIn : public Server {
public:
  /// Like the Server's constructors.
  template <class... Args>
  explicit ThreadPoolMixIn(Args&&... args)
      : Server(std::forward<Args>(args)...), idle_(this->loop_context(), this->connection_context()) {}

  ~ThreadPoolMixIn() override { close_pool(); }

  /// Worker threads (read when the first request arrives).
  std::size_t workers = detail::default_worker_count();
  /// Requests that may wait for a worker, silent connections included.
  std::size_t queue_size = 256;
  /// What to do when the queue is full.
  OverflowPolicy overflow = OverflowPolicy::wait;
  /// Hand a stream connection to a worker only once it has data to read (the default).
  /// Set false for protocols where the server speaks first (daytime, time, a greeting),
  /// whose clients may send nothing: connections then join the queue as soon as accepted.
  bool wait_for_data = true;

  /// Connections refused because the queue was full (OverflowPolicy::refuse).
  std::uint64_t refused_count() const noexcept { return refused_.load(); }
  /// Handlers running now.
  std::size_t busy_workers() const noexcept { return pool_.busy(); }

  /// Queues @p request for a worker (stream connections once they are readable).
  void process_request(Request request) override {
    if (!pool_.started())
      pool_.start(workers, queue_size, [this](Request& r) { this->process_request_inline(r); },
                  [this] { this->wake_loop(); });
    if (waiting() >= queue_size) {
      ++refused_;
      this->shutdown_request(request);
      return;
    }
    if (!request.is_stream() || !wait_for_data) return pool_.push(std::move(request));
    idle_.park(std::move(request), this->request_timeout,
               [this](Request ready) { pool_.push(std::move(ready)); });
  }

  /// Closes the socket and idle connections, lets the workers finish the queue within
  /// `drain_timeout`, ends what is left, joins them.
  ///
  /// A datagram server's socket is closed after the drain instead: the workers send their
  /// replies through it.
  void server_close() override {
    if constexpr (std::is_base_of_v<DatagramServer, Server>) {
      close_pool();
      Server::server_close();
    } else {
      Server::server_close();  // stop accepting first
      close_pool();
    }
  }

protected:
  /// Connections wait on the request loop until readable (unless #wait_for_data is off).
  boost::asio::io_context& request_context() noexcept override {
    return wait_for_data ? this->loop_context() : this->connection_context();
  }

  /// Accepts while the queue has room (always, with OverflowPolicy::refuse).
  bool ready_to_accept() const override {
    return (overflow == OverflowPolicy::refuse || waiting() < queue_size) && Server::ready_to_accept();
  }

private:
  std::size_t waiting() const { return pool_.queued() + idle_.size(); }

  void close_pool() {
    idle_.close_all();
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (this->drain_timeout)
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(*this->drain_timeout);
    pool_.stop(deadline, [this] { this->shutdown_active_connections(); });
  }

  detail::WorkerPool pool_;
  detail::IdleConnections idle_;
  std::atomic<std::uint64_t> refused_{0};
};

/// TCPServer with a bounded pool of workers.
using ThreadPoolTCPServer = ThreadPoolMixIn<TCPServer>;
/// UDPServer with a bounded pool of workers.
using ThreadPoolUDPServer = ThreadPoolMixIn<UDPServer>;
/// UnixStreamServer with a bounded pool of workers.
using ThreadPoolUnixStreamServer = ThreadPoolMixIn<UnixStreamServer>;
/// UnixDatagramServer with a bounded pool of workers.
using ThreadPoolUnixDatagramServer = ThreadPoolMixIn<UnixDatagramServer>;

} // namespace socketserver
