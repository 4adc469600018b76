#include "socketserver/handlers/echo.hpp"

#include "socketserver/handlers/discard.hpp"

namespace socketserver::handlers {

void EchoHandler::handle() {
  for (std::string data = rfile.read(chunk_size_); !data.empty(); data = rfile.read(chunk_size_))
    wfile.write(data);
}

void EchoDatagramHandler::handle() { wfile.write(request().packet); }

void DiscardHandler::handle() {
  while (!rfile.read(64 * 1024).empty()) {
  }
}

} // namespace socketserver::handlers
