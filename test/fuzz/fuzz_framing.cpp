// Fuzzes the framing decoders (fixed-length, delimited, length-prefixed) over a random
// stream in random chunks, with size limits up to the 4 GiB a prefix can announce: every
// message must respect its limit, re-encoding the messages must give back the stream, and
// no lying length may make the decoder allocate more than the bytes that really arrived
// (AddressSanitizer's allocation limit turns that into a crash).
#include <cstdint>
#include <optional>

#include <socketserver/byte_order.hpp>
#include <socketserver/errors.hpp>
#include <socketserver/framing.hpp>

#include "fuzz_common.hpp"

using fuzz::check;
using socketserver::Framing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  std::string payload = input.ConsumeRandomLengthString(1 << 16);
  std::size_t max_size = 0;
  switch (input.ConsumeIntegralInRange<int>(0, 2)) {
  case 0: max_size = input.ConsumeIntegralInRange<std::size_t>(1, 64); break;
  case 1: max_size = input.ConsumeIntegralInRange<std::size_t>(1, 1 << 20); break;
  case 2: max_size = input.ConsumeIntegralInRange<std::size_t>(1, 0xFFFFFFFFu); break;
  }
  std::optional<Framing> framing;
  switch (input.ConsumeIntegralInRange<int>(0, 2)) {
  case 0: framing = Framing::fixed(std::min<std::size_t>(max_size, 1 << 16)); break;
  case 1: {
    std::string delimiter = input.ConsumeRandomLengthString(4);
    framing = Framing::delimited(delimiter.empty() ? "\n" : delimiter, max_size);
    break;
  }
  case 2: framing = Framing::length_prefixed(max_size); break;
  }
  auto buffer_size = input.ConsumeIntegralInRange<std::size_t>(1, 4096);
  fuzz::ChunkedReader reader(payload, input, buffer_size);

  fuzz::StringWriter encoded;  // the messages, framed again
  bool clean_end = false;
  try {
    for (int count = 0; count < 100000; ++count) {
      std::optional<std::string> message = framing->read(reader);
      if (!message) {
        clean_end = true;
        break;
      }
      check(message->size() <= framing->max_size(), "a message is larger than the limit");
      if (framing->kind() == Framing::Kind::fixed) check(message->size() == framing->max_size(), "wrong fixed size");
      if (framing->kind() == Framing::Kind::delimited)
        check(message->find(framing->delimiter()) == std::string::npos, "a message holds the delimiter");
      framing->write(encoded, *message);
      check(std::string_view(payload).starts_with(encoded.data), "re-encoding does not match the stream");
    }
  } catch (const socketserver::ProtocolError&) {
    // Limit exceeded, truncated or malformed: a clear error, which is what we want. The
    // messages before it were checked above.
    return 0;
  }
  if (clean_end) check(encoded.data == payload, "a clean end before the whole stream was decoded");
  return 0;
}
