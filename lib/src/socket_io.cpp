#include "socketserver/socket_io.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "splice_pipe.hpp"
#include "timed_io.hpp"

namespace socketserver {

void SocketReader::begin_operation() {
  if (!socket_) throw std::logic_error("SocketReader used before attach()");
  if (timeout != kernel_timeout_) {
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
  return detail::read_some(*socket_, boost::asio::buffer(data, size), deadline_, may_block);
}

std::uint64_t SocketReader::read_to_file(int file_descriptor, std::uint64_t count) {
  std::uint64_t moved = 0;
  while (moved < count && buffered() > 0) {
    std::string part = read(static_cast<std::size_t>(std::min<std::uint64_t>(count - moved, buffered())));
    detail::write_all(file_descriptor, part.data(), part.size());
    moved += part.size();
  }
  if (moved == count || at_eof()) return moved;
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
  if (!socket_) throw std::logic_error("SocketWriter used before attach()");
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
  if (timeout == kernel_timeout_) return;
  detail::set_kernel_timeout(socket_->native_handle(), detail::KernelTimeout::send, timeout);
  kernel_timeout_ = timeout;
}

std::uint64_t SocketWriter::send_file(int file_descriptor, std::uint64_t offset, std::uint64_t count) {
  if (!socket_) throw std::logic_error("SocketWriter used before attach()");
  flush();
  apply_timeout();
  std::uint64_t sent = 0;
  while (sent < count) {
    std::size_t chunk = detail::send_file_some(*socket_, file_descriptor, offset + sent, count - sent,
                                               detail::deadline_after(timeout));
    if (chunk == 0) break;  // the file is shorter than count
    sent += chunk;
  }
  return sent;
}

void SocketWriter::send_all(std::span<const std::string_view> pieces) {
  apply_timeout();
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(pieces.size());
  for (auto piece : pieces)
    if (!piece.empty()) buffers.emplace_back(piece.data(), piece.size());

  std::size_t first = 0;
  while (first < buffers.size()) {
    auto deadline = detail::deadline_after(timeout);
    std::size_t sent = detail::write_some(
        *socket_, std::span<const boost::asio::const_buffer>(buffers).subspan(first), deadline);
    // Drop what was sent: whole buffers first, then the front of a partly sent one.
    while (first < buffers.size() && sent >= buffers[first].size()) sent -= buffers[first++].size();
    if (first < buffers.size()) buffers[first] += sent;
  }
}

} // namespace socketserver
