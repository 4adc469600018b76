#include "active_connections.hpp"

#include <sys/socket.h>

namespace socketserver::detail {

// shutdown(2) straight on the descriptor: the socket object belongs to the handler's
// thread and Asio objects are not safe to share, but the descriptor stays open while it is
// registered (see the class comment), and shutdown(2) itself is thread-safe.

ActiveConnections::Id ActiveConnections::add(int fd) {
  std::lock_guard lock(mutex_);
  Id id = next_id_++;
  fds_.emplace(id, fd);
  if (shutting_down_) ::shutdown(fd, SHUT_RDWR);
  return id;
}

void ActiveConnections::remove(Id id) noexcept {
  std::lock_guard lock(mutex_);
  fds_.erase(id);
}

std::size_t ActiveConnections::shutdown_all() noexcept {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  for (const auto& [id, fd] : fds_) ::shutdown(fd, SHUT_RDWR);
  return fds_.size();
}

std::size_t ActiveConnections::size() const {
  std::lock_guard lock(mutex_);
  return fds_.size();
}

} // namespace socketserver::detail
