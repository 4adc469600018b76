/// @file
/// @brief Message framing over a stream: fixed-length, delimited and length-prefixed
/// messages, read from a ByteReader (`rfile`) and written to a ByteWriter (`wfile`).
///
/// The socket HOWTO: "messages must either be fixed length (yuck), or be delimited (shrug),
/// or indicate how long they are (much better), or end by shutting down the connection",
/// and then leaves the code "as an exercise for the reader". This is that exercise.
///
/// Every reader takes a maximum size and checks it before buffering or allocating, so a
/// peer announcing a 4 GiB message, or never sending the delimiter, raises LimitExceeded
/// instead of growing the server's memory. A message cut short by the end of the stream
/// raises IncompleteRead (or ProtocolError); a stream that ends cleanly between two messages
/// makes the reader return nothing.
///
/// ```cpp
/// struct FramedEcho : socketserver::StreamRequestHandler {
///   void handle() override {
///     while (auto message = socketserver::read_length_prefixed(rfile, 64 * 1024))
///       socketserver::write_length_prefixed(wfile, *message);
///   }
/// };
/// ```
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "socketserver/reader.hpp"
#include "socketserver/writer.hpp"

namespace socketserver {

/// The default largest message the readers accept: 1 MiB.
inline constexpr std::size_t default_max_message_size = 1024 * 1024;

/// The largest body a 4-byte length prefix can announce.
inline constexpr std::size_t max_length_prefixed_size = 0xFFFFFFFFu;

/// Exactly @p size bytes, or nothing when the stream ends cleanly before the first byte.
/// Throws IncompleteRead when it ends after some but not all of them, and
/// std::invalid_argument when @p size is 0 (a zero-length message cannot be told from the
/// end of the stream).
std::optional<std::string> read_fixed(ByteReader& reader, std::size_t size);

/// Writes @p message, which must be exactly @p size bytes long (std::invalid_argument
/// otherwise), in one write.
void write_fixed(ByteWriter& writer, std::string_view message, std::size_t size);

/// The bytes before the next @p delimiter (which is consumed), or nothing at a clean end of
/// stream. Throws LimitExceeded when no delimiter comes within @p max_size bytes, and
/// ProtocolError when the stream ends inside a message.
std::optional<std::string> read_delimited(ByteReader& reader, std::string_view delimiter,
                                          std::size_t max_size = default_max_message_size);

/// Writes @p message followed by @p delimiter in one write; throws std::invalid_argument
/// when @p message contains @p delimiter (the reader would split it).
void write_delimited(ByteWriter& writer, std::string_view message, std::string_view delimiter);

/// One message prefixed by its length as a 4-byte big-endian integer, or nothing when the
/// stream ends cleanly before the prefix. Throws LimitExceeded, before reading or
/// allocating the body, when the prefix announces more than @p max_size bytes, and
/// IncompleteRead when the stream ends inside the prefix or the body.
std::optional<std::string> read_length_prefixed(ByteReader& reader,
                                                std::size_t max_size = default_max_message_size);

/// Writes the 4-byte big-endian length of @p message, then @p message, in one write; throws
/// std::length_error when @p message is longer than max_length_prefixed_size.
void write_length_prefixed(ByteWriter& writer, std::string_view message);

/// The 4-byte big-endian prefix of a message of @p size bytes; throws std::length_error past
/// max_length_prefixed_size.
std::string length_prefix(std::size_t size);

/// One of the three framings, chosen at run time (a `--fixed N` flag, say), with its size
/// limit: what a program that supports several framings passes around.
class Framing {
public:
  /// The kinds of framing.
  enum class Kind {
    fixed,          ///< every message has the same length
    delimited,      ///< each message ends with a delimiter
    length_prefixed ///< each message starts with its 4-byte big-endian length
  };

  /// Messages of exactly @p size bytes (at least 1; std::invalid_argument otherwise).
  static Framing fixed(std::size_t size);
  /// Messages ended by @p delimiter (not empty), at most @p max_size bytes long.
  static Framing delimited(std::string delimiter, std::size_t max_size = default_max_message_size);
  /// Length-prefixed messages of at most @p max_size bytes.
  static Framing length_prefixed(std::size_t max_size = default_max_message_size);

  /// Which framing this is.
  Kind kind() const noexcept { return kind_; }
  /// The largest message read() accepts (the fixed size for fixed-length messages).
  std::size_t max_size() const noexcept { return max_size_; }
  /// The delimiter (empty unless Kind::delimited).
  const std::string& delimiter() const noexcept { return delimiter_; }

  /// The next message, or nothing at a clean end of stream; throws like read_fixed(),
  /// read_delimited() or read_length_prefixed().
  std::optional<std::string> read(ByteReader& reader) const;
  /// Writes @p message framed, in one write; throws like write_fixed(), write_delimited() or
  /// write_length_prefixed().
  void write(ByteWriter& writer, std::string_view message) const;

private:
  Framing(Kind kind, std::size_t max_size, std::string delimiter)
      : kind_(kind), max_size_(max_size), delimiter_(std::move(delimiter)) {}

  Kind kind_;
  std::size_t max_size_;
  std::string delimiter_;
};

} // namespace socketserver
