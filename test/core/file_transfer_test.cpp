// Files over a connection without copying through the process: wfile.send_file()
// (sendfile) on one side, rfile.read_to_file() (splice) on the other.
#define BOOST_TEST_MODULE file_transfer
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;

namespace {

/// An open file descriptor, closed at the end of the scope.
class FileDescriptor {
public:
  FileDescriptor(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path);
  }
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

std::string contents(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// The client sends "HEADER\n" + body + "TRAILER\n" in one go, so part of the body is
// buffered when the handler has read the header. The handler stores the next
// @p body_size bytes in @p path (opened with @p flags) and then reads the trailer.
struct Received {
  std::uint64_t moved = 0;
  std::string header, trailer;
};

std::unique_ptr<TCPServer> receiving_server(const std::string& path, int flags, std::uint64_t body_size,
                                            Received& received) {
  return function_server([=, &received](FunctionHandler& h) {
    received.header = h.rfile.readline();
    FileDescriptor file(path, flags);
    received.moved = h.rfile.read_to_file(file.get(), body_size);
    received.trailer = h.rfile.readline();
  });
}

void check_transfer(int flags) {
  TempDir dir;
  const std::string body = pattern_bytes(3 * 1024 * 1024 + 17);
  const std::string path = dir.file("received.bin");
  if (flags & O_APPEND) write_file(path, "old ");
  Received received;
  auto server = receiving_server(path, flags, body.size(), received);
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send("HEADER\n" + body + "TRAILER\n");
    client.half_close();
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  BOOST_TEST(received.header == "HEADER\n");
  BOOST_TEST(received.moved == body.size());
  BOOST_TEST(received.trailer == "TRAILER\n");
  std::string expected = (flags & O_APPEND) ? "old " + body : body;
  std::string stored = contents(path);
  BOOST_TEST(stored.size() == expected.size());
  BOOST_TEST((stored == expected));
}

} // namespace

BOOST_AUTO_TEST_CASE(read_to_file_stores_buffered_bytes_then_the_rest_and_stops_at_count) {
  check_transfer(O_WRONLY | O_CREAT | O_TRUNC);
}

// splice(2) refuses O_APPEND files; read and write take over.
BOOST_AUTO_TEST_CASE(read_to_file_falls_back_to_copying_when_the_file_refuses_splice) {
  check_transfer(O_WRONLY | O_APPEND);
}

BOOST_AUTO_TEST_CASE(read_to_file_without_count_reads_to_the_end_of_the_stream) {
  TempDir dir;
  const std::string body = pattern_bytes(1024 * 1024 + 5, 7);
  const std::string path = dir.file("all.bin");
  std::uint64_t moved = 0;
  auto server = function_server([&](FunctionHandler& h) {
    FileDescriptor file(path, O_WRONLY | O_CREAT | O_TRUNC);
    moved = h.rfile.read_to_file(file.get());
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send(body);
    client.half_close();
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  BOOST_TEST(moved == body.size());
  BOOST_TEST((contents(path) == body));
}

// The call returns once count bytes are in, and the connection reads normally afterwards:
// the peer here sends a small body and waits for the answer.
BOOST_AUTO_TEST_CASE(read_to_file_with_a_count_returns_once_the_count_is_in) {
  TempDir dir;
  std::uint64_t moved = 0;
  auto server = function_server([&](FunctionHandler& h) {
    h.rfile.timeout = 30s;  // far longer than the test would wait
    FileDescriptor file(dir.file("small.bin"), O_WRONLY | O_CREAT | O_TRUNC);
    moved = h.rfile.read_to_file(file.get(), 1000);
    h.wfile.write("stored\n");
    h.rfile.readline();  // the client's goodbye: the socket still reads normally
  });
  auto served = serve_one(*server);
  Stopwatch watch;
  {
    Client client(server->server_address(), 10s);
    client.send(std::string(1000, 'b'));
    BOOST_TEST(client.readline() == "stored\n");
    client.send("bye\n");
  }
  served.get();
  BOOST_TEST(watch.elapsed().count() < 10.0);
  BOOST_TEST(moved == 1000u);
  BOOST_TEST(contents(dir.file("small.bin")) == std::string(1000, 'b'));
}

BOOST_AUTO_TEST_CASE(read_to_file_times_out_when_the_peer_goes_silent) {
  TempDir dir;
  boost::system::error_code code;
  std::uint64_t moved_before_timeout = 0;
  auto server = function_server([&](FunctionHandler& h) {
    h.rfile.timeout = 0.3s;
    FileDescriptor file(dir.file("partial.bin"), O_WRONLY | O_CREAT | O_TRUNC);
    try {
      h.rfile.read_to_file(file.get());
    } catch (const boost::system::system_error& e) {
      code = e.code();
    }
    moved_before_timeout = contents(dir.file("partial.bin")).size();
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send("some bytes, then silence");
    BOOST_TEST(client.read_all() == "");  // the server gives up and closes
  }
  served.get();
  BOOST_TEST(code == boost::asio::error::timed_out, code.message());
  BOOST_TEST(moved_before_timeout == std::string("some bytes, then silence").size());
}

BOOST_AUTO_TEST_CASE(send_file_and_read_to_file_carry_a_file_unchanged) {
  TempDir dir;
  const std::string original = pattern_bytes(5 * 1024 * 1024 + 3, 11);
  write_file(dir.file("original.bin"), original);
  auto server = function_server([&](FunctionHandler& h) {
    FileDescriptor file(dir.file("original.bin"), O_RDONLY);
    h.wfile.send_file(file.get(), 0, original.size());
  });
  auto served = serve_one(*server);
  std::uint64_t moved = 0;
  {
    Client client(server->server_address());
    SocketReader reader;
    reader.timeout = io_timeout;
    reader.attach(client.socket());
    FileDescriptor copy(dir.file("copy.bin"), O_WRONLY | O_CREAT | O_TRUNC);
    moved = reader.read_to_file(copy.get());
  }
  served.get();
  BOOST_TEST(moved == original.size());
  std::string copy = contents(dir.file("copy.bin"));
  BOOST_TEST(copy.size() == original.size());
  BOOST_TEST((copy == original));
}
