/// @file
/// @brief Network byte order: C's `htons`/`htonl` family for 16, 32 and 64 bits, and
/// big-endian encoding of integers into bytes.
///
/// The socket HOWTO: "a Motorola chip will represent a 16 bit integer with the value 1 as
/// the two hex bytes 00 01. Intel and DEC, however, are byte-reversed". Network byte order
/// is big-endian; these helpers convert whatever the host uses.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace socketserver {

/// @p value with its bytes in reverse order.
template <class UInt>
constexpr UInt byte_swap(UInt value) noexcept {
  static_assert(std::is_unsigned_v<UInt>, "byte_swap needs an unsigned integer type");
  UInt result = 0;
  for (std::size_t i = 0; i < sizeof(UInt); ++i) {
    result = static_cast<UInt>((result << 8) | (value & 0xFFu));
    value = static_cast<UInt>(value >> 8);
  }
  return result;
}

/// @p value converted between host and network (big-endian) order; the conversion is its
/// own inverse, so this serves both directions.
template <class UInt>
constexpr UInt host_network_swap(UInt value) noexcept {
  if constexpr (std::endian::native == std::endian::big || sizeof(UInt) == 1) {
    return value;
  } else {
    return byte_swap(value);
  }
}

/// C's `htons`: a 16-bit integer in network byte order.
constexpr std::uint16_t host_to_network16(std::uint16_t value) noexcept { return host_network_swap(value); }
/// C's `htonl`: a 32-bit integer in network byte order.
constexpr std::uint32_t host_to_network32(std::uint32_t value) noexcept { return host_network_swap(value); }
/// A 64-bit integer in network byte order (`htobe64`).
constexpr std::uint64_t host_to_network64(std::uint64_t value) noexcept { return host_network_swap(value); }
/// C's `ntohs`: a 16-bit integer from network to host byte order.
constexpr std::uint16_t network_to_host16(std::uint16_t value) noexcept { return host_network_swap(value); }
/// C's `ntohl`: a 32-bit integer from network to host byte order.
constexpr std::uint32_t network_to_host32(std::uint32_t value) noexcept { return host_network_swap(value); }
/// A 64-bit integer from network to host byte order (`be64toh`).
constexpr std::uint64_t network_to_host64(std::uint64_t value) noexcept { return host_network_swap(value); }

/// The `sizeof(UInt)` bytes of @p value, most significant first (network order).
template <class UInt>
constexpr std::array<char, sizeof(UInt)> big_endian_bytes(UInt value) noexcept {
  static_assert(std::is_unsigned_v<UInt>, "big_endian_bytes needs an unsigned integer type");
  std::array<char, sizeof(UInt)> bytes{};
  for (std::size_t i = sizeof(UInt); i-- > 0;) {
    bytes[i] = static_cast<char>(static_cast<unsigned char>(value & 0xFFu));
    value = static_cast<UInt>(value >> 8);
  }
  return bytes;
}

/// The `sizeof(UInt)` bytes of @p value in network order, as a string ready to send:
/// `wfile.write(to_big_endian(std::uint32_t{42}))`.
template <class UInt>
std::string to_big_endian(UInt value) {
  auto bytes = big_endian_bytes(value);
  return std::string(bytes.data(), bytes.size());
}

/// The integer whose network-order bytes are @p bytes; throws std::invalid_argument unless
/// there are exactly `sizeof(UInt)` of them.
template <class UInt>
constexpr UInt from_big_endian(std::string_view bytes) {
  static_assert(std::is_unsigned_v<UInt>, "from_big_endian needs an unsigned integer type");
  if (bytes.size() != sizeof(UInt))
    throw std::invalid_argument("from_big_endian: expected " + std::to_string(sizeof(UInt)) +
                                " bytes, got " + std::to_string(bytes.size()));
  UInt value = 0;
  for (char byte : bytes) value = static_cast<UInt>((value << 8) | static_cast<unsigned char>(byte));
  return value;
}

} // namespace socketserver
