#include "socketserver/socket_io.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "splice_pipe.hpp"
#include "timed_io.hpp"
#include "tls_io.hpp"

namespace socketserver {

void SocketReader::begin_operation() {
  if (!socket_) throw std::logic_error("rfile used before attach(): a handler's setup() override must call the base class's setup() first");
  // A non-blocking socket (served by a fiber) never waits in the kernel: no SO_RCVTIMEO;
  // nor does TLS, whose reads never block (see tls_io.hpp).
  if (timeout != kernel_timeout_ && !socket_->non_blocking() && !tls_) {
    detail::set_kernel_timeout(socket_->native_handle(), detail::KernelTimeout::receive, timeout);
    kernel_timeout_ = timeout;
  }
  deadline_ = detail::deadline_after(timeout);
  first_fill_ = true;
}

std::size_t SocketReader::fill(char* data, std::size_t size) {
  // Only the first read of an operation may block in recv(): SO_RCVTIMEO equals the whole
  // timeout, which later reads of the same operation no longer have.
  bool may_block = first_fill_ || !timeout;
  first_fill_ = false;
  auto buffer = boost::asio::buffer(data, size);
  std::size_t count = tls_ ? detail::tls_read_some(*tls_, *socket_, buffer, deadline_)
                           : detail::read_some(*socket_, buffer, deadline_, may_block);
  filled_ = count == size;
  return count;
}

// A read that filled its buffer most likely left bytes behind (a bulk transfer): then the
// next one tries at once, and waits only if it finds nothing, holding its buffer meanwhile.
// Under TLS, OpenSSL's own reads decide (tls_must_wait_to_read()).
void SocketReader::wait_for_bytes() {
  if (!socket_->non_blocking() || filled_) return;
  if (!tls_ || detail::tls_must_wait_to_read(*tls_))
    detail::wait_until_ready(*socket_, detail::Readiness::readable, deadline_);
}

std::uint64_t SocketReader::read_to_file(int file_descriptor, std::uint64_t count) {
  std::uint64_t moved = 0;
  while (moved < count && buffered() > 0) {
    std::string part = read(static_cast<std::size_t>(std::min<std::uint64_t>(count - moved, buffered())));
    detail::write_all(file_descriptor, part.data(), part.size());
    moved += part.size();
  }
  if (moved == count || at_eof()) return moved;
  if (tls_) {  // the bytes must be decrypted here: each read() waits at most #timeout
    while (moved < count) {
      std::string part = read(static_cast<std::size_t>(std::min<std::uint64_t>(count - moved, 64 * 1024)));
      if (part.empty()) break;  // end of stream
      detail::write_all(file_descriptor, part.data(), part.size());
      moved += part.size();
    }
    return moved;
  }
  begin_operation();  // applies the kernel timeout
  detail::SplicePipe pipe;
  while (moved < count) {
    std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(count - moved, pipe.capacity()));
    std::size_t got = detail::splice_some(*socket_, pipe.write_end(), wanted, detail::deadline_after(timeout));
    if (got == 0) break;  // end of stream
    pipe.drain_into(file_descriptor, got);
    moved += got;
  }
  return moved;
}

void SocketWriter::write(std::span<const std::string_view> pieces) {
  if (!socket_) throw std::logic_error("wfile used before attach(): a handler's setup() override must call the base class's setup() first");
  std::size_t total = 0;
  for (auto piece : pieces) total += piece.size();
  if (buffer_size_ > 0 && buffer_.size() + total < buffer_size_) {
    for (auto piece : pieces) buffer_.append(piece);
    return;
  }
  flush();
  send_all(pieces);
}

void SocketWriter::flush() {
  if (buffer_.empty()) return;
  std::string pending;
  pending.swap(buffer_);
  std::string_view piece = pending;
  send_all(std::span<const std::string_view>(&piece, 1));
}

void SocketWriter::apply_timeout() {
  if (timeout == kernel_timeout_ || socket_->non_blocking() || tls_) return;
  detail::set_kernel_timeout(socket_->native_handle(), detail::KernelTimeout::send, timeout);
  kernel_timeout_ = timeout;
}

std::uint64_t SocketWriter::send_file(int file_descriptor, std::uint64_t offset, std::uint64_t count) {
  if (!socket_) throw std::logic_error("wfile used before attach(): a handler's setup() override must call the base class's setup() first");
  flush();
  if (tls_) return send_file_through_tls(file_descriptor, offset, count);
  apply_timeout();
  std::uint64_t sent = 0;
  auto whole = transfer_deadline(count);
  while (sent < count) {
    std::size_t chunk = within_rate(whole, [&](const auto& deadline) {
      return detail::send_file_some(*socket_, file_descriptor, offset + sent, paced(count - sent), deadline);
    });
    if (chunk == 0) break;  // the file is shorter than count
    sent += chunk;
  }
  return sent;
}

// TLS must encrypt the file's bytes, so they pass through the process after all.
std::uint64_t SocketWriter::send_file_through_tls(int file_descriptor, std::uint64_t offset, std::uint64_t count) {
  constexpr std::uint64_t piece_size = 64 * 1024;
  std::string piece(static_cast<std::size_t>(std::min(count, piece_size)), '\0');
  std::uint64_t sent = 0;
  while (sent < count) {
    auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(count - sent, piece.size()));
    ssize_t got = ::pread(file_descriptor, piece.data(), wanted, static_cast<off_t>(offset + sent));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw boost::system::system_error(errno, boost::system::system_category(), "read the file to send");
    if (got == 0) break;  // the file is shorter than count
    std::string_view bytes(piece.data(), static_cast<std::size_t>(got));
    send_all(std::span<const std::string_view>(&bytes, 1));
    sent += static_cast<std::uint64_t>(got);
  }
  return sent;
}

std::optional<std::chrono::steady_clock::time_point> SocketWriter::transfer_deadline(std::uint64_t bytes) const {
  if (min_rate == 0) return std::nullopt;
  double allowed = static_cast<double>(bytes) / static_cast<double>(min_rate) + (timeout ? timeout->count() : 0.0);
  return detail::time_after(Seconds(allowed));
}

// The deadline of the next wait: the inactivity limit, but never past the whole
// transfer's deadline, which a trickling reader must not outlive.
std::optional<std::chrono::steady_clock::time_point> SocketWriter::next_deadline(
    const std::optional<std::chrono::steady_clock::time_point>& whole) const {
  auto next = detail::deadline_after(timeout);
  if (!whole) return next;
  if (detail::Clock::now() >= *whole) throw_too_slow();
  return next ? std::min(*next, *whole) : *whole;
}

void SocketWriter::throw_too_slow() const {
  throw boost::system::system_error(boost::asio::error::timed_out,
                                    "transfer slower than min_rate (" + std::to_string(min_rate) + " bytes/s)");
}

// A wait that ran into the whole transfer's deadline failed for the rate, not for silence.
template <class Send>
std::size_t SocketWriter::within_rate(const std::optional<std::chrono::steady_clock::time_point>& whole,
                                      Send send) const {
  try {
    return send(next_deadline(whole));
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::timed_out && whole && detail::Clock::now() >= *whole) throw_too_slow();
    throw;
  }
}

// A blocking sendmsg() or sendfile() keeps going for as long as the peer takes a little at
// a time, so with a minimum rate each call is offered what the socket's send buffer has
// room for now, plus 64 KiB: a fast peer still gets large calls (the buffer empties as fast
// as it fills), and a trickling one brings the call back to the rate check as soon as it
// has taken those 64 KiB.
std::uint64_t SocketWriter::paced(std::uint64_t wanted) const {
  if (min_rate == 0) return wanted;
  int fd = socket_->native_handle();
  int capacity = 0, queued = 0;
  socklen_t size = sizeof capacity;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &capacity, &size) != 0 || ::ioctl(fd, SIOCOUTQ, &queued) != 0)
    return wanted;
  auto room = static_cast<std::uint64_t>(std::max(capacity - queued, 0));
  return std::min<std::uint64_t>(wanted, room + 64 * 1024);
}

std::size_t SocketWriter::send_some(std::span<const boost::asio::const_buffer> buffers,
                                    const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  if (!tls_) return detail::write_some(*socket_, buffers, deadline);
  return detail::tls_write_some(*tls_, *socket_, buffers.front(), deadline);
}

void SocketWriter::send_all(std::span<const std::string_view> pieces) {
  // Each TLS write is a record of its own (with a header and a tag, and a send()): small
  // pieces (a frame's header and its body) go joined in one.
  constexpr std::size_t record_size = 16 * 1024;
  std::string joined;
  std::string_view joined_piece;
  if (tls_ && pieces.size() > 1) {
    std::size_t total = 0;
    for (auto piece : pieces) total += piece.size();
    if (total <= record_size) {
      joined.reserve(total);
      for (auto piece : pieces) joined.append(piece);
      joined_piece = joined;
      pieces = std::span<const std::string_view>(&joined_piece, 1);
    }
  }
  apply_timeout();
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(pieces.size());
  for (auto piece : pieces)
    if (!piece.empty()) buffers.emplace_back(piece.data(), piece.size());

  std::size_t total = 0;
  for (auto piece : pieces) total += piece.size();
  auto whole = transfer_deadline(total);
  std::size_t first = 0;
  while (first < buffers.size()) {
    auto rest = std::span<const boost::asio::const_buffer>(buffers).subspan(first);
    boost::asio::const_buffer limited;
    if (std::size_t offer = paced(rest.front().size()); offer < rest.front().size()) {
      limited = boost::asio::buffer(rest.front(), offer);
      rest = std::span<const boost::asio::const_buffer>(&limited, 1);
    }
    std::size_t sent = within_rate(whole, [&](const auto& deadline) { return send_some(rest, deadline); });
    // Drop what was sent: whole buffers first, then the front of a partly sent one.
    while (first < buffers.size() && sent >= buffers[first].size()) sent -= buffers[first++].size();
    if (first < buffers.size()) buffers[first] += sent;
  }
}

} // namespace socketserver
