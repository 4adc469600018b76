// The reason OpenSSL gives for the call that just failed, in words.
#pragma once

#include <string>

namespace socketserver::detail {

/// Empties this thread's OpenSSL error queue and returns its most specific entry as text
/// ("certificate verify failed", "no such file or directory"); @p fallback when it is empty.
std::string take_openssl_error(const std::string& fallback = "unknown TLS error");

} // namespace socketserver::detail
