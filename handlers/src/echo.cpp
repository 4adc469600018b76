#include "socketserver/handlers/echo.hpp"

#include "socketserver/handlers/discard.hpp"

#include <memory>
#include <span>
#include <string_view>

namespace socketserver::handlers {

namespace {

// One buffer per thread, shared by the connections that thread serves (one at a time, or
// message by message): each chunk goes socket -> buffer -> socket. Allocated on the first
// message, so a connection that never sends costs no buffer.
std::span<char> chunk_buffer(std::size_t size) {
  thread_local std::unique_ptr<char[]> buffer;
  thread_local std::size_t capacity = 0;
  if (capacity < size) {
    buffer = std::make_unique_for_overwrite<char[]>(size);
    capacity = size;
  }
  return {buffer.get(), size};
}

} // namespace

void EchoHandler::handle_message() {
  std::span<char> room = chunk_buffer(chunk_size_);
  std::size_t count = rfile.read_into(room);
  if (count == 0) {
    close_connection = true;
    return;
  }
  wfile.write(std::string_view(room.data(), count));
}

void EchoDatagramHandler::handle() { wfile.write(request().packet); }

void DiscardHandler::handle_message() {
  if (rfile.read_into(chunk_buffer(64 * 1024)) == 0) close_connection = true;
}

} // namespace socketserver::handlers
