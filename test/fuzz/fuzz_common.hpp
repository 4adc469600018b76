// What the fuzz targets share: a ByteReader fed from the fuzz input in chunks of fuzzed
// sizes, a ByteWriter into a string, and a check that aborts with a message.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include <socketserver/reader.hpp>
#include <socketserver/writer.hpp>

namespace fuzz {

/// Aborts (a libFuzzer crash) when @p condition is false.
inline void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "check failed: %s\n", what);
  std::abort();
}

/// Serves @p payload in pieces whose sizes come from @p control, like recv() on a socket
/// that delivers whatever the network happened to bring.
class ChunkedReader : public socketserver::ByteReader {
public:
  ChunkedReader(std::string payload, FuzzedDataProvider& control, std::size_t buffer_size)
      : ByteReader(buffer_size), payload_(std::move(payload)), control_(control) {}

  std::size_t fills() const noexcept { return fills_; }

protected:
  std::size_t fill(char* data, std::size_t size) override {
    check(size > 0, "fill() asked for 0 bytes");
    ++fills_;
    std::size_t left = payload_.size() - offset_;
    if (left == 0) return 0;
    std::size_t most = std::min(size, left);
    std::size_t count = control_.remaining_bytes() > 0 ? control_.ConsumeIntegralInRange<std::size_t>(1, most) : most;
    payload_.copy(data, count, offset_);
    offset_ += count;
    return count;
  }

private:
  std::string payload_;
  std::size_t offset_ = 0;
  FuzzedDataProvider& control_;
  std::size_t fills_ = 0;
};

/// Collects what is written.
class StringWriter : public socketserver::ByteWriter {
public:
  using ByteWriter::write;
  void write(std::span<const std::string_view> pieces) override {
    for (auto piece : pieces) data.append(piece);
  }
  std::string data;
};

} // namespace fuzz
