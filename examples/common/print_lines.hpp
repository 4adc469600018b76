// Lines on the server's stdout, the examples' log: each written whole and flushed at once.
#pragma once

#include <string_view>

namespace example {

/// Writes @p line and a newline to stdout as one piece, and flushes at once: lines from
/// concurrent threads never interleave, and a forked child's lines are never lost in a
/// buffer it does not flush.
void print_line(std::string_view line);

/// @p text without one trailing line ending (`\n` or `\r\n`), as the tutorials' servers
/// print what they received.
std::string_view without_newline(std::string_view text) noexcept;

} // namespace example
