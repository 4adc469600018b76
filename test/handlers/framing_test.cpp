// Framing helpers and network byte order (lib/): in-memory readers that deliver a few
// bytes at a time, so every message is split across reads.
#define BOOST_TEST_MODULE framing
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <socketserver/byte_order.hpp>
#include <socketserver/errors.hpp>
#include <socketserver/framing.hpp>

using namespace socketserver;

namespace {

// A stream of @p data delivered @p step bytes per fill; fails the test if asked to read
// past @p allowed bytes (to prove a reader stopped before a body it must not read).
class MemoryReader : public ByteReader {
public:
  explicit MemoryReader(std::string data, std::size_t step = 3, std::size_t allowed = SIZE_MAX)
      : ByteReader(4), data_(std::move(data)), step_(step), allowed_(allowed) {}
  std::size_t consumed() const { return position_; }

protected:
  std::size_t fill(char* out, std::size_t size) override {
    if (position_ >= allowed_) throw std::logic_error("read past the allowed bytes");
    std::size_t count = std::min({size, step_, data_.size() - position_, allowed_ - position_});
    std::copy_n(data_.data() + position_, count, out);
    position_ += count;
    return count;
  }

private:
  std::string data_;
  std::size_t step_, allowed_, position_ = 0;
};

// Records each write() call, to check that a message leaves in one write.
class MemoryWriter : public ByteWriter {
public:
  using ByteWriter::write;
  void write(std::span<const std::string_view> pieces) override {
    std::string joined;
    for (auto piece : pieces) joined.append(piece);
    writes.push_back(joined);
  }
  std::string all() const {
    std::string joined;
    for (const auto& w : writes) joined += w;
    return joined;
  }
  std::vector<std::string> writes;
};

// A message, or a marker for the end of the stream (Boost.Test cannot print optionals).
std::string text(const std::optional<std::string>& message) { return message.value_or("<end of stream>"); }

} // namespace

BOOST_AUTO_TEST_CASE(byte_order_of_16_32_and_64_bit_integers) {
  static_assert(big_endian_bytes(std::uint16_t{0x0102}) == std::array<char, 2>{1, 2});
  static_assert(from_big_endian<std::uint32_t>(std::string_view("\x01\x02\x03\x04", 4)) == 0x01020304u);
  static_assert(network_to_host64(host_to_network64(0x0102030405060708ull)) == 0x0102030405060708ull);
  static_assert(byte_swap(std::uint32_t{0x11223344}) == 0x44332211u);

  std::uint32_t one = host_to_network32(1);
  unsigned char bytes[4];
  std::memcpy(bytes, &one, 4);
  BOOST_TEST((bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 1));  // the HOWTO's 00 .. 01
  std::uint16_t port = host_to_network16(0x1F90);
  unsigned char port_bytes[2];
  std::memcpy(port_bytes, &port, 2);
  BOOST_TEST((port_bytes[0] == 0x1F && port_bytes[1] == 0x90));
  BOOST_TEST(network_to_host16(port) == 0x1F90);
  BOOST_TEST(network_to_host32(one) == 1u);

  BOOST_TEST(to_big_endian(std::uint64_t{0x0102030405060708}) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
  BOOST_TEST(from_big_endian<std::uint64_t>(to_big_endian(std::uint64_t{~0ull})) == ~0ull);
  BOOST_CHECK_THROW(from_big_endian<std::uint32_t>("abc"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(length_prefixed_round_trip_split_across_reads) {
  MemoryWriter writer;
  std::vector<std::string> messages{"", "a", std::string("nul\0byte", 8), std::string(1000, 'z')};
  for (const auto& m : messages) write_length_prefixed(writer, m);
  BOOST_TEST(writer.writes.size() == messages.size());  // one write per message
  BOOST_TEST(writer.writes[1] == std::string("\0\0\0\1a", 5));

  MemoryReader reader(writer.all());
  for (const auto& m : messages) BOOST_TEST(text(read_length_prefixed(reader)) == m);
  BOOST_TEST(!read_length_prefixed(reader).has_value());  // clean end between messages
}

BOOST_AUTO_TEST_CASE(length_prefixed_limits_and_truncation) {
  // 1001 announced, limit 1000: refused before a single body byte is read.
  MemoryReader oversized(length_prefix(1001) + std::string(1001, 'x'), 4, 4);
  BOOST_CHECK_THROW(read_length_prefixed(oversized, 1000), LimitExceeded);
  BOOST_TEST(oversized.consumed() == 4u);

  MemoryReader huge(std::string("\xff\xff\xff\xff", 4), 4, 4);  // 4 GiB - 1 with the default limit
  try {
    read_length_prefixed(huge);
    BOOST_FAIL("no LimitExceeded");
  } catch (const LimitExceeded& e) {
    BOOST_TEST(e.limit() == default_max_message_size);
  }

  MemoryReader short_prefix(std::string("\0\0", 2));
  try {
    read_length_prefixed(short_prefix);
    BOOST_FAIL("no IncompleteRead");
  } catch (const IncompleteRead& e) {
    BOOST_TEST(e.expected() == 4u);
    BOOST_TEST(e.received() == 2u);
  }

  MemoryReader short_body(length_prefix(100) + std::string(10, 'y'));
  try {
    read_length_prefixed(short_body);
    BOOST_FAIL("no IncompleteRead");
  } catch (const IncompleteRead& e) {
    BOOST_TEST(e.expected() == 100u);
    BOOST_TEST(e.received() == 10u);
  }
  BOOST_TEST(length_prefix(0x01020304) == std::string("\x01\x02\x03\x04"));
}

BOOST_AUTO_TEST_CASE(fixed_length_messages) {
  MemoryWriter writer;
  write_fixed(writer, "12345678", 8);
  write_fixed(writer, "abcdefgh", 8);
  BOOST_CHECK_THROW(write_fixed(writer, "short", 8), std::invalid_argument);
  MemoryReader reader(writer.all() + "xyz");
  BOOST_TEST(text(read_fixed(reader, 8)) == "12345678");
  BOOST_TEST(text(read_fixed(reader, 8)) == "abcdefgh");
  try {
    read_fixed(reader, 8);
    BOOST_FAIL("no IncompleteRead");
  } catch (const IncompleteRead& e) {
    BOOST_TEST(e.expected() == 8u);
    BOOST_TEST(e.received() == 3u);
  }
  MemoryReader empty("");
  BOOST_TEST(!read_fixed(empty, 8).has_value());
  BOOST_CHECK_THROW(read_fixed(empty, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(delimited_messages) {
  MemoryWriter writer;
  write_delimited(writer, "first", "\r\n");
  write_delimited(writer, "", "\r\n");
  BOOST_TEST(writer.writes.size() == 2u);
  BOOST_CHECK_THROW(write_delimited(writer, "in\r\nside", "\r\n"), std::invalid_argument);
  MemoryReader reader(writer.all());
  BOOST_TEST(text(read_delimited(reader, "\r\n")) == "first");
  BOOST_TEST(text(read_delimited(reader, "\r\n")) == "");
  BOOST_TEST(!read_delimited(reader, "\r\n").has_value());

  MemoryReader endless(std::string(100, 'a') + "\n", 7);
  BOOST_CHECK_THROW(read_delimited(endless, "\n", 50), LimitExceeded);
  MemoryReader cut("no end");
  BOOST_CHECK_THROW(read_delimited(cut, "\n"), ProtocolError);
}

BOOST_AUTO_TEST_CASE(framing_chosen_at_run_time) {
  for (const Framing& framing : {Framing::fixed(4), Framing::delimited("|", 10), Framing::length_prefixed(10)}) {
    MemoryWriter writer;
    framing.write(writer, "abcd");
    framing.write(writer, "wxyz");
    BOOST_TEST(writer.writes.size() == 2u);
    MemoryReader reader(writer.all());
    BOOST_TEST(text(framing.read(reader)) == "abcd");
    BOOST_TEST(text(framing.read(reader)) == "wxyz");
    BOOST_TEST(!framing.read(reader).has_value());
  }
  BOOST_TEST((Framing::fixed(4).kind() == Framing::Kind::fixed));
  BOOST_TEST(Framing::length_prefixed().max_size() == default_max_message_size);
  BOOST_TEST(Framing::delimited("\n").delimiter() == "\n");
  BOOST_CHECK_THROW(Framing::fixed(0), std::invalid_argument);
  BOOST_CHECK_THROW(Framing::delimited(""), std::invalid_argument);
  MemoryReader too_long(length_prefix(11) + std::string(11, 'x'));
  BOOST_CHECK_THROW(Framing::length_prefixed(10).read(too_long), LimitExceeded);
}
