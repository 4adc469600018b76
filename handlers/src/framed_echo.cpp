#include "socketserver/handlers/framed_echo.hpp"

#include "socketserver/handlers/greeting.hpp"

namespace socketserver::handlers {

void FramedEchoHandler::handle_message() {
  std::optional<std::string> message = framing_.read(rfile);
  if (!message) {
    close_connection = true;
    return;
  }
  framing_.write(wfile, *message);
}

void GreetingHandler::handle() {
  wfile.write(greeting_);
  std::string answer = rfile.read(max_reply_);
  if (!answer.empty()) log_(without_newline(answer));
}

} // namespace socketserver::handlers
