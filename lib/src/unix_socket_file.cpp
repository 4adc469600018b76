#include "socketserver/detail/unix_socket_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/system_error.hpp>

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

// Removes @p path if it is a socket file nobody listens on. True when it did.
bool remove_stale_socket_file(const std::string& path, SocketKind kind) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return false;
  bool live = kind == SocketKind::stream
                  ? somebody_listens<boost::asio::local::stream_protocol>(path)
                  : somebody_listens<boost::asio::local::datagram_protocol>(path);
  return !live && ::unlink(path.c_str()) == 0;
}

} // namespace

void UnixSocketFile::bind(const std::string& path, SocketKind kind, const std::function<void()>& bind) {
  try {
    bind();
  } catch (const boost::system::system_error& e) {
    if (e.code() != boost::asio::error::address_in_use || !remove_stale_socket_file(path, kind)) throw;
    bind();
  }
  struct stat info {};
  if (path.empty() || path.front() == '\0' || ::lstat(path.c_str(), &info) != 0) return;  // abstract name: no file
  path_ = path;
  device_ = info.st_dev;
  inode_ = info.st_ino;
  created_ = true;
}

void UnixSocketFile::remove() noexcept {
  if (!created_) return;
  created_ = false;
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_dev == device_ && info.st_ino == inode_)
    ::unlink(path_.c_str());
}

} // namespace socketserver::detail
