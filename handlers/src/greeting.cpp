#include "socketserver/handlers/greeting.hpp"

namespace socketserver::handlers {

void GreetingHandler::handle() {
  wfile.write(greeting_);
  std::string answer = rfile.read(max_reply_);
  if (!answer.empty()) log_(without_newline(answer));
}

} // namespace socketserver::handlers
