#include "socketserver/reader.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "socketserver/errors.hpp"

namespace socketserver {
namespace {

// Largest piece read_exactly() and read_all() grow their result by before the bytes have
// arrived: the memory a lying length can cost is bounded by what the peer really sends.
constexpr std::size_t max_growth_step = 1024 * 1024;

// Buffers given back by the readers of this thread, for the next reader that needs one:
// a connection gives its buffer back whenever it has consumed everything, so an idle
// connection holds none, and taking one again must be cheap.
class BufferCache {
public:
  std::unique_ptr<char[]> take(std::size_t capacity) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->capacity != capacity) continue;
      std::unique_ptr<char[]> buffer = std::move(it->memory);
      free_.erase(it);
      return buffer;
    }
    return std::unique_ptr<char[]>(new char[capacity]);  // uninitialised on purpose
  }

  void give(std::unique_ptr<char[]> buffer, std::size_t capacity) noexcept {
    if (free_.size() >= kept) return;  // freed
    try {
      free_.push_back({std::move(buffer), capacity});
    } catch (...) {  // out of memory: freed instead
    }
  }

private:
  static constexpr std::size_t kept = 8;
  struct Entry {
    std::unique_ptr<char[]> memory;
    std::size_t capacity;
  };
  std::vector<Entry> free_;
};

BufferCache& buffer_cache() {
  thread_local BufferCache cache;
  return cache;
}

} // namespace

LineRange::iterator::iterator(ByteReader* reader) : reader_(reader) { ++*this; }

LineRange::iterator& LineRange::iterator::operator++() {
  line_ = reader_->readline();
  if (line_.empty()) reader_ = nullptr;
  return *this;
}

ByteReader::ByteReader(std::size_t buffer_size) : buffer_size_(std::max<std::size_t>(buffer_size, 1)) {}

ByteReader::~ByteReader() { release_buffer(); }

void ByteReader::set_buffer_size(std::size_t buffer_size) {
  buffer_size_ = std::max<std::size_t>(buffer_size, 1);
}

std::string ByteReader::read(std::size_t size) {
  begin_operation();
  if (size == 0) return {};
  if (buffered() == 0) {
    if (eof_) return {};
    fill_buffer();
  }
  return take(std::min(size, buffered()));
}

std::size_t ByteReader::read_into(std::span<char> destination) {
  begin_operation();
  if (destination.empty()) return 0;
  if (buffered() == 0) {
    if (eof_) return 0;
    if (destination.size() >= buffer_size_) {
      std::size_t count = fill(destination.data(), destination.size());
      if (count == 0) eof_ = true;
      consumed_ += count;
      return count;
    }
    fill_buffer();
  }
  std::size_t count = std::min(destination.size(), buffered());
  std::memcpy(destination.data(), buffered_data(), count);
  consume(count);
  return count;
}

std::string_view ByteReader::peek() {
  begin_operation();
  if (buffered() == 0) fill_buffer();
  return {buffered_data(), buffered()};
}

std::string ByteReader::read_exactly(std::size_t size) {
  begin_operation();
  std::string result = take(std::min(size, buffered()));
  while (result.size() < size) {
    std::size_t missing = size - result.size();
    if (eof_) throw IncompleteRead(size, result.size());
    if (missing >= buffer_size_) {
      std::size_t old_size = result.size();
      result.resize(old_size + std::min(missing, max_growth_step));
      std::size_t count = fill(result.data() + old_size, result.size() - old_size);
      result.resize(old_size + count);
      if (count == 0) eof_ = true;
    } else if (fill_buffer() > 0) {
      result += take(std::min(missing, buffered()));
    }
  }
  return result;
}

std::string ByteReader::read_all(std::size_t limit) {
  begin_operation();
  std::string result = take(std::min(buffered(), limit + 1));
  while (!eof_ && result.size() <= limit) {
    std::size_t old_size = result.size();
    result.resize(old_size + std::min(std::max(buffer_size_, old_size), max_growth_step));
    std::size_t count = fill(result.data() + old_size, result.size() - old_size);
    result.resize(old_size + count);
    if (count == 0) eof_ = true;
  }
  if (result.size() > limit) throw LimitExceeded("stream", limit);
  return result;
}

std::string ByteReader::readline() {
  begin_operation();
  if (auto length = scan_for("\n", max_line_length)) return take(*length);
  // A last line of exactly max_line_length bytes without a newline is within the limit:
  // look one read further for the end of the stream before refusing it.
  if (!eof_ && buffered() == max_line_length) fill_buffer();
  // Past the limit even when the end of stream is already known (a datagram, say).
  if (!eof_ || buffered() > max_line_length) throw LimitExceeded("line", max_line_length);
  return take(buffered());
}

std::string ByteReader::readline(std::size_t limit) {
  begin_operation();
  if (auto length = scan_for("\n", limit)) return take(*length);
  return take(std::min(buffered(), limit));
}

std::optional<std::string> ByteReader::read_until(std::string_view delimiter, std::size_t limit) {
  begin_operation();
  if (delimiter.empty()) throw std::invalid_argument("read_until: empty delimiter");
  if (auto length = scan_for(delimiter, limit + delimiter.size())) {
    std::string message = take(*length);
    message.resize(*length - delimiter.size());
    return message;
  }
  if (!eof_ || buffered() > limit) throw LimitExceeded("message", limit);
  if (buffered() == 0) return std::nullopt;
  throw ProtocolError("connection closed in the middle of a message");
}

void ByteReader::preload(std::string_view bytes) {
  begin_ = end_ = 0;
  release_buffer();
  resize_buffer(bytes.size());
  if (!bytes.empty()) std::memcpy(buffer_.get(), bytes.data(), bytes.size());
  begin_ = 0;
  end_ = bytes.size();
  eof_ = true;
}

std::size_t ByteReader::fill_buffer() {
  if (buffered() == 0 && !eof_) wait_for_bytes();
  std::span<char> room = prepare();
  if (room.empty()) return 0;
  std::size_t count = fill(room.data(), room.size());
  commit(count);
  return count;
}

std::span<char> ByteReader::prepare() {
  if (eof_) return {};
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ < buffer_size_) resize_buffer(buffer_size_);
  if (end_ == capacity_) reserve_for(buffered() + buffer_size_);
  return {buffer_.get() + end_, capacity_ - end_};
}

void ByteReader::commit(std::size_t count) {
  if (count == 0) eof_ = true;
  end_ += std::min(count, capacity_ - end_);
}

std::string ByteReader::take(std::size_t size) {
  if (size == 0) return {};
  std::string result(buffered_data(), size);
  consume(size);
  return result;
}

void ByteReader::consume(std::size_t size) {
  consumed_ += std::min(size, buffered());
  begin_ += std::min(size, buffered());
  if (begin_ == end_) {
    begin_ = end_ = 0;
    release_buffer();  // nothing left to hold it for
  }
}

std::optional<std::size_t> ByteReader::scan_for(std::string_view delimiter, std::size_t window) {
  std::size_t searched = 0;  // positions already known not to start a delimiter
  for (;;) {
    std::size_t available = std::min(buffered(), window);
    std::string_view data(buffered_data(), available);
    if (auto position = data.find(delimiter, searched); position != std::string_view::npos)
      return position + delimiter.size();
    if (available >= window || eof_) return std::nullopt;
    searched = available >= delimiter.size() ? available - delimiter.size() + 1 : 0;
    reserve_for(std::min(window, std::max(available * 2, available + buffer_size_)));
    fill_buffer();
  }
}

void ByteReader::reserve_for(std::size_t size) {
  if (capacity_ - begin_ >= size && end_ < capacity_) return;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, buffered());
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ < size) resize_buffer(size);
  if (end_ == capacity_) resize_buffer(capacity_ + buffer_size_);
}

void ByteReader::resize_buffer(std::size_t capacity) {
  capacity = std::max<std::size_t>(capacity, 1);
  std::unique_ptr<char[]> bigger = buffer_cache().take(capacity);
  if (end_ > begin_) std::memcpy(bigger.get(), buffer_.get() + begin_, buffered());
  end_ -= begin_;
  begin_ = 0;
  release_buffer();
  buffer_ = std::move(bigger);
  capacity_ = capacity;
}

void ByteReader::release_buffer() noexcept {
  if (!buffer_) return;
  buffer_cache().give(std::move(buffer_), capacity_);
  buffer_.reset();
  capacity_ = 0;
}

} // namespace socketserver
