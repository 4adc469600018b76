/// @file
/// @brief Opening the files a server sends: a regular file only, and, for a name a client
/// chose, only beneath a root folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string_view>

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
  ///
  /// To a SocketWriter the bytes go with `send_file()`, 1 MiB per call, so that its
  /// `min_rate` holds for each MiB: every MiB must be sent within `timeout` plus
  /// 1 MiB / `min_rate` seconds.
  void send_to(ByteWriter& writer, std::string_view header = {}) const;

private:
  int fd_;
  std::uint64_t size_;
};

/// Opens the regular file at @p path; throws FileRefused when it is missing, unreadable or
/// not a regular file.
///
/// The type is checked before anything is opened for reading (on an `O_PATH` descriptor),
/// so a device node, a FIFO or a socket is refused without its open() ever running: no
/// driver acts on it, nothing blocks. This holds for open_beneath() too.
OpenFile open_regular_file(const std::filesystem::path& path);

/// The longest name open_beneath() accepts.
inline constexpr std::size_t max_file_name_length = 4096;

/// Opens @p name, a relative path that may go through subfolders, under the folder
/// @p root. Throws FileRefused for an empty or absolute name, a `..` component, a name
/// longer than max_file_name_length, a name whose symlinks lead out of @p root, a missing
/// or unreadable file, and anything that is not a regular file (refused unopened, as by
/// open_regular_file()). Symlinks that stay inside @p root are followed.
///
/// The kernel does the resolution (`openat2` with `RESOLVE_BENEATH`), so a symlink swapped
/// in mid-way cannot escape either; on kernels without it the resolved path is checked.
OpenFile open_beneath(const std::filesystem::path& root, std::string_view name);

} // namespace socketserver::handlers
