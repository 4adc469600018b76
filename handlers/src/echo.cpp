#include "socketserver/handlers/echo.hpp"

#include "socketserver/handlers/discard.hpp"

#include <memory>
#include <span>
#include <string_view>

namespace socketserver::handlers {

void EchoHandler::handle() {
  // One buffer for the connection's life: each chunk goes socket -> buffer -> socket.
  auto buffer = std::make_unique_for_overwrite<char[]>(chunk_size_);
  std::span<char> room(buffer.get(), chunk_size_);
  for (std::size_t count = rfile.read_into(room); count > 0; count = rfile.read_into(room))
    wfile.write(std::string_view(buffer.get(), count));
}

void EchoDatagramHandler::handle() { wfile.write(request().packet); }

void DiscardHandler::handle() {
  while (!rfile.read(64 * 1024).empty()) {
  }
}

} // namespace socketserver::handlers
