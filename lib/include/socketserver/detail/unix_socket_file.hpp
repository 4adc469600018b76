/// @file
/// @brief detail::UnixSocketFile: the socket file of a Unix-domain server, and only that.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace socketserver::detail {

/// What kind of socket a Unix socket file belongs to.
enum class SocketKind { stream, datagram };

/// The socket file a Unix-domain server binds. A stale file (nobody listens on it: a
/// server died without cleaning up) is replaced; a live server's file is never taken
/// over. remove() unlinks the file only while it is still the one this server created
/// (same device and inode): if somebody removed it and another server bound the same path
/// meanwhile, that server's file stays.
class UnixSocketFile {
public:
  UnixSocketFile() = default;
  ~UnixSocketFile() { remove(); }
  UnixSocketFile(const UnixSocketFile&) = delete;
  UnixSocketFile& operator=(const UnixSocketFile&) = delete;

  /// Calls @p bind (which binds a socket to @p path and throws system_error on failure);
  /// when it fails because a stale file is in the way, removes that file and calls it
  /// again. Then records which file was created.
  void bind(const std::string& path, SocketKind kind, const std::function<void()>& bind);

  /// Removes the file created by bind(), if it is still there; idempotent.
  void remove() noexcept;

private:
  std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool created_ = false;
};

} // namespace socketserver::detail
