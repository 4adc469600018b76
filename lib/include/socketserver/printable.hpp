/// @file
/// @brief printable(): client bytes made safe for a log line or a terminal.
#pragma once

#include <string>
#include <string_view>

namespace socketserver {

/// @p text with every byte that could forge a log line or drive a terminal written out
/// visibly: C0 controls other than tab (newline as `\n`, carriage return as `\r`, the
/// others as `\xNN`), DEL, C1 controls (U+0080 to U+009F) and bytes that are not valid
/// UTF-8 become `\xNN`. Valid UTF-8 text, tab and backslash pass unchanged, so ordinary
/// text prints exactly as sent.
///
/// Use it on anything a client chose before it reaches a log or the operator's screen:
/// the bytes it sent, the name of its Unix socket.
std::string printable(std::string_view text);

} // namespace socketserver
