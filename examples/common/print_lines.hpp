// Lines on the server's stdout, the examples' log: each written whole and flushed at once,
// and what a client sent turned into lines that name the client and cannot drive a terminal.
#pragma once

#include <string>
#include <string_view>

namespace example {

/// Writes @p line and a newline to stdout as one piece, and flushes at once: lines from
/// concurrent threads never interleave, and a forked child's lines are never lost in a
/// buffer it does not flush.
void print_line(std::string_view line);

/// @p text without one trailing line ending (`\n` or `\r\n`), as the tutorials' servers
/// print what they received.
std::string_view without_newline(std::string_view text) noexcept;

/// The log lines of @p text, which a client sent: one trailing line ending dropped (as
/// without_newline() does), then every line of it (ended by `\n` or `\r\n`) as
/// `PREFIX LINE`, joined by newlines, no newline at the end. Each LINE goes through
/// socketserver::printable(), so control bytes and invalid UTF-8 show as `\xNN`.
///
/// @p prefix names the client (its real address), so every line a client's bytes produce
/// starts with it: a client cannot forge a line that seems to come from elsewhere.
std::string client_lines(std::string_view prefix, std::string_view text);

} // namespace example
