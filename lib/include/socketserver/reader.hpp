/// @file
/// @brief ByteReader: buffered reading of lines, counted bytes and delimited messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace socketserver {

class ByteReader;

/// The lines of a ByteReader, for range-for: `for (const std::string& line : rfile.lines())`.
///
/// Each line keeps its `\n`; the last one may lack it. Iteration ends at end of stream.
class LineRange {
public:
  /// An input iterator over lines; reading happens on increment.
  class iterator {
  public:
    using iterator_category = std::input_iterator_tag; ///< single pass
    using value_type = std::string;                    ///< one line
    using difference_type = std::ptrdiff_t;            ///< unused
    using pointer = const std::string*;                ///< pointer to the current line
    using reference = const std::string&;              ///< the current line

    /// The end iterator.
    iterator() = default;
    /// An iterator positioned on the first line of @p reader.
    explicit iterator(ByteReader* reader);
    /// The current line.
    reference operator*() const { return line_; }
    /// Pointer to the current line.
    pointer operator->() const { return &line_; }
    /// Reads the next line.
    iterator& operator++();
    /// Reads the next line (the returned copy is not usable for iteration).
    void operator++(int) { ++*this; }
    /// Equal when both are at the end.
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.reader_ == b.reader_;
    }

  private:
    ByteReader* reader_ = nullptr;
    std::string line_;
  };

  /// Lines of @p reader.
  explicit LineRange(ByteReader& reader) : reader_(&reader) {}
  /// Reads the first line.
  iterator begin() { return iterator(reader_); }
  /// The end of the stream.
  iterator end() { return {}; }

private:
  ByteReader* reader_;
};

/// Buffered reading, Python's `rfile`: the parsing half shared by sockets and packets.
///
/// Subclasses supply bytes through `fill()`. Every method is binary-safe (NUL bytes are
/// ordinary bytes), and none buffers more than its limit, so a peer that never sends a
/// newline costs at most `max_line_length` bytes of memory.
class ByteReader {
public:
  /// Default for #max_line_length: 64 KiB, as Python's http.server allows.
  static constexpr std::size_t default_max_line_length = 64 * 1024;

  /// @param buffer_size bytes read from the source at a time (Python's `rbufsize`).
  explicit ByteReader(std::size_t buffer_size = 16 * 1024);
  virtual ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  /// The longest line `readline()` without a limit accepts before throwing LimitExceeded.
  std::size_t max_line_length = default_max_line_length;

  /// Up to @p size bytes: whatever is available, waiting only until at least one byte is
  /// (like `recv(size)`), and never more than the buffer size per call, so a large @p size
  /// costs no memory up front. Returns an empty string at end of stream.
  std::string read(std::size_t size);

  /// Python's `readinto`: reads into @p destination what is available, waiting only until
  /// at least one byte is, and returns how many bytes that was (0 at end of stream). With
  /// nothing buffered and a @p destination at least as large as the buffer, the bytes go
  /// straight from the source into @p destination: no copy, no allocation.
  std::size_t read_into(std::span<char> destination);

  /// Python's `peek()`: the bytes buffered, after one read from the source when none are
  /// (waiting only until at least one byte arrives); empty at end of stream. Nothing is
  /// consumed: call consume() with how many of them were used. The view is valid until
  /// the next call on the reader. With write() of the view, this is the copy-free way to
  /// pass bytes on.
  std::string_view peek();

  /// Drops the first @p size buffered bytes (at most buffered()), as after peek().
  void consume(std::size_t size);

  /// Exactly @p size bytes; throws IncompleteRead if the stream ends first.
  std::string read_exactly(std::size_t size);

  /// Everything until end of stream; throws LimitExceeded past @p limit bytes.
  std::string read_all(std::size_t limit);

  /// One line including its `\n`, or what remains before end of stream (empty at the end).
  /// Throws LimitExceeded when no newline comes within #max_line_length bytes.
  std::string readline();

  /// Python's `readline(limit)`: at most @p limit bytes, stopping after the first `\n`.
  std::string readline(std::size_t limit);

  /// The bytes before the next @p delimiter, which is consumed but not returned.
  /// Returns nothing at a clean end of stream; throws ProtocolError when the stream ends
  /// inside a message and LimitExceeded when no delimiter comes within @p limit bytes.
  std::optional<std::string> read_until(std::string_view delimiter, std::size_t limit);

  /// The remaining lines, for range-for.
  LineRange lines() { return LineRange(*this); }

  /// Changes how many bytes are read from the source at a time (takes effect on the next read).
  void set_buffer_size(std::size_t buffer_size);

  /// Bytes already received and buffered but not yet returned.
  std::size_t buffered() const noexcept { return end_ - begin_; }

  /// Bytes handed out so far, by every kind of read: how a caller tells whether a piece
  /// of code made progress through the stream.
  std::uint64_t consumed() const noexcept { return consumed_; }

  /// True once the source has reported end of stream and the buffer is empty.
  bool at_eof() const noexcept { return eof_ && buffered() == 0; }

protected:
  /// Called at the start of every public read, before any fill(): a place to start a deadline.
  virtual void begin_operation() {}

  /// Reads at least one byte into [@p data, @p data + @p size), or returns 0 at end of stream.
  virtual std::size_t fill(char* data, std::size_t size) = 0;

  /// Called before the buffer is filled while it holds nothing. A source that can wait
  /// for bytes without a buffer waits here (SocketReader in a fiber), so that a connection
  /// waiting for its next message holds no buffer: the buffer is taken when bytes are
  /// there and given back when they are consumed. Does nothing by default.
  virtual void wait_for_bytes() {}

  /// Makes @p bytes the buffered content (for sources that arrive whole, like datagrams).
  void preload(std::string_view bytes);

private:
  std::size_t fill_buffer();
  // Room at the end of the buffer for one read (empty once end of stream is known), and
  // the bytes read into it (0 records end of stream).
  std::span<char> prepare();
  void commit(std::size_t count);
  std::string take(std::size_t size);
  std::optional<std::size_t> scan_for(std::string_view delimiter, std::size_t limit);
  void reserve_for(std::size_t size);

  void resize_buffer(std::size_t capacity);
  void release_buffer() noexcept;
  const char* buffered_data() const noexcept { return buffer_ ? buffer_.get() + begin_ : ""; }

  // Not a std::vector: its zero-filling would touch every page of the buffer, and an idle
  // connection would then cost its whole buffer in resident memory. Drained buffers go
  // back to a small per-thread cache, so giving them back costs no allocation.
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t buffer_size_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::uint64_t consumed_ = 0;
};

} // namespace socketserver
