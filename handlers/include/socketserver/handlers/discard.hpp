/// @file
/// @brief The discard protocol (RFC 863): everything received is thrown away.
#pragma once

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

namespace socketserver::handlers {

/// Discard over a connection: reads and drops everything until the client closes.
class DiscardHandler : public StreamRequestHandler {
public:
  /// Reads until end of stream.
  void handle() override;
};

/// Discard over datagrams: no reply.
class DiscardDatagramHandler : public DatagramRequestHandler {
public:
  /// Does nothing: the datagram is dropped and no reply is sent.
  void handle() override {}
};

} // namespace socketserver::handlers
