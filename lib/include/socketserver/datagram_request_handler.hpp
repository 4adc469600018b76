/// @file
/// @brief DatagramRequestHandler: a handler for one datagram.
#pragma once

#include "socketserver/base_request_handler.hpp"
#include "socketserver/packet_io.hpp"

namespace socketserver {

/// Python's `DatagramRequestHandler`: #rfile reads the datagram, and what handle() writes
/// to #wfile is sent back to the sender in one datagram by finish(). Nothing is sent when
/// handle() never writes; an empty write sends an empty datagram.
class DatagramRequestHandler : public BaseRequestHandler {
public:
  /// The received datagram.
  PacketReader rfile;
  /// The reply, sent by finish().
  PacketWriter wfile;

  /// The server's socket (Python's `self.socket`).
  DatagramSocket& socket() const { return *request().datagram_socket; }

  /// Attaches #rfile to the datagram.
  void setup() override;
  /// Sends #wfile's contents to the sender, if anything was written.
  void finish() override;
};

} // namespace socketserver
