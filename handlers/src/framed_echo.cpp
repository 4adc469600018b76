#include "socketserver/handlers/framed_echo.hpp"

namespace socketserver::handlers {

void FramedEchoHandler::handle_message() {
  std::optional<std::string> message = framing_.read(rfile);
  if (!message) {
    close_connection = true;
    return;
  }
  framing_.write(wfile, *message);
}

} // namespace socketserver::handlers
