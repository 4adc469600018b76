/// @file
/// @brief Message echo: framed messages (length-prefixed, fixed-length or delimited) sent
/// back as messages.
#pragma once

#include <socketserver/framing.hpp>
#include <socketserver/message_request_handler.hpp>

namespace socketserver::handlers {

/// Reads messages in a Framing and sends each back in the same framing, one write per
/// message, until the client closes between two messages.
///
/// A message over the framing's maximum size (a length prefix announcing too much, say),
/// or one cut short by the end of the stream, raises ProtocolError: the server logs it
/// through `handle_error()` and closes that connection, without having buffered the
/// oversized message.
///
/// Each framed message is one MessageRequestHandler message. A message that has only
/// partly arrived waits for the rest for at most `timeout`.
class FramedEchoHandler : public MessageRequestHandler {
public:
  /// @param framing how messages are delimited (length-prefixed, at most 1 MiB, by default).
  explicit FramedEchoHandler(Framing framing = Framing::length_prefixed()) : framing_(std::move(framing)) {}
  /// Echoes one message; closes at end of stream.
  void handle_message() override;

private:
  Framing framing_;
};

} // namespace socketserver::handlers
