// detail::ReadinessPoller: when the stream sockets of a loop's fibers become ready, at no
// system call per wait.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "timed_io.hpp"

namespace socketserver::detail {

class Fiber;

/// Readiness of connections, edge-triggered, for the fibers that serve them.
///
/// Asio's `async_wait()` re-arms the descriptor in epoll (`epoll_ctl(MOD)`) on every call,
/// because it cannot know whether the caller has just seen EAGAIN: for a request served by
/// a fiber that is one system call per message, a third of a small echo's. Here each
/// socket joins an epoll set of the loop's own once, edge-triggered for both directions,
/// and every edge is remembered until a fiber waits for it. That is sound because a fiber
/// only waits after its socket said EAGAIN (or before its first read): any byte or any room
/// that comes later produces an edge. What a read does not use up is remembered for good:
/// an end of stream or an error that arrived with the last bytes read (the read took the
/// bytes and left the rest for the next call, with no edge to come). The set is itself one descriptor on the loop's
/// reactor, watched while some fiber waits, so a loop pays one wake-up per batch of ready
/// sockets instead of one re-arm per message (what Go's network poller does).
///
/// Everything runs on the reactor's thread. Datagram sockets are not watched here: many
/// fibers share one, and their rare waits (a full send buffer) go through Asio.
class ReadinessPoller {
public:
  /// What one fiber waits on: kept inside the fiber, reused for its later requests.
  struct Watch {
    Fiber* fiber = nullptr;
    int fd = -1;                    // the socket last waited on
    std::uint32_t generation = 0;   // of that registration: older edges are ignored
    bool readable = false;          // edges seen and not yet used by a wait
    bool writable = false;
    bool read_closed = false;       // the peer has shut down or failed: reads never wait again
    bool write_closed = false;      // the connection has failed: nor do writes
    bool waiting = false;
    Readiness wanted = Readiness::readable;
    std::uint64_t serial = 0;       // of the fiber's wait, handed back to it
  };

  explicit ReadinessPoller(boost::asio::io_context& reactor);
  ~ReadinessPoller();
  ReadinessPoller(const ReadinessPoller&) = delete;
  ReadinessPoller& operator=(const ReadinessPoller&) = delete;

  /// Calls `watch.fiber->on_ready(serial)` once @p fd is ready for @p readiness: soon (posted)
  /// when an edge came since the last wait, else at the next one. @p fd joins the set first
  /// when it is not the socket @p watch last waited on, or when @p new_connection (a new
  /// socket may have the last one's number). Throws system_error when it cannot join.
  void wait(Watch& watch, int fd, bool new_connection, Readiness readiness, std::uint64_t serial);
  /// Forgets the wait of @p watch (it timed out).
  void cancel(Watch& watch) noexcept;

private:
  void add(Watch& watch, int fd);
  void arm();
  void drain();
  void deliver(const epoll_event& event);
  void end_wait(Watch& watch);
  static bool take_readiness(Watch& watch, Readiness readiness) noexcept;

  boost::asio::io_context& reactor_;
  boost::asio::posix::stream_descriptor set_;  // owns the epoll descriptor
  std::vector<Watch*> by_fd_;                  // the watch registered for each descriptor
  std::uint32_t next_generation_ = 0;
  std::size_t waiting_ = 0;                    // watches with a wait
  bool armed_ = false;                         // set_ has a wait on the reactor
  std::uint64_t arms_ = 0;                     // numbers set_'s waits
  bool draining_ = false;                      // a drain is under way or posted: it re-arms
};

} // namespace socketserver::detail
