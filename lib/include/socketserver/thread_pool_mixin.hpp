/// @file
/// @brief ThreadPoolMixIn: a bounded pool of worker threads and a bounded queue.
#pragma once

#include <atomic>
#include <deque>
#include <cstdint>

#include "socketserver/datagram_server.hpp"
#include "socketserver/detail/deadline.hpp"
#include "socketserver/detail/fiber_loops.hpp"
#include "socketserver/detail/idle_connections.hpp"
#include "socketserver/detail/worker_pool.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {

/// What ThreadPoolMixIn does with a request that arrives while its queue is full.
enum class OverflowPolicy {
  wait,   ///< stop accepting until there is room; the kernel backlog holds the burst
  refuse  ///< accept and close at once, counting the refusal
};


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
/// `request_timeout`. Each handler then runs on a fiber (see AsyncMixIn): when it waits for
/// I/O — the next line of a keep-alive client, a client that does not read — the fiber
/// suspends on the request loop and the worker serves others; when the wait is over the
/// fiber continues on the next free worker. So the workers bound the handlers running at
/// once, not the connections open, and idle or slow clients cannot occupy them. A handler
/// may thus continue on another thread after a read or write: `thread_local` state does
/// not follow it.
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
      : Server(std::forward<Args>(args)...), idle_(this->loop_context(), this->loop_context(), *this) {}

  ~ThreadPoolMixIn() override { close_pool(); }

  /// Worker threads (read when the first request arrives).
  std::size_t workers = detail::default_worker_count();
  /// Requests that may wait for a worker. Connections still waiting for their first
  /// bytes are not queued work: `max_connections` bounds them.
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
    if (!start_pool()) return this->shutdown_request(request);
    if (!request.is_stream() || !wait_for_data) return enqueue(std::move(request));
    idle_.park(std::move(request), this->request_timeout, [this](Request ready) { enqueue(std::move(ready)); });
  }

  /// Hands the requests that waited for room to the workers, then the server's own
  /// service actions.
  void service_actions() override {
    while (!ready_.empty() && pool_.queued() < queue_size) {
      pool_.push(std::move(ready_.front()));
      ready_.pop_front();
    }
    Server::service_actions();
  }

  /// Closes the socket and idle connections, lets the workers finish the queue within
  /// `drain_timeout`, ends what is left, joins them.
  ///
  /// A datagram server's socket is closed after the drain instead: the workers send their
  /// replies through it.
  void server_close() override {
    ready_.clear();
    if constexpr (std::is_base_of_v<DatagramServer, Server>) {
      close_pool();
      Server::server_close();
    } else {
      Server::server_close();  // stop accepting first
      close_pool();
    }
  }

protected:
  /// Connections belong to the request loop: they wait there until readable (unless
  /// #wait_for_data is off), and so do their handlers' fibers.
  boost::asio::io_context& request_context() noexcept override { return this->loop_context(); }

  /// Accepts while the queue has room (always, with OverflowPolicy::refuse) and the
  /// connection limit allows; at that limit the connection that has waited longest for
  /// its first bytes is dropped to make room.
  bool ready_to_accept() override {
    if (overflow == OverflowPolicy::wait && pool_.queued() + ready_.size() >= queue_size) return false;
    if (Server::ready_to_accept()) return true;
    return idle_.drop_oldest() && Server::ready_to_accept();
  }

private:
  // A full queue refuses the request (OverflowPolicy::refuse), or keeps it until a worker
  // makes room (the loop stops accepting meanwhile).
  void enqueue(Request request) {
    if (pool_.queued() + ready_.size() < queue_size) return pool_.push(std::move(request));
    if (overflow == OverflowPolicy::wait) return ready_.push_back(std::move(request));
    ++refused_;
    this->log_message("refused " + request.client_address.to_string() + ": the queue is full");
    this->shutdown_request(request);
  }

  // Starts the workers with the first request (#workers may be set until then). False,
  // after a log line, when not even one thread could be started.
  bool start_pool() {
    if (pool_.started()) return true;
    try {
      pool_.start(workers, queue_size, [this](Request& r) { this->process_request_on_fiber(r); }, [this] { this->wake_loop(); },
                  this->loop_context(), detail::default_stack_size);
    } catch (const std::exception& e) {
      this->log_message(std::string("cannot start the worker threads: ") + e.what());
    }
    return pool_.started();
  }

  // On a fiber: a wait for I/O suspends it and frees the worker.
  void close_pool() {
    idle_.close_all();
    pool_.stop(detail::deadline_after(this->drain_timeout), [this] { this->shutdown_active_connections(); });
  }

  detail::WorkerPool pool_;
  detail::IdleConnections idle_;
  std::deque<Request> ready_;  // readable, waiting for room in the queue
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
