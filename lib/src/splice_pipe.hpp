// A kernel pipe to move received bytes into a file with splice(2): socket -> pipe -> file,
// the page references travel, the bytes are never copied through the process.
#pragma once

#include <cstddef>

namespace socketserver::detail {

class SplicePipe {
public:
  /// Opens the pipe and asks for a 1 MiB capacity (the default 64 KiB if refused).
  SplicePipe();
  ~SplicePipe();
  SplicePipe(const SplicePipe&) = delete;
  SplicePipe& operator=(const SplicePipe&) = delete;

  /// Where splice_some() puts bytes.
  int write_end() const { return write_end_; }
  /// How many bytes the pipe holds when full.
  std::size_t capacity() const { return capacity_; }

  /// Moves @p size bytes, all in the pipe, into @p file_descriptor; blocks until they are
  /// written. Uses splice(2) while the destination takes it, and read/write otherwise
  /// (a file opened with O_APPEND, say).
  void drain_into(int file_descriptor, std::size_t size);

private:
  void copy_into(int file_descriptor, std::size_t size);

  int read_end_ = -1;
  int write_end_ = -1;
  std::size_t capacity_ = 64 * 1024;
  bool destination_takes_splice_ = true;
};

/// Writes all of [@p data, @p data + @p size) to @p file_descriptor (retrying short writes).
void write_all(int file_descriptor, const char* data, std::size_t size);

} // namespace socketserver::detail
