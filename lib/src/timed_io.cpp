#include "timed_io.hpp"
#include "endpoints.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

bool would_block(const boost::system::error_code& error) {
  return error == boost::asio::error::would_block || error == boost::asio::error::try_again;
}

int milliseconds_left(const Deadline& deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::string destination_name(const DatagramEndpoint& destination) {
  return to_address(destination).to_string();
}

} // namespace

Deadline deadline_after(const std::optional<std::chrono::duration<double>>& timeout) {
  if (!timeout) return std::nullopt;
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(*timeout);
}

void wait_until_ready(int fd, Readiness readiness, const Deadline& deadline) {
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

std::size_t read_some(StreamSocket& socket, boost::asio::mutable_buffer buffer,
                      const Deadline& deadline, bool poll_first) {
  for (;;) {
    if (poll_first) wait_until_ready(socket.native_handle(), Readiness::readable, deadline);
    boost::system::error_code error;
    std::size_t count = socket.read_some(buffer, error);
    if (!error) return count;
    if (error == boost::asio::error::eof) return 0;
    if (would_block(error) || error == boost::asio::error::interrupted) {
      poll_first = true;
      continue;
    }
    throw boost::system::system_error(error, "read");
  }
}

std::size_t write_some(StreamSocket& socket, std::span<const boost::asio::const_buffer> buffers,
                       const Deadline& deadline) {
  for (bool poll_first = false;; poll_first = true) {
    if (poll_first) wait_until_ready(socket.native_handle(), Readiness::writable, deadline);
    boost::system::error_code error;
    std::size_t count = socket.write_some(buffers, error);
    if (!error) return count;
    if (!would_block(error) && error != boost::asio::error::interrupted)
      throw boost::system::system_error(error, "write");
  }
}

void send_datagram(DatagramSocket& socket, boost::asio::const_buffer buffer,
                   const DatagramEndpoint& destination, const Deadline& deadline) {
  for (bool poll_first = false;; poll_first = true) {
    if (poll_first) wait_until_ready(socket.native_handle(), Readiness::writable, deadline);
    boost::system::error_code error;
    socket.send_to(buffer, destination, 0, error);
    if (!error) return;
    if (!would_block(error) && error != boost::asio::error::interrupted)
      throw boost::system::system_error(error, "send_to " + destination_name(destination));
  }
}

} // namespace socketserver::detail
