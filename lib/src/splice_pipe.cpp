#include "splice_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw boost::system::system_error(errno, boost::system::system_category(), what);
}

} // namespace

SplicePipe::SplicePipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw_errno("pipe2");
  read_end_ = ends[0];
  write_end_ = ends[1];
  // Larger than the default so one splice moves more; refused past
  // /proc/sys/fs/pipe-max-size, which is not an error.
  int granted = ::fcntl(write_end_, F_SETPIPE_SZ, 1 << 20);
  if (granted > 0) capacity_ = static_cast<std::size_t>(granted);
}

SplicePipe::~SplicePipe() {
  ::close(read_end_);
  ::close(write_end_);
}

void SplicePipe::drain_into(int file_descriptor, std::size_t size) {
  while (size > 0 && destination_takes_splice_) {
    ssize_t moved = ::splice(read_end_, nullptr, file_descriptor, nullptr, size, SPLICE_F_MOVE);
    if (moved > 0) {
      size -= static_cast<std::size_t>(moved);
    } else if (moved < 0 && errno == EINVAL) {
      destination_takes_splice_ = false;
    } else if (moved < 0 && errno != EINTR) {
      throw_errno("splice");
    } else if (moved == 0) {
      throw boost::system::system_error(boost::system::errc::make_error_code(boost::system::errc::io_error),
                                        "splice: destination took nothing");
    }
  }
  if (size > 0) copy_into(file_descriptor, size);
}

void SplicePipe::copy_into(int file_descriptor, std::size_t size) {
  constexpr std::size_t chunk = 64 * 1024;
  auto buffer = std::make_unique_for_overwrite<char[]>(chunk);
  while (size > 0) {
    ssize_t got = ::read(read_end_, buffer.get(), std::min(size, chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw_errno("read");
    write_all(file_descriptor, buffer.get(), static_cast<std::size_t>(got));
    size -= static_cast<std::size_t>(got);
  }
}

void write_all(int file_descriptor, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t written = ::write(file_descriptor, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw_errno("write");
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

} // namespace socketserver::detail
