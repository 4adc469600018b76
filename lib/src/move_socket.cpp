#include "move_socket.hpp"

namespace socketserver::detail {

bool move_to_context(std::optional<StreamSocket>& socket, boost::asio::io_context& context) {
  // A generic socket does not remember its protocol: ask the descriptor.
  boost::system::error_code error;
  auto protocol = socket->local_endpoint(error).protocol();
  if (error) return false;
  StreamSocket moved(context, protocol, socket->release());
  socket.emplace(std::move(moved));
  return true;
}

} // namespace socketserver::detail
