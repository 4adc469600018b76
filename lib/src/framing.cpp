#include "socketserver/framing.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "socketserver/byte_order.hpp"
#include "socketserver/errors.hpp"

namespace socketserver {

std::optional<std::string> read_fixed(ByteReader& reader, std::size_t size) {
  if (size == 0) throw std::invalid_argument("read_fixed: the message size must be at least 1");
  // read() returns what is there (empty only at end of stream): the first byte tells a
  // clean end between messages from a message cut short. It allocates what it is asked
  // for, so ask for a bounded first piece; read_exactly() grows with what really arrives.
  std::string message = reader.read(std::min<std::size_t>(size, 64 * 1024));
  if (message.empty()) return std::nullopt;
  if (message.size() < size) {
    try {
      message += reader.read_exactly(size - message.size());
    } catch (const IncompleteRead& error) {
      throw IncompleteRead(size, message.size() + error.received());
    }
  }
  return message;
}

void write_fixed(ByteWriter& writer, std::string_view message, std::size_t size) {
  if (message.size() != size)
    throw std::invalid_argument("write_fixed: message of " + std::to_string(message.size()) +
                                " bytes, expected " + std::to_string(size));
  writer.write(message);
}

std::optional<std::string> read_delimited(ByteReader& reader, std::string_view delimiter,
                                          std::size_t max_size) {
  return reader.read_until(delimiter, max_size);
}

void write_delimited(ByteWriter& writer, std::string_view message, std::string_view delimiter) {
  if (delimiter.empty()) throw std::invalid_argument("write_delimited: empty delimiter");
  if (message.find(delimiter) != std::string_view::npos)
    throw std::invalid_argument("write_delimited: the message contains the delimiter");
  writer.write({message, delimiter});
}

std::string length_prefix(std::size_t size) {
  if (size > max_length_prefixed_size)
    throw std::length_error("message of " + std::to_string(size) +
                            " bytes is too long for a 4-byte length prefix");
  return to_big_endian(static_cast<std::uint32_t>(size));
}

std::optional<std::string> read_length_prefixed(ByteReader& reader, std::size_t max_size) {
  std::optional<std::string> prefix = read_fixed(reader, 4);
  if (!prefix) return std::nullopt;
  std::uint32_t length = from_big_endian<std::uint32_t>(*prefix);
  if (length > max_size) throw LimitExceeded("message", max_size);
  if (length == 0) return std::string();
  return reader.read_exactly(length);
}

void write_length_prefixed(ByteWriter& writer, std::string_view message) {
  std::string prefix = length_prefix(message.size());
  writer.write({std::string_view(prefix), message});
}

Framing Framing::fixed(std::size_t size) {
  if (size == 0) throw std::invalid_argument("fixed-length messages need a size of at least 1");
  return Framing(Kind::fixed, size, {});
}

Framing Framing::delimited(std::string delimiter, std::size_t max_size) {
  if (delimiter.empty()) throw std::invalid_argument("delimited messages need a delimiter");
  return Framing(Kind::delimited, max_size, std::move(delimiter));
}

Framing Framing::length_prefixed(std::size_t max_size) {
  return Framing(Kind::length_prefixed, std::min(max_size, max_length_prefixed_size), {});
}

std::optional<std::string> Framing::read(ByteReader& reader) const {
  switch (kind_) {
  case Kind::fixed: return read_fixed(reader, max_size_);
  case Kind::delimited: return read_delimited(reader, delimiter_, max_size_);
  case Kind::length_prefixed: return read_length_prefixed(reader, max_size_);
  }
  return std::nullopt;
}

void Framing::write(ByteWriter& writer, std::string_view message) const {
  switch (kind_) {
  case Kind::fixed: return write_fixed(writer, message, max_size_);
  case Kind::delimited: return write_delimited(writer, message, delimiter_);
  case Kind::length_prefixed: return write_length_prefixed(writer, message);
  }
}

} // namespace socketserver
