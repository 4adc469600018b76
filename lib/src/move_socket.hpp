// detail::move_to_context(): hands a connected socket to another io_context.
#pragma once

#include <optional>

#include <boost/asio/io_context.hpp>

#include "socketserver/request.hpp"

namespace socketserver::detail {

/// Re-creates the descriptor of @p socket (an open connection) on @p context, whose
/// reactor then watches it: how a connection moves between the request loop and the
/// context of the sockets handlers use. Returns false, leaving @p socket as it was, when
/// the connection is already gone.
bool move_to_context(std::optional<StreamSocket>& socket, boost::asio::io_context& context);

} // namespace socketserver::detail
