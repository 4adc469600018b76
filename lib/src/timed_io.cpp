#include "timed_io.hpp"
#include "endpoints.hpp"
#include "fiber.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

// errno, read afresh. A fiber may resume on another thread (pool mode) and errno is
// thread-local, while glibc declares its address function const, so the compiler may
// reuse the address it computed before a wait: a call it cannot see through prevents that.
[[gnu::noipa]] int last_error() noexcept { return errno; }

int milliseconds_left(const Deadline& deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::string destination_name(const DatagramEndpoint& destination) {
  return to_address(destination).to_string();
}

} // namespace

namespace {

void poll_until_ready(int fd, Readiness readiness, const Deadline& deadline) {
  pollfd entry{fd, static_cast<short>(readiness == Readiness::readable ? POLLIN : POLLOUT), 0};
  for (;;) {
    int ready = ::poll(&entry, 1, milliseconds_left(deadline));
    if (ready > 0) return;  // ready, or an error/hang-up the next I/O call will report
    if (ready == 0)
      throw boost::system::system_error(boost::asio::error::timed_out, "socket operation timed out");
    if (errno != EINTR)
      throw boost::system::system_error(errno, boost::system::system_category(), "poll");
  }
}

template <class Socket>
void wait_on(Socket& socket, Readiness readiness, const Deadline& deadline) {
  if (Fiber* fiber = Fiber::current()) return fiber->wait(socket, readiness, deadline);
  poll_until_ready(socket.native_handle(), readiness, deadline);
}

} // namespace

void wait_until_ready(StreamSocket& socket, Readiness readiness, const Deadline& deadline) {
  wait_on(socket, readiness, deadline);
}

void wait_until_ready(DatagramSocket& socket, Readiness readiness, const Deadline& deadline) {
  wait_on(socket, readiness, deadline);
}

void set_kernel_timeout(int fd, KernelTimeout which,
                        const std::optional<std::chrono::duration<double>>& timeout) {
  timeval value{};  // zero: no limit
  if (timeout) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(*timeout).count();
    if (micros <= 0) micros = 1;  // zero would mean "no limit"
    value.tv_sec = static_cast<time_t>(micros / 1000000);
    value.tv_usec = static_cast<suseconds_t>(micros % 1000000);
  }
  int option = which == KernelTimeout::receive ? SO_RCVTIMEO : SO_SNDTIMEO;
  if (::setsockopt(fd, SOL_SOCKET, option, &value, sizeof value) != 0)
    throw boost::system::system_error(errno, boost::system::system_category(), "setsockopt");
}

std::size_t read_some(StreamSocket& socket, boost::asio::mutable_buffer buffer,
                      const Deadline& deadline, bool may_block) {
  int fd = socket.native_handle();
  int flags = may_block ? 0 : MSG_DONTWAIT;
  for (;;) {
    ssize_t count = ::recv(fd, buffer.data(), buffer.size(), flags);
    if (count >= 0) return static_cast<std::size_t>(count);
    int error = last_error();
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK)
      throw boost::system::system_error(error, boost::system::system_category(), "read");
    // SO_RCVTIMEO expired (the deadline has passed), or the socket is non-blocking.
    wait_until_ready(socket, Readiness::readable, deadline);
    flags = MSG_DONTWAIT;
  }
}

std::size_t write_some(StreamSocket& socket, std::span<const boost::asio::const_buffer> buffers,
                       const Deadline& deadline) {
  int fd = socket.native_handle();
  iovec pieces[16];
  msghdr message{};
  message.msg_iov = pieces;
  for (const auto& buffer : buffers) {
    if (message.msg_iovlen == std::size(pieces)) break;
    pieces[message.msg_iovlen++] = iovec{const_cast<void*>(buffer.data()), buffer.size()};
  }
  int flags = MSG_NOSIGNAL;  // a reset peer is an error on this connection, not SIGPIPE
  for (;;) {
    // One piece (the usual case) goes with send(), which the kernel handles with less
    // work than sendmsg()'s message header.
    ssize_t count = message.msg_iovlen == 1 ? ::send(fd, pieces[0].iov_base, pieces[0].iov_len, flags)
                                            : ::sendmsg(fd, &message, flags);
    if (count >= 0) return static_cast<std::size_t>(count);
    int error = last_error();
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK)
      throw boost::system::system_error(error, boost::system::system_category(), "write");
    wait_until_ready(socket, Readiness::writable, deadline);
    flags |= MSG_DONTWAIT;
  }
}

std::size_t send_file_some(StreamSocket& socket, int file, std::uint64_t offset, std::uint64_t count,
                           const Deadline& deadline) {
  int fd = socket.native_handle();
  constexpr std::uint64_t max_chunk = 1 << 30;
  for (;;) {
    off_t position = static_cast<off_t>(offset);
    ssize_t sent = ::sendfile(fd, file, &position, static_cast<std::size_t>(std::min(count, max_chunk)));
    if (sent >= 0) return static_cast<std::size_t>(sent);
    int error = last_error();
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK)
      throw boost::system::system_error(error, boost::system::system_category(), "sendfile");
    // SO_SNDTIMEO expired (the deadline has passed), or a non-blocking socket is full.
    wait_until_ready(socket, Readiness::writable, deadline);
  }
}

std::size_t splice_some(StreamSocket& socket, int pipe_write, std::size_t count, const Deadline& deadline) {
  int fd = socket.native_handle();
  for (;;) {
    ssize_t moved = ::splice(fd, nullptr, pipe_write, nullptr, count, SPLICE_F_MOVE);
    if (moved >= 0) return static_cast<std::size_t>(moved);
    int error = last_error();
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK)
      throw boost::system::system_error(error, boost::system::system_category(), "splice");
    // SO_RCVTIMEO expired (the deadline has passed), or the socket is non-blocking.
    wait_until_ready(socket, Readiness::readable, deadline);
  }
}

void send_datagram(DatagramSocket& socket, boost::asio::const_buffer buffer,
                   const DatagramEndpoint& destination, const Deadline& deadline) {
  for (;;) {
    ssize_t sent = ::sendto(socket.native_handle(), buffer.data(), buffer.size(), MSG_NOSIGNAL,
                            destination.data(), static_cast<socklen_t>(destination.size()));
    if (sent >= 0) return;
    int error = last_error();
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK)
      throw boost::system::system_error(error, boost::system::system_category(),
                                        "send_to " + destination_name(destination));
    wait_until_ready(socket, Readiness::writable, deadline);
  }
}

} // namespace socketserver::detail
