// Fuzzes ByteReader: random operations (readline, readline(limit), read, read_exactly,
// read_until, read_all, peek + consume) over a random payload delivered in random chunks, each result
// checked against an exact model of what the operation must return or throw.
#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <optional>

#include <socketserver/errors.hpp>

#include "fuzz_common.hpp"

using fuzz::check;
using socketserver::IncompleteRead;
using socketserver::LimitExceeded;
using socketserver::ProtocolError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  std::string payload = input.ConsumeRandomLengthString(1 << 16);
  auto buffer_size = input.ConsumeIntegralInRange<std::size_t>(1, 64);
  fuzz::ChunkedReader reader(payload, input, buffer_size);
  reader.max_line_length = input.ConsumeIntegralInRange<std::size_t>(1, 300);
  const std::size_t max_line = reader.max_line_length;

  std::size_t consumed = 0;  // the model: payload[0, consumed) has been returned
  bool exact = true;         // false once read_all() threw: it drops what it had read
  for (int op = 0; op < 200 && input.remaining_bytes() > 0; ++op) {
    std::string_view rest = std::string_view(payload).substr(consumed);
    auto newline = rest.find('\n');
    switch (input.ConsumeIntegralInRange<int>(0, 6)) {
    case 0: {  // readline()
      std::optional<std::string> line;
      try {
        line = reader.readline();
      } catch (const LimitExceeded&) {
        if (std::getenv("FUZZ_TRACE"))
          std::fprintf(stderr, "readline: rest %zu bytes, newline at %zd, max_line %zu, consumed %zu, buffered %zu\n",
                       rest.size(), newline == std::string_view::npos ? -1 : static_cast<ssize_t>(newline), max_line,
                       consumed, reader.buffered());
        if (exact) check(rest.size() > max_line && (newline == std::string_view::npos || newline >= max_line),
                         "readline() threw LimitExceeded although a line fitted");
        break;
      }
      check(line->size() <= max_line || !exact, "readline() returned more than max_line_length");
      if (exact) {
        std::size_t expected = newline != std::string_view::npos ? newline + 1 : rest.size();
        check(newline == std::string_view::npos ? rest.size() <= max_line : newline < max_line,
              "readline() should have thrown LimitExceeded");
        check(*line == rest.substr(0, expected), "readline() returned the wrong bytes");
      }
      consumed += line->size();
      break;
    }
    case 1: {  // readline(limit)
      auto limit = input.ConsumeIntegralInRange<std::size_t>(0, 300);
      std::string line = reader.readline(limit);
      check(line.size() <= limit, "readline(limit) returned more than limit");
      if (exact) {
        std::size_t expected = std::min(newline != std::string_view::npos ? newline + 1 : rest.size(), limit);
        check(line == rest.substr(0, expected), "readline(limit) returned the wrong bytes");
      }
      consumed += line.size();
      break;
    }
    case 2: {  // read(n)
      auto n = input.ConsumeIntegralInRange<std::size_t>(0, 200);
      std::string piece = reader.read(n);
      check(piece.size() <= n, "read(n) returned more than n");
      if (exact) {
        check(rest.substr(0, piece.size()) == piece, "read(n) returned the wrong bytes");
        check(piece.empty() == (n == 0 || rest.empty()), "read(n) returned nothing before the end");
      }
      consumed += piece.size();
      break;
    }
    case 3: {  // read_exactly(n)
      auto n = input.ConsumeIntegralInRange<std::size_t>(0, 3000);
      try {
        std::string piece = reader.read_exactly(n);
        check(piece.size() == n, "read_exactly(n) returned another size");
        if (exact) check(piece == rest.substr(0, n), "read_exactly(n) returned the wrong bytes");
        consumed += n;
      } catch (const IncompleteRead& error) {
        if (exact) {
          check(rest.size() < n, "read_exactly() threw although the bytes were there");
          check(error.received() == rest.size() && error.expected() == n, "IncompleteRead counts are wrong");
        }
        check(reader.at_eof(), "IncompleteRead before the end of stream");
        consumed = payload.size();
      }
      break;
    }
    case 4: {  // read_until(delimiter, limit)
      std::string delimiter = input.ConsumeRandomLengthString(4);
      if (delimiter.empty()) delimiter = "\r\n";
      auto limit = input.ConsumeIntegralInRange<std::size_t>(0, 300);
      auto found = rest.find(delimiter);
      bool fits = found != std::string_view::npos && found <= limit;
      try {
        std::optional<std::string> message = reader.read_until(delimiter, limit);
        check(!message || message->size() <= limit, "read_until() returned more than limit");
        if (exact) {
          check(fits == message.has_value(), "read_until() found a delimiter that is not there, or missed one");
          if (message) check(*message == rest.substr(0, found), "read_until() returned the wrong bytes");
          else check(rest.empty(), "read_until() returned nothing before the end");
        }
        if (message) consumed += message->size() + delimiter.size();
      } catch (const LimitExceeded&) {
        if (exact) check(!fits && rest.size() > limit, "read_until() threw LimitExceeded although a message fitted");
      } catch (const ProtocolError&) {
        if (exact) check(!fits && !rest.empty() && rest.size() <= limit, "read_until() threw ProtocolError wrongly");
        check(reader.buffered() > 0, "ProtocolError with nothing buffered");
      }
      break;
    }
    case 5: {  // read_all(limit)
      auto limit = input.ConsumeIntegralInRange<std::size_t>(0, 1 << 17);
      try {
        std::string all = reader.read_all(limit);
        check(all.size() <= limit, "read_all() returned more than limit");
        if (exact) check(all == rest, "read_all() returned the wrong bytes");
        consumed = payload.size();
        check(reader.at_eof(), "read_all() returned before the end");
      } catch (const LimitExceeded&) {
        if (exact) check(rest.size() > limit, "read_all() threw although everything fitted");
        exact = false;
      }
      break;
    }
    case 6: {  // peek(), then consume() some of it
      std::string_view seen = reader.peek();
      check(seen.size() == reader.buffered(), "peek() did not return what is buffered");
      if (exact) {
        check(rest.substr(0, seen.size()) == seen, "peek() returned the wrong bytes");
        check(seen.empty() == rest.empty(), "peek() returned nothing before the end");
      }
      auto used = input.ConsumeIntegralInRange<std::size_t>(0, seen.size() + 2);  // past the end too
      reader.consume(used);
      consumed += std::min(used, seen.size());
      break;
    }
    }
    check(consumed <= payload.size(), "the model consumed more than the payload");
    check(reader.buffered() <= std::max<std::size_t>(payload.size(), 1), "buffered more than the payload");
  }
  // Whatever is left comes out intact.
  std::string tail;
  for (std::string piece = reader.read(4096); !piece.empty(); piece = reader.read(4096)) tail += piece;
  if (exact) check(tail == std::string_view(payload).substr(consumed), "the rest of the stream was damaged");
  check(reader.at_eof(), "not at the end after reading everything");
  return 0;
}
