/// @file
/// @brief LineSink: where the bundled handlers print their log lines.
#pragma once

#include <functional>
#include <string_view>

namespace socketserver::handlers {

/// Receives each line a handler logs, without its newline. It may be called from several
/// threads, and from forked children, at once.
using LineSink = std::function<void(std::string_view line)>;

/// Writes @p line and a newline to stdout as one piece, and flushes at once: lines from
/// concurrent threads never interleave, and a forked child's lines are never lost in a
/// buffer it does not flush.
void print_line(std::string_view line);

/// A LineSink that calls print_line(): the default of every logging handler.
LineSink stdout_sink();

/// @p text without one trailing line ending (`\n` or `\r\n`), as the tutorials' servers
/// print what they received.
std::string_view without_newline(std::string_view text) noexcept;

} // namespace socketserver::handlers
