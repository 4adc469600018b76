/// @file
/// @brief Exceptions for peers that break a protocol's rules.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace socketserver {

/// The peer sent something the reader cannot accept: too much, too little, or malformed.
///
/// I/O failures (resets, timeouts) are reported as `boost::system::system_error` instead;
/// a timeout carries `boost::asio::error::timed_out`.
class ProtocolError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The stream ended before a complete line, message or field had arrived.
class IncompleteRead : public ProtocolError {
public:
  /// @param expected bytes the caller asked for; @param received bytes that arrived before EOF.
  IncompleteRead(std::size_t expected, std::size_t received)
      : ProtocolError("connection closed after " + std::to_string(received) + " of " +
                      std::to_string(expected) + " expected bytes"),
        expected_(expected), received_(received) {}

  /// How many bytes the caller asked for.
  std::size_t expected() const noexcept { return expected_; }
  /// How many bytes arrived before the end of the stream.
  std::size_t received() const noexcept { return received_; }

private:
  std::size_t expected_;
  std::size_t received_;
};

/// A line, message or whole stream grew past the limit the reader was given.
///
/// Raised before the oversized data is buffered, so a hostile peer cannot make the
/// server allocate more than the limit.
class LimitExceeded : public ProtocolError {
public:
  /// @param what what grew too large ("line", "message", ...); @param limit the limit in bytes.
  LimitExceeded(const std::string& what, std::size_t limit)
      : ProtocolError(what + " longer than the limit of " + std::to_string(limit) + " bytes"),
        limit_(limit) {}

  /// The limit that was exceeded, in bytes.
  std::size_t limit() const noexcept { return limit_; }

private:
  std::size_t limit_;
};

} // namespace socketserver
