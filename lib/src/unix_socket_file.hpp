// Unix-domain socket files: telling a stale file from a live server's.
#pragma once

#include <string>

namespace socketserver::detail {

enum class SocketKind { stream, datagram };

/// Removes @p path if it is a socket file nobody listens on (a server died without
/// cleaning up). Returns true when it removed the file; leaves live servers' files alone.
bool remove_stale_socket_file(const std::string& path, SocketKind kind);

/// Removes the socket file at @p path, ignoring errors.
void remove_socket_file(const std::string& path) noexcept;

} // namespace socketserver::detail
