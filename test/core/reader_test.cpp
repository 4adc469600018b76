// ByteReader (rfile) parsing, fed from a scripted source so every chunk boundary is exact,
// and PacketReader/PacketWriter (the rfile and wfile of datagrams).
#define BOOST_TEST_MODULE reader
#include <boost/test/unit_test.hpp>

#include <deque>
#include <span>
#include <string>
#include <vector>

#include <socketserver/errors.hpp>
#include <socketserver/packet_io.hpp>
#include <socketserver/reader.hpp>

using namespace socketserver;
using namespace std::string_literals;

namespace {

/// A reader whose source hands out the given chunks, one per fill(), then end of stream.
/// A chunk larger than the space fill() is given is split, as a socket would split it.
class ScriptedReader : public ByteReader {
public:
  explicit ScriptedReader(std::vector<std::string> chunks, std::size_t buffer_size = 16 * 1024)
      : ByteReader(buffer_size), chunks_(chunks.begin(), chunks.end()) {}

  /// Bytes handed to the reader so far.
  std::size_t delivered = 0;
  /// fill() calls that returned end of stream.
  int eof_reports = 0;

protected:
  std::size_t fill(char* data, std::size_t size) override {
    if (chunks_.empty()) {
      ++eof_reports;
      return 0;
    }
    std::string& chunk = chunks_.front();
    std::size_t count = std::min(size, chunk.size());
    chunk.copy(data, count);
    chunk.erase(0, count);
    if (chunk.empty()) chunks_.pop_front();
    delivered += count;
    return count;
  }

private:
  std::deque<std::string> chunks_;
};

/// One chunk per byte of @p text.
std::vector<std::string> bytewise(const std::string& text) {
  std::vector<std::string> chunks;
  for (char c : text) chunks.emplace_back(1, c);
  return chunks;
}

} // namespace

BOOST_AUTO_TEST_SUITE(readline)

BOOST_AUTO_TEST_CASE(lines_keep_their_newline_and_the_last_may_lack_it) {
  ScriptedReader reader({"a\nbb\n", "ccc"});
  BOOST_TEST(reader.readline() == "a\n");
  BOOST_TEST(reader.readline() == "bb\n");
  BOOST_TEST(reader.readline() == "ccc");
  BOOST_TEST(reader.readline() == "");
  BOOST_TEST(reader.readline() == "");
  BOOST_TEST(reader.at_eof());
}

BOOST_AUTO_TEST_CASE(a_line_split_over_many_reads_comes_back_whole) {
  ScriptedReader reader(bytewise("hello world\nbye\n"));
  BOOST_TEST(reader.readline() == "hello world\n");
  BOOST_TEST(reader.readline() == "bye\n");
  BOOST_TEST(reader.readline() == "");
}

BOOST_AUTO_TEST_CASE(with_a_limit_stops_at_the_limit_or_after_the_newline) {
  ScriptedReader reader({"hello world\n", "ab\ncd"});
  BOOST_TEST(reader.readline(5) == "hello");
  BOOST_TEST(reader.readline(100) == " world\n");
  BOOST_TEST(reader.readline(3) == "ab\n");
  BOOST_TEST(reader.readline(0) == "");
  BOOST_TEST(reader.readline(10) == "cd");
  BOOST_TEST(reader.readline(10) == "");
}

BOOST_AUTO_TEST_CASE(with_a_limit_reads_no_further_than_needed) {
  ScriptedReader reader(bytewise("0123456789\n"), 1);
  BOOST_TEST(reader.readline(4) == "0123");
  BOOST_TEST(reader.delivered <= 5u);
}

BOOST_AUTO_TEST_CASE(at_eof_without_newline_returns_the_rest) {
  ScriptedReader reader({"no newline here"});
  BOOST_TEST(reader.readline() == "no newline here");
  BOOST_TEST(reader.at_eof());
  ScriptedReader empty({});
  BOOST_TEST(empty.readline() == "");
  BOOST_TEST(empty.at_eof());
}

BOOST_AUTO_TEST_CASE(a_line_of_exactly_max_line_length_is_accepted) {
  // The limit counts the newline; a last line without one ends at end of stream.
  ScriptedReader reader({"1234567\n", "abcdefg"});
  reader.max_line_length = 8;
  BOOST_TEST(reader.readline() == "1234567\n");
  BOOST_TEST(reader.readline() == "abcdefg");
}

BOOST_AUTO_TEST_CASE(a_longer_line_throws_limit_exceeded) {
  ScriptedReader reader({"0123456789\n"});
  reader.max_line_length = 8;
  try {
    reader.readline();
    BOOST_ERROR("no LimitExceeded");
  } catch (const LimitExceeded& e) {
    BOOST_TEST(e.limit() == 8u);
    BOOST_TEST(std::string(e.what()).find("8") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_peer_that_never_sends_a_newline_costs_bounded_memory) {
  // 1 MiB without a newline, in 1 KiB chunks: the reader gives up near the limit.
  std::vector<std::string> chunks(1024, std::string(1024, 'x'));
  ScriptedReader reader(chunks, 1024);
  reader.max_line_length = 4096;
  BOOST_CHECK_THROW(reader.readline(), LimitExceeded);
  BOOST_TEST(reader.delivered <= 4096u + 1024u);
  BOOST_TEST(reader.buffered() <= 4096u + 1024u);
}

BOOST_AUTO_TEST_CASE(a_long_line_already_at_eof_still_throws) {
  // read_until() meets the end of stream and leaves 20 bytes buffered; readline() must
  // not hand them out as one line past max_line_length because EOF was already seen.
  ScriptedReader reader({std::string(20, 'x')});
  BOOST_CHECK_THROW(reader.read_until("\r\n", 1000), ProtocolError);
  reader.max_line_length = 10;
  BOOST_CHECK_THROW(reader.readline(), LimitExceeded);
}

BOOST_AUTO_TEST_CASE(embedded_nuls_are_ordinary_bytes) {
  ScriptedReader reader({"\0a\0\n"s, "\0\0\n\0"s});
  BOOST_TEST(reader.readline() == "\0a\0\n"s);
  BOOST_TEST(reader.readline() == "\0\0\n"s);
  BOOST_TEST(reader.readline() == "\0"s);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(counted_reads)

BOOST_AUTO_TEST_CASE(read_returns_what_is_available_up_to_n) {
  ScriptedReader reader({"abc", "def"});
  BOOST_TEST(reader.read(2) == "ab");
  BOOST_TEST(reader.read(100) == "c");  // what is buffered, without waiting for more
  BOOST_TEST(reader.read(100) == "def");
  BOOST_TEST(reader.read(100) == "");
  BOOST_TEST(reader.read(0) == "");
}

BOOST_AUTO_TEST_CASE(large_read_returns_at_most_a_buffer_and_allocates_nothing_up_front) {
  std::string data(5000, 'q');
  ScriptedReader reader({data}, 64);
  std::string received;
  for (int reads = 0; reads < 1000; ++reads) {
    std::string piece = reader.read(10000);
    BOOST_TEST(piece.size() <= 64u);
    if (piece.empty()) break;
    received += piece;
  }
  BOOST_TEST(received == data);
  BOOST_TEST(reader.read(10000) == "");
}

BOOST_AUTO_TEST_CASE(read_into_a_small_destination_goes_through_the_buffer) {
  ScriptedReader reader({"abcdef"}, 16);
  char destination[4];
  BOOST_TEST(reader.read_into(destination) == 4u);
  BOOST_TEST(std::string(destination, 4) == "abcd");
  BOOST_TEST(reader.buffered() == 2u);
  BOOST_TEST(reader.read_into(destination) == 2u);
  BOOST_TEST(std::string(destination, 2) == "ef");
  BOOST_TEST(reader.read_into(destination) == 0u);
  BOOST_TEST(reader.read_into(std::span<char>()) == 0u);
}

// A destination at least as large as the buffer is filled straight from the source: more
// than a buffer's worth arrives in one call, and nothing stays buffered.
BOOST_AUTO_TEST_CASE(read_into_a_large_destination_bypasses_the_buffer) {
  ScriptedReader reader({std::string(100, 'x')}, 16);
  char destination[64];
  BOOST_TEST(reader.read_into(destination) == 64u);
  BOOST_TEST(reader.buffered() == 0u);
  BOOST_TEST(reader.read_into(destination) == 36u);
  BOOST_TEST(reader.read_into(destination) == 0u);
  BOOST_TEST(reader.at_eof());
}

BOOST_AUTO_TEST_CASE(read_into_returns_buffered_bytes_first_without_waiting) {
  ScriptedReader reader({"line\nrest", "later"}, 16);
  BOOST_TEST(reader.readline() == "line\n");
  char destination[64];
  BOOST_TEST(reader.read_into(destination) == 4u);
  BOOST_TEST(std::string(destination, 4) == "rest");
  BOOST_TEST(reader.delivered == 9u);  // "later" not yet asked for
  BOOST_TEST(reader.read_into(destination) == 5u);
  BOOST_TEST(std::string(destination, 5) == "later");
}

BOOST_AUTO_TEST_CASE(peek_reads_once_and_consume_moves_on) {
  ScriptedReader reader({"abc", "def"}, 16);
  BOOST_TEST(reader.peek() == "abc");
  BOOST_TEST(reader.peek() == "abc");  // nothing consumed, nothing read again
  BOOST_TEST(reader.delivered == 3u);
  reader.consume(2);
  BOOST_TEST(reader.peek() == "c");
  reader.consume(5);  // more than buffered: only what there is
  BOOST_TEST(reader.buffered() == 0u);
  BOOST_TEST(reader.peek() == "def");
  BOOST_TEST(reader.read(10) == "def");
  BOOST_TEST(reader.peek().empty());
  BOOST_TEST(reader.at_eof());
}

BOOST_AUTO_TEST_CASE(read_exactly_gathers_many_reads) {
  ScriptedReader reader({"ab", "cd", "ef"});
  BOOST_TEST(reader.read_exactly(5) == "abcde");
  BOOST_TEST(reader.read_exactly(0) == "");
  BOOST_TEST(reader.read_exactly(1) == "f");
}

BOOST_AUTO_TEST_CASE(read_exactly_larger_than_the_buffer) {
  std::string data;
  for (int i = 0; i < 100; ++i) data += static_cast<char>(i);
  std::vector<std::string> chunks;
  for (std::size_t i = 0; i < data.size(); i += 7) chunks.push_back(data.substr(i, 7));
  ScriptedReader reader(chunks, 4);
  BOOST_TEST(reader.read_exactly(3) == data.substr(0, 3));
  BOOST_TEST(reader.read_exactly(50) == data.substr(3, 50));
  BOOST_TEST(reader.read_exactly(47) == data.substr(53));
}

BOOST_AUTO_TEST_CASE(read_exactly_at_early_eof_throws_incomplete_read) {
  ScriptedReader reader({"ab", "c"});
  try {
    reader.read_exactly(10);
    BOOST_ERROR("no IncompleteRead");
  } catch (const IncompleteRead& e) {
    BOOST_TEST(e.expected() == 10u);
    BOOST_TEST(e.received() == 3u);
    BOOST_TEST(std::string(e.what()).find("3 of 10") != std::string::npos);
  }
  ScriptedReader empty({});
  BOOST_CHECK_THROW(empty.read_exactly(1), IncompleteRead);
}

BOOST_AUTO_TEST_CASE(read_exactly_at_early_eof_through_the_direct_path) {
  ScriptedReader reader({std::string(100, 'z')}, 8);
  try {
    reader.read_exactly(1000);
    BOOST_ERROR("no IncompleteRead");
  } catch (const IncompleteRead& e) {
    BOOST_TEST(e.received() == 100u);
  }
}

BOOST_AUTO_TEST_CASE(read_all_returns_everything_within_the_limit) {
  ScriptedReader reader({"line\n", "rest", "\0tail"s});
  BOOST_TEST(reader.readline() == "line\n");
  BOOST_TEST(reader.read_all(9) == "rest\0tail"s);
  BOOST_TEST(reader.read_all(9) == "");
}

BOOST_AUTO_TEST_CASE(read_all_past_the_limit_throws) {
  ScriptedReader reader({"0123456789"});
  try {
    reader.read_all(9);
    BOOST_ERROR("no LimitExceeded");
  } catch (const LimitExceeded& e) {
    BOOST_TEST(e.limit() == 9u);
  }
}

BOOST_AUTO_TEST_CASE(read_all_stops_reading_soon_after_the_limit) {
  std::vector<std::string> chunks(1000, std::string(1024, 'x'));  // ~1 MiB offered
  ScriptedReader reader(chunks, 1024);
  BOOST_CHECK_THROW(reader.read_all(10 * 1024), LimitExceeded);
  BOOST_TEST(reader.delivered <= 40u * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delimited)

BOOST_AUTO_TEST_CASE(multi_byte_delimiter_straddling_reads) {
  ScriptedReader reader({"one\r", "\ntw", "o\r\nthree\r", "\n"});
  BOOST_TEST(*reader.read_until("\r\n", 100) == "one");
  BOOST_TEST(*reader.read_until("\r\n", 100) == "two");
  BOOST_TEST(*reader.read_until("\r\n", 100) == "three");
  BOOST_TEST(!reader.read_until("\r\n", 100).has_value());
}

BOOST_AUTO_TEST_CASE(delimiter_arriving_one_byte_at_a_time) {
  ScriptedReader reader(bytewise("ab<END>cd<END>"), 1);
  BOOST_TEST(*reader.read_until("<END>", 100) == "ab");
  BOOST_TEST(*reader.read_until("<END>", 100) == "cd");
  BOOST_TEST(!reader.read_until("<END>", 100).has_value());
}

BOOST_AUTO_TEST_CASE(partial_delimiter_is_part_of_the_message) {
  ScriptedReader reader({"a<EN", "<END>"});
  BOOST_TEST(*reader.read_until("<END>", 100) == "a<EN");
}

BOOST_AUTO_TEST_CASE(nul_delimiter_and_nul_payload) {
  ScriptedReader reader({"x\0\0y\0"s, "\0"s});
  BOOST_TEST(*reader.read_until("\0\0"s, 10) == "x");
  BOOST_TEST(*reader.read_until("\0\0"s, 10) == "y");
}

BOOST_AUTO_TEST_CASE(end_of_stream_inside_a_message_is_a_protocol_error) {
  ScriptedReader reader({"whole|", "half"});
  BOOST_TEST(*reader.read_until("|", 100) == "whole");
  BOOST_CHECK_THROW(reader.read_until("|", 100), ProtocolError);
}

BOOST_AUTO_TEST_CASE(message_longer_than_the_limit_throws) {
  ScriptedReader ok({"12345<END>"});
  BOOST_TEST(*ok.read_until("<END>", 5) == "12345");
  ScriptedReader too_long({"123456<END>"});
  try {
    too_long.read_until("<END>", 5);
    BOOST_ERROR("no LimitExceeded");
  } catch (const LimitExceeded& e) {
    BOOST_TEST(e.limit() == 5u);
  }
}

BOOST_AUTO_TEST_CASE(empty_delimiter_is_refused) {
  ScriptedReader reader({"abc"});
  BOOST_CHECK_THROW(reader.read_until("", 10), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(iteration)

BOOST_AUTO_TEST_CASE(lines_iterates_to_the_end_of_stream) {
  ScriptedReader reader({"first\nsec", "ond\n", "\n", "last"});
  std::vector<std::string> lines;
  for (const std::string& line : reader.lines()) lines.push_back(line);
  std::vector<std::string> expected{"first\n", "second\n", "\n", "last"};
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
  BOOST_TEST(reader.at_eof());
}

BOOST_AUTO_TEST_CASE(lines_of_an_empty_stream) {
  ScriptedReader reader({});
  int count = 0;
  for ([[maybe_unused]] const std::string& line : reader.lines()) ++count;
  BOOST_TEST(count == 0);
}

BOOST_AUTO_TEST_CASE(mixing_calls_keeps_the_byte_order) {
  ScriptedReader reader(bytewise("HEAD\n\x03xyzBODY|tail"), 2);
  BOOST_TEST(reader.readline() == "HEAD\n");
  std::size_t size = static_cast<unsigned char>(reader.read_exactly(1)[0]);
  BOOST_TEST(reader.read_exactly(size) == "xyz");
  BOOST_TEST(*reader.read_until("|", 10) == "BODY");
  BOOST_TEST(reader.read_all(100) == "tail");
}

BOOST_AUTO_TEST_CASE(zero_buffer_size_still_reads) {
  ScriptedReader reader({"ab\n"}, 0);
  reader.set_buffer_size(0);
  BOOST_TEST(reader.readline() == "ab\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(packets)

BOOST_AUTO_TEST_CASE(packet_reader_reads_the_datagram_as_a_stream) {
  PacketReader reader;
  reader.attach("one\ntwo\n\0three"s);
  BOOST_TEST(reader.buffered() == 14u);
  BOOST_TEST(reader.readline() == "one\n");
  std::vector<std::string> rest;
  for (const std::string& line : reader.lines()) rest.push_back(line);
  BOOST_TEST(rest.size() == 2u);
  BOOST_TEST(rest.at(1) == "\0three"s);
  BOOST_TEST(reader.at_eof());
  BOOST_TEST(reader.read(10) == "");
}

BOOST_AUTO_TEST_CASE(packet_reader_counted_reads) {
  PacketReader reader;
  reader.attach("abcdef");
  BOOST_TEST(reader.read(2) == "ab");
  BOOST_TEST(reader.read_exactly(3) == "cde");
  BOOST_CHECK_THROW(reader.read_exactly(2), IncompleteRead);
}

BOOST_AUTO_TEST_CASE(packet_reader_honours_max_line_length) {
  PacketReader reader;
  reader.attach(std::string(100, 'x') + "\n");
  reader.max_line_length = 10;
  BOOST_CHECK_THROW(reader.readline(), LimitExceeded);
}

BOOST_AUTO_TEST_CASE(packet_reader_message_over_limit_is_limit_exceeded) {
  PacketReader reader;
  reader.attach("0123456789|");
  BOOST_CHECK_THROW(reader.read_until("|", 5), LimitExceeded);
}

BOOST_AUTO_TEST_CASE(empty_packet) {
  PacketReader reader;
  reader.attach("");
  BOOST_TEST(reader.at_eof());
  BOOST_TEST(reader.readline() == "");
  BOOST_TEST(reader.read_all(0) == "");
}

BOOST_AUTO_TEST_CASE(packet_writer_collects_the_reply) {
  PacketWriter writer;
  BOOST_TEST(!writer.written());
  writer.write("");
  BOOST_TEST(writer.written());  // an empty write is still a reply
  writer.write({"a"s, "\0"s, "b"s});
  writer.write("c");
  writer.flush();
  BOOST_TEST(writer.data() == "a\0bc"s);
}

BOOST_AUTO_TEST_SUITE_END()
