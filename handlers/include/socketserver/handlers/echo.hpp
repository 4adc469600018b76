/// @file
/// @brief The echo protocol (RFC 862): every byte received is sent back.
#pragma once

#include <cstddef>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/message_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

namespace socketserver::handlers {

/// Echo over a connection: sends back every byte as it arrives, until the client closes.
///
/// Each chunk that arrives is one message (see MessageRequestHandler). As with any handler,
/// a sync server serves one client at a time; async mode serves many, from one thread with
/// `threads = 1`.
class EchoHandler : public MessageRequestHandler {
public:
  /// @param chunk_size the most bytes read (and so written back) at a time: #rbufsize.
  explicit EchoHandler(std::size_t chunk_size = 64 * 1024) { rbufsize = chunk_size; }
  /// Sends back what has arrived, up to `chunk_size` bytes; closes at end of stream.
  void handle_message() override;
};

/// Echo over datagrams: each datagram, empty ones included, goes back to its sender.
class EchoDatagramHandler : public DatagramRequestHandler {
public:
  /// Sends the datagram back.
  void handle() override;
};

} // namespace socketserver::handlers
