/// @file
/// @brief The discard protocol (RFC 863): everything received is thrown away.
#pragma once

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/message_request_handler.hpp>

namespace socketserver::handlers {

/// Discard over a connection: reads and drops everything until the client closes.
///
/// Each chunk that arrives is one message (see MessageRequestHandler).
class DiscardHandler : public MessageRequestHandler {
public:
  /// Reads up to 64 KiB at a time.
  DiscardHandler() { rbufsize = 64 * 1024; }
  /// Drops what has arrived; closes at end of stream.
  void handle_message() override;
};

/// Discard over datagrams: no reply.
class DiscardDatagramHandler : public DatagramRequestHandler {
public:
  /// Does nothing: the datagram is dropped and no reply is sent.
  void handle() override {}
};

} // namespace socketserver::handlers
