#include "socketserver/detail/idle_connections.hpp"

#include <exception>
#include <stdexcept>

#include <boost/system/system_error.hpp>

#include "move_socket.hpp"
#include "socketserver/base_server.hpp"
#include "socketserver/detail/deadline.hpp"

namespace socketserver::detail {

void IdleConnections::park(Request request, std::optional<Seconds> timeout,
                           std::function<void(Request)> ready) {
  std::uint64_t id = next_id_++;
  auto entry = std::make_unique<Parked>(Parked{std::move(request), boost::asio::steady_timer(loop_), std::move(ready), std::chrono::steady_clock::now()});
  entry->request.connection->async_wait(boost::asio::socket_base::wait_read,
                                        [this, id](const boost::system::error_code& error) {
                                          if (error != boost::asio::error::operation_aborted) on_readable(id);
                                        });
  if (timeout) {
    entry->timer.expires_after(clock_duration(*timeout));
    entry->timer.async_wait([this, id](const boost::system::error_code& error) {
      if (!error)
        drop(id, std::make_exception_ptr(
                     boost::system::system_error(boost::asio::error::timed_out, "no request within the timeout")));
    });
  }
  parked_.emplace(id, std::move(entry));
}

void IdleConnections::on_readable(std::uint64_t id) {
  auto found = parked_.find(id);
  if (found == parked_.end()) return;
  std::unique_ptr<Parked> entry = std::move(found->second);
  parked_.erase(found);
  entry->timer.cancel();
  try {
    // Move the connection off the loop's context, so that its later traffic does not
    // wake the request loop while a blocking handler serves it (a forked child); a pool's
    // fibers wait on the loop, so their connections stay there.
    std::optional<StreamSocket>& socket = entry->request.connection;
    if (&socket->get_executor().context() != &connections_) {
      if (!move_to_context(socket, connections_)) return;  // the peer is gone; closed with the entry
      socket->native_non_blocking(false);                  // waiting on the loop made it non-blocking
    }
    entry->ready(std::move(entry->request));
  } catch (...) {  // out of descriptors, threads or memory: this connection is lost, not the server
    server_.handle_error(entry->request, std::current_exception());
  }
}

void IdleConnections::drop(std::uint64_t id, std::exception_ptr why) {
  auto found = parked_.find(id);
  if (found == parked_.end()) return;
  std::unique_ptr<Parked> entry = std::move(found->second);
  parked_.erase(found);
  entry->timer.cancel();
  server_.handle_error(entry->request, why);
  boost::system::error_code ignored;
  entry->request.connection->close(ignored);
}

bool IdleConnections::drop_oldest() {
  if (parked_.empty()) return false;
  if (std::chrono::steady_clock::now() - parked_.begin()->second->since < min_idle_to_drop) return false;
  drop(parked_.begin()->first,
       std::make_exception_ptr(std::runtime_error("dropped to make room: silent when the connection limit was reached")));
  return true;
}

void IdleConnections::close_all() {
  for (auto& [id, entry] : parked_) {
    boost::system::error_code ignored;
    entry->timer.cancel();
    entry->request.connection->close(ignored);
  }
  parked_.clear();
}

} // namespace socketserver::detail
