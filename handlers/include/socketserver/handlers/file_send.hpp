/// @file
/// @brief File transfer: send one configured file, or any file under a root folder that
/// the client names, refusing names that escape the folder.
#pragma once

#include <cstddef>
#include <filesystem>

#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/open_file.hpp"

namespace socketserver::handlers {

/// The tutorials' file server: reads the client's request (whatever bytes it sends, such as
/// `Hello server!`, one read of up to 1024 bytes), sends the bytes of one configured file,
/// then closes. Lets the file's FileRefused reach the server's error log.
class FileSendHandler : public StreamRequestHandler {
public:
  /// Serves the file at @p path (opened anew for each client); @p min_rate is the slowest
  /// transfer tolerated, in bytes per second (SocketWriter::min_rate; 0: no minimum).
  explicit FileSendHandler(std::filesystem::path path, std::size_t min_rate = 0)
      : path_(std::move(path)), min_rate_(min_rate) {}
  /// Sends the file.
  void handle() override;

private:
  std::filesystem::path path_;
  std::size_t min_rate_;
};

/// A file server for a whole folder: the client sends a request line (ended by `\n` or
/// `\r\n`) naming a file under the root; the reply is `OK SIZE\n` followed by the file's
/// bytes, or `ERR REASON\n` (see open_beneath()); then the server closes.
///
/// Every refusal also leaves one line in the server's log (BaseServer::log_message()):
/// `HOST:PORT: refused 'NAME': REASON`, the name made printable and cut after 100 bytes.
class FileRootHandler : public StreamRequestHandler {
public:
  /// The longest file name accepted.
  static constexpr std::size_t max_name_length = max_file_name_length;
  /// Serves files under @p root; @p min_rate is the slowest transfer tolerated, in bytes
  /// per second (SocketWriter::min_rate; 0: no minimum).
  explicit FileRootHandler(std::filesystem::path root, std::size_t min_rate = 0)
      : root_(std::move(root)), min_rate_(min_rate) {}
  /// Answers one request.
  void handle() override;

private:
  std::filesystem::path root_;
  std::size_t min_rate_;
};

} // namespace socketserver::handlers
