#include "socketserver/handlers/message_log.hpp"

#include <string>

namespace socketserver::handlers {

void MessageLogHandler::handle() {
  const std::string client = client_address().to_string();
  log_("Connected by " + client);
  for (std::string data = rfile.read(piece_size_); !data.empty(); data = rfile.read(piece_size_))
    log_(client + " " + std::string(without_newline(data)));
  log_("Closing connection from " + client);
}

void MessageLogDatagramHandler::handle() {
  log_(client_address().to_string() + " " + std::string(without_newline(request().packet)));
}

} // namespace socketserver::handlers
