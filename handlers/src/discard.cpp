#include "socketserver/handlers/discard.hpp"

#include <string_view>

namespace socketserver::handlers {

void DiscardHandler::handle_message() {
  std::string_view bytes = rfile.peek();
  if (bytes.empty()) close_connection = true;
  rfile.consume(bytes.size());
}

} // namespace socketserver::handlers
