#include "openssl_errors.hpp"

#include <openssl/err.h>

#include <cstring>

namespace socketserver::detail {

std::string take_openssl_error(const std::string& fallback) {
  // The first entry is where the failure started (a verify error, a system error); later
  // ones only say which functions it passed through on its way out.
  unsigned long first = ERR_get_error();
  if (first == 0) return fallback;
  ERR_clear_error();
  if (ERR_SYSTEM_ERROR(first)) return std::strerror(ERR_GET_REASON(first));  // a file that is not there
  const char* reason = ERR_reason_error_string(first);
  if (reason) return reason;
  char text[256];
  ERR_error_string_n(first, text, sizeof text);
  return text;
}

} // namespace socketserver::detail
