/// @file
/// @brief The character generator protocol (RFC 864): an endless rotating pattern of
/// printable characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

namespace socketserver::handlers {

/// Line @p index of RFC 864's pattern: 72 of the 95 printable ASCII characters, starting
/// one character further along for each line, then `\r\n`.
std::string chargen_line(std::uint64_t index);

/// Chargen over a connection: sends the pattern until the client closes the connection
/// (which ends the handler quietly) or, when a limit is given, until that many bytes went.
class ChargenHandler : public StreamRequestHandler {
public:
  /// @param limit bytes to send before closing; none sends until the client goes away.
  explicit ChargenHandler(std::optional<std::uint64_t> limit = std::nullopt) : limit_(limit) {}
  /// Sends the pattern.
  void handle() override;

private:
  std::optional<std::uint64_t> limit_;
};

/// Chargen over datagrams: each datagram is answered with a random number (0 to 512) of
/// characters of the pattern, as RFC 864 says.
class ChargenDatagramHandler : public DatagramRequestHandler {
public:
  /// The largest reply, in characters.
  static constexpr std::size_t max_reply = 512;
  /// Replies with a random slice of the pattern.
  void handle() override;
};

} // namespace socketserver::handlers
