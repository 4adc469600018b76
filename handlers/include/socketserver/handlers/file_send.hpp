/// @file
/// @brief File transfer: send one configured file, or any file under a root folder that
/// the client names, refusing names that escape the folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <socketserver/stream_request_handler.hpp>
#include <socketserver/writer.hpp>

namespace socketserver::handlers {

/// A file that cannot be served; what() is the reason, short enough for an `ERR` line
/// (`no such file`, `not a regular file`, `name escapes the root`, ...).
class FileRefused : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A regular file open for reading, with the size it had when opened. Move-only; closes
/// the file when destroyed.
class OpenFile {
public:
  /// Takes ownership of @p fd, a regular file of @p size bytes.
  OpenFile(int fd, std::uint64_t size) noexcept : fd_(fd), size_(size) {}
  /// Takes over @p other's file.
  OpenFile(OpenFile&& other) noexcept : fd_(other.fd_), size_(other.size_) { other.fd_ = -1; }
  OpenFile& operator=(OpenFile&&) = delete;
  /// Closes the file.
  ~OpenFile();

  /// The file's descriptor.
  int fd() const noexcept { return fd_; }
  /// The file's size when it was opened: what send_to() sends.
  std::uint64_t size() const noexcept { return size_; }

  /// Writes @p header, then the file's size() bytes, read and sent a chunk at a time (the
  /// file is never loaded whole); the header leaves with the first chunk, in one write.
  /// Throws std::runtime_error if the file shrinks meanwhile.
  void send_to(ByteWriter& writer, std::string_view header = {}) const;

private:
  int fd_;
  std::uint64_t size_;
};

/// Opens the regular file at @p path; throws FileRefused when it is missing, unreadable or
/// not a regular file.
OpenFile open_regular_file(const std::filesystem::path& path);

/// Opens @p name, a relative path that may go through subfolders, under the folder
/// @p root. Throws FileRefused for an empty or absolute name, a `..` component, a name
/// whose symlinks lead out of @p root, a missing or unreadable file, and anything that is
/// not a regular file. Symlinks that stay inside @p root are followed.
///
/// The kernel does the resolution (`openat2` with `RESOLVE_BENEATH`), so a symlink swapped
/// in mid-way cannot escape either; on kernels without it the resolved path is checked.
OpenFile open_beneath(const std::filesystem::path& root, std::string_view name);

/// The tutorials' file server: reads the client's request (whatever bytes it sends, such as
/// `Hello server!`, one read of up to 1024 bytes), sends the bytes of one configured file,
/// then closes. Lets the file's FileRefused reach the server's error log.
class FileSendHandler : public StreamRequestHandler {
public:
  /// Serves the file at @p path (opened anew for each client).
  explicit FileSendHandler(std::filesystem::path path) : path_(std::move(path)) {}
  /// Sends the file.
  void handle() override;

private:
  std::filesystem::path path_;
};

/// A file server for a whole folder: the client sends a request line (ended by `\n` or
/// `\r\n`) naming a file under the root; the reply is `OK SIZE\n` followed by the file's
/// bytes, or `ERR REASON\n` (see open_beneath()); then the server closes.
class FileRootHandler : public StreamRequestHandler {
public:
  /// The longest file name accepted.
  static constexpr std::size_t max_name_length = 4096;
  /// Serves files under @p root.
  explicit FileRootHandler(std::filesystem::path root) : root_(std::move(root)) {}
  /// Answers one request.
  void handle() override;

private:
  std::filesystem::path root_;
};

} // namespace socketserver::handlers
