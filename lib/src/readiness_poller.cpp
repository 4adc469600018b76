#include "readiness_poller.hpp"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include "fiber.hpp"

namespace socketserver::detail {
namespace {

int new_epoll_set() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw boost::system::system_error(errno, boost::system::system_category(), "epoll_create1");
  return fd;
}

// An event names its socket and the registration it belongs to.
std::uint64_t event_key(int fd, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

constexpr std::uint32_t readable_events = EPOLLIN | EPOLLPRI;
constexpr std::uint32_t writable_events = EPOLLOUT;
constexpr std::uint32_t read_closing_events = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t write_closing_events = EPOLLHUP | EPOLLERR;

} // namespace

ReadinessPoller::ReadinessPoller(boost::asio::io_context& reactor)
    : reactor_(reactor), set_(reactor, new_epoll_set()) {}

ReadinessPoller::~ReadinessPoller() = default;

void ReadinessPoller::wait(Watch& watch, int fd, bool new_connection, Readiness readiness, std::uint64_t serial) {
  if (new_connection || watch.fd != fd) add(watch, fd);
  if (take_readiness(watch, readiness)) {  // an edge came after the fiber last looked
    Fiber* fiber = watch.fiber;
    boost::asio::post(reactor_, [fiber, serial] { fiber->on_ready(serial); });
    return;
  }
  watch.waiting = true;
  watch.wanted = readiness;
  watch.serial = serial;
  ++waiting_;
  if (!armed_) arm();
}

void ReadinessPoller::cancel(Watch& watch) noexcept {
  if (!watch.waiting) return;
  end_wait(watch);
  if (waiting_ == 0 && armed_) {  // nothing left to watch for: no wait left behind on the reactor
    boost::system::error_code ignored;
    set_.cancel(ignored);
    armed_ = false;
  }
}

void ReadinessPoller::add(Watch& watch, int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  std::uint32_t generation = ++next_generation_;
  event.data.u64 = event_key(fd, generation);
  // EEXIST: the descriptor was registered before and never closed since (a handler kept
  // it): the registration is taken over.
  if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0 &&
      (errno != EEXIST || ::epoll_ctl(set_.native_handle(), EPOLL_CTL_MOD, fd, &event) != 0))
    throw boost::system::system_error(errno, boost::system::system_category(), "epoll_ctl");
  if (by_fd_.size() <= static_cast<std::size_t>(fd)) by_fd_.resize(static_cast<std::size_t>(fd) + 1);
  by_fd_[static_cast<std::size_t>(fd)] = &watch;
  watch.fd = fd;
  watch.generation = generation;
  // The set reports the socket's state as it joins.
  watch.readable = watch.writable = watch.read_closed = watch.write_closed = false;
}

void ReadinessPoller::arm() {
  if (draining_) return;  // the drain re-arms when the set is empty
  armed_ = true;
  std::uint64_t serial = ++arms_;
  set_.async_wait(boost::asio::posix::descriptor_base::wait_read, [this, serial](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;  // cancelled, or the loop is ending
    if (serial == arms_) armed_ = false;  // else it completed just before a cancel: a newer wait is on
    drain();
  });
}

// One batch of events at a time: while sockets keep becoming ready, what else the reactor
// has queued (timers, fibers whose wait found an edge already) runs between batches
// instead of waiting until the set is empty.
void ReadinessPoller::drain() {
  constexpr int batch = 128;
  epoll_event events[batch];
  int count;
  do {
    count = ::epoll_wait(set_.native_handle(), events, batch, 0);
  } while (count < 0 && errno == EINTR);
  draining_ = true;
  for (int i = 0; i < count; ++i) deliver(events[i]);
  if (count == batch) {  // perhaps more: after the reactor's other work
    boost::asio::post(reactor_, [this] { drain(); });
    return;
  }
  draining_ = false;
  if (waiting_ > 0 && !armed_) arm();
}

void ReadinessPoller::deliver(const epoll_event& event) {
  auto fd = static_cast<std::size_t>(event.data.u64 & 0xffffffffu);
  auto generation = static_cast<std::uint32_t>(event.data.u64 >> 32);
  Watch* watch = fd < by_fd_.size() ? by_fd_[fd] : nullptr;
  if (!watch || watch->fd != static_cast<int>(fd) || watch->generation != generation) return;  // stale
  if (event.events & readable_events) watch->readable = true;
  if (event.events & writable_events) watch->writable = true;
  if (event.events & read_closing_events) watch->read_closed = true;
  if (event.events & write_closing_events) watch->write_closed = true;
  if (!watch->waiting || !take_readiness(*watch, watch->wanted)) return;
  end_wait(*watch);
  watch->fiber->on_ready(watch->serial);  // may run the fiber now, and start its next wait
}

bool ReadinessPoller::take_readiness(Watch& watch, Readiness readiness) noexcept {
  bool& edge = readiness == Readiness::readable ? watch.readable : watch.writable;
  bool closed = readiness == Readiness::readable ? watch.read_closed : watch.write_closed;
  bool ready = edge || closed;
  edge = false;
  return ready;
}

void ReadinessPoller::end_wait(Watch& watch) {
  watch.waiting = false;
  --waiting_;
}

} // namespace socketserver::detail
