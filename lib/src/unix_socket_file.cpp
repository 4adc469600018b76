#include "unix_socket_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace socketserver::detail {
namespace {

template <class Protocol>
bool somebody_listens(const std::string& path) {
  boost::asio::io_context context;
  typename Protocol::socket probe(context);
  boost::system::error_code error;
  probe.open(Protocol(), error);
  if (error) return true;  // cannot tell: leave the file alone
  // Non-blocking, so a live server whose backlog is full answers "try again" at once
  // instead of holding this constructor until it accepts.
  probe.non_blocking(true, error);
  probe.connect(typename Protocol::endpoint(path), error);
  return error != boost::asio::error::connection_refused;
}

} // namespace

bool remove_stale_socket_file(const std::string& path, SocketKind kind) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return false;
  bool live = kind == SocketKind::stream
                  ? somebody_listens<boost::asio::local::stream_protocol>(path)
                  : somebody_listens<boost::asio::local::datagram_protocol>(path);
  return !live && ::unlink(path.c_str()) == 0;
}

void remove_socket_file(const std::string& path) noexcept { ::unlink(path.c_str()); }

} // namespace socketserver::detail
