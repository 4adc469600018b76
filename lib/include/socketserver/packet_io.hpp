/// @file
/// @brief PacketReader and PacketWriter: `rfile` and `wfile` of a datagram.
#pragma once

#include <string>
#include <string_view>

#include "socketserver/reader.hpp"
#include "socketserver/writer.hpp"

namespace socketserver {

/// Reads one received datagram as if it were a stream that ends with the datagram.
class PacketReader : public ByteReader {
public:
  /// An empty packet.
  PacketReader() = default;
  /// Makes @p packet the bytes to read.
  void attach(std::string_view packet) { preload(packet); }

protected:
  /// A datagram arrives whole: there is never more to read.
  std::size_t fill(char*, std::size_t) override { return 0; }
};

/// Collects the reply to a datagram; DatagramRequestHandler sends it in `finish()`.
class PacketWriter : public ByteWriter {
public:
  using ByteWriter::write;
  /// Appends the @p pieces to the reply.
  void write(std::span<const std::string_view> pieces) override {
    written_ = true;
    for (auto piece : pieces) data_.append(piece);
  }
  /// The reply collected so far.
  const std::string& data() const noexcept { return data_; }
  /// True once write() was called, even with no bytes: an empty reply is still a reply.
  bool written() const noexcept { return written_; }

private:
  std::string data_;
  bool written_ = false;
};

} // namespace socketserver
