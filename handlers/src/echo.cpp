#include "socketserver/handlers/echo.hpp"

#include <string_view>

namespace socketserver::handlers {

void EchoHandler::handle_message() {
  // Socket -> rfile's buffer -> socket: the bytes are never copied in between.
  std::string_view bytes = rfile.peek();
  if (bytes.empty()) {
    close_connection = true;
    return;
  }
  wfile.write(bytes);
  rfile.consume(bytes.size());
}

void EchoDatagramHandler::handle() { wfile.write(request().packet); }

} // namespace socketserver::handlers
