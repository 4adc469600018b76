// detail::ActiveConnections: the connections whose handlers are running, so that a
// draining server can end them once its drain deadline has passed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace socketserver::detail {

/// A thread-safe registry of the descriptors of connections being served.
///
/// A handler's thread registers its connection before the handler runs and unregisters it
/// before the connection is closed, so every registered descriptor is open: shutdown_all()
/// never touches a descriptor number that was closed and reused meanwhile.
class ActiveConnections {
public:
  /// Identifies one registration.
  using Id = std::uint64_t;

  /// Registers the connected socket @p fd. Once shutdown_all() has been called, @p fd is
  /// shut down at once too, so a handler that starts during the drain ends quickly.
  Id add(int fd);
  /// Unregisters @p id (before its descriptor is closed).
  void remove(Id id) noexcept;
  /// Shuts down both directions of every registered connection: blocked reads return end
  /// of stream and writes fail, so their handlers end. Returns how many there were.
  std::size_t shutdown_all() noexcept;
  /// Connections registered now.
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<Id, int> fds_;
  Id next_id_ = 0;
  bool shutting_down_ = false;
};

} // namespace socketserver::detail
