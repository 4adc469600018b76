#include "socketserver/handlers/time_protocol.hpp"

#include <socketserver/byte_order.hpp>

namespace socketserver::handlers {

std::uint32_t rfc868_time(std::chrono::system_clock::time_point when) noexcept {
  auto unix_seconds = std::chrono::floor<std::chrono::seconds>(when.time_since_epoch()).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(unix_seconds) + rfc868_epoch_offset);
}

std::string rfc868_bytes(std::chrono::system_clock::time_point when) {
  return to_big_endian(rfc868_time(when));
}

} // namespace socketserver::handlers
