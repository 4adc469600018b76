#include "socketserver/handlers/daytime.hpp"

#include <cstdio>
#include <ctime>

#include <socketserver/byte_order.hpp>

#include "socketserver/handlers/time_protocol.hpp"

namespace socketserver::handlers {

std::string ctime_text(std::chrono::system_clock::time_point when) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  // asctime()'s own format, spelled out so that no locale can change it.
  char text[64];
  std::snprintf(text, sizeof text, "%s %s %2d %02d:%02d:%02d %d", days[local.tm_wday % 7],
                months[local.tm_mon % 12], local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                local.tm_year + 1900);
  return text;
}

void DaytimeHandler::handle() { wfile.write(ctime_text(now_()) + "\n"); }

void DaytimeDatagramHandler::handle() { wfile.write(ctime_text(now_()) + "\n"); }

std::uint32_t rfc868_time(std::chrono::system_clock::time_point when) noexcept {
  auto unix_seconds = std::chrono::floor<std::chrono::seconds>(when.time_since_epoch()).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(unix_seconds) + rfc868_epoch_offset);
}

std::string rfc868_bytes(std::chrono::system_clock::time_point when) {
  return to_big_endian(rfc868_time(when));
}

void TimeHandler::handle() { wfile.write(rfc868_bytes(now_())); }

void TimeDatagramHandler::handle() { wfile.write(rfc868_bytes(now_())); }

} // namespace socketserver::handlers
