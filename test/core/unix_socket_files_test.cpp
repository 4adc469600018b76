// Unix socket files: removed when the server closes, a stale one (left by a crashed server)
// replaced, a live server's file never taken (even when its backlog is full), and a file
// that is not a socket left alone.
#define BOOST_TEST_MODULE unix_socket_files
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;

namespace {

// Leaves a socket file at @p path with nobody behind it, as a crashed server would.
template <class Protocol>
void make_stale_socket_file(const std::string& path) {
  boost::asio::io_context context;
  typename Protocol::socket socket(context);
  socket.open();
  socket.bind(typename Protocol::endpoint(path));
  socket.close();  // closing does not remove the file
  BOOST_REQUIRE(exists(path));
}

} // namespace

BOOST_AUTO_TEST_SUITE(unix_socket_files)

BOOST_AUTO_TEST_CASE(stream_socket_file_removed_on_close_and_destruction) {
  TempDir dir;
  std::string path = dir.file("s.sock");
  {
    UnixStreamServer server(Address::unix_socket(path), handler<LineEcho>());
    BOOST_TEST(exists(path));
    server.server_close();
    BOOST_TEST(!exists(path));
  }
  {
    UnixStreamServer server(Address::unix_socket(path), handler<LineEcho>());
    BOOST_TEST(exists(path));
  }
  BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(datagram_socket_file_removed_on_close_and_destruction) {
  TempDir dir;
  std::string path = dir.file("d.sock");
  {
    UnixDatagramServer server(Address::unix_socket(path), handler<PacketEcho>());
    BOOST_TEST(exists(path));
    server.server_close();
    BOOST_TEST(!exists(path));
  }
  { UnixDatagramServer server(Address::unix_socket(path), handler<PacketEcho>()); }
  BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(stale_stream_socket_file_is_replaced) {
  TempDir dir;
  std::string path = dir.file("s.sock");
  make_stale_socket_file<boost::asio::local::stream_protocol>(path);
  UnixStreamServer server(Address::unix_socket(path), handler<LineEcho>());
  ServerThread running(server);
  stream_examine(server.server_address());
}

BOOST_AUTO_TEST_CASE(stale_datagram_socket_file_is_replaced) {
  TempDir dir;
  std::string path = dir.file("d.sock");
  make_stale_socket_file<boost::asio::local::datagram_protocol>(path);
  UnixDatagramServer server(Address::unix_socket(path), handler<PacketEcho>());
  ServerThread running(server);
  BOOST_TEST(datagram_exchange(server.server_address(), "x", io_timeout, dir.file("c.sock")) == "x");
}

BOOST_AUTO_TEST_CASE(live_stream_server_file_is_never_stolen) {
  TempDir dir;
  Address address = Address::unix_socket(dir.file("s.sock"));
  UnixStreamServer live(address, handler<LineEcho>());
  ServerThread running(live);
  stream_examine(address);  // the first connection creates Asio's reactor for connections
  std::size_t fds_before = count_open_fds();
  for (int i = 0; i < 20; ++i) {
    try {
      UnixStreamServer thief(address, handler<LineEcho>());
      BOOST_FAIL("a second server took the socket file of a live one");
    } catch (const boost::system::system_error& e) {
      if (i == 0) {
        BOOST_TEST(e.code() == boost::asio::error::address_in_use, e.code().message());
        BOOST_TEST(std::string(e.what()).find(address.to_string()) != std::string::npos, e.what());
      }
    }
  }
  // No descriptor leaked by the 20 failed servers. The live server closes the probe
  // connections they made (and the warm-up connection may still have been open above).
  BOOST_TEST(eventually([&] { return count_open_fds() <= fds_before; }));
  BOOST_TEST(exists(address.path()));  // the failed servers did not remove it on close
  stream_examine(address);              // and the live server still answers on it
}

// A listener that accepts nothing, with its backlog full: probing it must not block.
BOOST_AUTO_TEST_CASE(a_busy_listener_file_is_never_stolen_and_the_probe_does_not_block) {
  TempDir dir;
  std::string path = dir.file("busy.sock");
  boost::asio::io_context context;
  boost::asio::local::stream_protocol::acceptor busy(context, boost::asio::local::stream_protocol::endpoint(path));
  busy.listen(0);
  std::vector<std::unique_ptr<boost::asio::local::stream_protocol::socket>> queued;
  for (int i = 0; i < 64; ++i) {  // bounded: the backlog fills after a few
    auto client = std::make_unique<boost::asio::local::stream_protocol::socket>(context);
    client->open();
    client->non_blocking(true);
    boost::system::error_code error;
    client->connect(boost::asio::local::stream_protocol::endpoint(path), error);
    if (error) break;  // full: "try again"
    queued.push_back(std::move(client));
  }
  auto attempt = std::async(std::launch::async, [&] {
    try {
      UnixStreamServer thief(Address::unix_socket(path), handler<LineEcho>());
      return std::string("took the file");
    } catch (const boost::system::system_error& e) {
      return e.code().message();
    }
  });
  BOOST_REQUIRE_MESSAGE(attempt.wait_for(io_timeout) == std::future_status::ready, "the probe blocked");
  BOOST_TEST(attempt.get() == boost::system::error_code(boost::asio::error::address_in_use).message());
  BOOST_TEST(exists(path));
}

BOOST_AUTO_TEST_CASE(live_datagram_server_file_is_never_stolen) {
  TempDir dir;
  Address address = Address::unix_socket(dir.file("d.sock"));
  UnixDatagramServer live(address, handler<PacketEcho>());
  ServerThread running(live);
  BOOST_CHECK_THROW(UnixDatagramServer(address, handler<PacketEcho>()), boost::system::system_error);
  BOOST_TEST(exists(address.path()));
  BOOST_TEST(datagram_exchange(address, "still here", io_timeout, dir.file("c.sock")) == "still here");
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_socket_is_left_alone) {
  TempDir dir;
  std::string path = dir.file("precious");
  std::ofstream(path) << "data";
  BOOST_CHECK_THROW(UnixStreamServer(Address::unix_socket(path), handler<LineEcho>()),
                    boost::system::system_error);
  std::ifstream file(path);
  std::string content((std::istreambuf_iterator<char>(file)), {});
  BOOST_TEST(content == "data");
}

BOOST_AUTO_TEST_SUITE_END()
