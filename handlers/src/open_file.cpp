#include "socketserver/handlers/open_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "socketserver/socket_io.hpp"

namespace socketserver::handlers {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;  // read and written at a time without sendfile
// sendfile(2)'s piece: a writer's min_rate deadline (timeout + piece / min_rate) then holds
// for every MiB, so a reader cannot bank the time a big file earns and trickle for hours.
constexpr std::uint64_t send_file_piece = 1024 * 1024;

class Descriptor {
public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

[[noreturn]] void refuse(int error) {
  switch (error) {
  case ENOENT:
  case ENOTDIR: throw FileRefused("no such file");
  case EACCES:
  case EPERM: throw FileRefused("permission denied");
  case EXDEV:
  case ELOOP: throw FileRefused("name escapes the root");
  case ENAMETOOLONG: throw FileRefused("name too long");
  case EISDIR: throw FileRefused("not a regular file");
  default: throw FileRefused(std::generic_category().message(error));
  }
}

// A file is first only looked at: an O_PATH descriptor runs no driver's open() and never
// blocks, so a device node (a tape that rewinds, a watchdog that arms), a FIFO or a socket
// is refused without being opened. Only a regular file is then opened for reading.
constexpr int look_flags = O_PATH | O_CLOEXEC;
constexpr int read_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// Checks the descriptor is a regular file and wraps it.
OpenFile regular_file(Descriptor& fd) {
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) refuse(errno);
  if (!S_ISREG(status.st_mode)) throw FileRefused("not a regular file");
  return OpenFile(fd.release(), static_cast<std::uint64_t>(status.st_size));
}

// Opens the file that @p looked (an O_PATH descriptor) stands for, if it is a regular file.
OpenFile open_looked_at(const Descriptor& looked) {
  struct stat status {};
  if (::fstat(looked.get(), &status) != 0) refuse(errno);
  if (!S_ISREG(status.st_mode)) throw FileRefused("not a regular file");
  // Through /proc/self/fd: the very inode checked, whatever has become of its name since.
  std::string self = "/proc/self/fd/" + std::to_string(looked.get());
  Descriptor fd(::open(self.c_str(), read_flags));
  if (fd.get() < 0 && errno == ENOENT) throw FileRefused("cannot reopen the file (is /proc mounted?)");
  if (fd.get() < 0) refuse(errno);
  return regular_file(fd);
}

// What a name may look like before the file system is asked at all.
void check_name(std::string_view name) {
  if (name.empty()) throw FileRefused("empty name");
  if (name.size() > max_file_name_length) throw FileRefused("name too long");
  if (name.find('\0') != std::string_view::npos) throw FileRefused("no such file");
  if (name.front() == '/') throw FileRefused("name escapes the root");
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t end = std::min(name.find('/', start), name.size());
    if (name.substr(start, end - start) == "..") throw FileRefused("name escapes the root");
    start = end + 1;
  }
}

// Without openat2: resolve every symlink, then check the result is still under the root.
OpenFile open_beneath_by_path(const std::filesystem::path& root, std::string_view name) {
  std::error_code error;
  auto real_root = std::filesystem::canonical(root, error);
  if (error) refuse(error.value());
  auto real_file = std::filesystem::canonical(real_root / std::filesystem::path(name), error);
  if (error) refuse(error.value());
  auto relative = real_file.lexically_relative(real_root);
  if (relative.empty() || *relative.begin() == "..") throw FileRefused("name escapes the root");
  Descriptor looked(::open(real_file.c_str(), look_flags | O_NOFOLLOW));
  if (looked.get() < 0) refuse(errno);
  return open_looked_at(looked);
}

} // namespace

OpenFile::~OpenFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OpenFile::send_to(ByteWriter& writer, std::string_view header) const {
  // To a connection: sendfile(2), from the page cache straight to the socket.
  if (auto* socket = dynamic_cast<SocketWriter*>(&writer); socket && size_ > 0) {
    if (!header.empty()) socket->write(header);
    for (std::uint64_t offset = 0; offset < size_;) {
      std::uint64_t piece = std::min(send_file_piece, size_ - offset);
      if (socket->send_file(fd_, offset, piece) < piece) throw std::runtime_error("the file shrank while it was being sent");
      offset += piece;
    }
    return;
  }
  std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(size_, chunk_size)));
  std::uint64_t offset = 0;
  bool header_sent = false;
  while (offset < size_) {
    auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size_ - offset));
    ssize_t count = ::pread(fd_, chunk.data(), wanted, static_cast<off_t>(offset));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw std::system_error(errno, std::generic_category(), "reading the file");
    if (count == 0) throw std::runtime_error("the file shrank while it was being sent");
    std::string_view piece(chunk.data(), static_cast<std::size_t>(count));
    if (!header_sent) writer.write({header, piece});
    else writer.write(piece);
    header_sent = true;
    offset += static_cast<std::uint64_t>(count);
  }
  if (!header_sent && !header.empty()) writer.write(header);
}

OpenFile open_regular_file(const std::filesystem::path& path) {
  Descriptor looked(::open(path.c_str(), look_flags));
  if (looked.get() < 0) refuse(errno);
  return open_looked_at(looked);
}

OpenFile open_beneath(const std::filesystem::path& root, std::string_view name) {
  check_name(name);
  Descriptor directory(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0) refuse(errno);
  open_how how{};
  how.flags = look_flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  std::string path(name);
  Descriptor looked(static_cast<int>(::syscall(SYS_openat2, directory.get(), path.c_str(), &how, sizeof how)));
  if (looked.get() < 0) {
    int error = errno;
    if (error == ENOSYS || error == EPERM) return open_beneath_by_path(root, name);  // old kernel, seccomp
    refuse(error);
  }
  return open_looked_at(looked);
}

} // namespace socketserver::handlers
