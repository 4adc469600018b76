// The four concrete servers: every transport (IPv4, IPv6, Unix stream, UDP, Unix datagram),
// the address really bound, bind failures, datagram sizes and RAII (Unix socket files: see
// unix_socket_files_test.cpp).
#define BOOST_TEST_MODULE servers
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <functional>
#include <string>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;
using namespace std::string_literals;

namespace {

// Answers "ping" with "pong" and stays silent otherwise.
struct PingOnly : DatagramRequestHandler {
  void handle() override {
    if (rfile.read_all(100) == "ping") wfile.write("pong");
  }
};

// Replies with the client's address as the server saw it.
struct WhoAmI : StreamRequestHandler {
  void handle() override { wfile.write(client_address().to_string() + "\n"); }
};

struct PacketWhoAmI : DatagramRequestHandler {
  void handle() override { wfile.write(client_address().to_string()); }
};

// What getsockname() says about @p fd, as an Address.
Address socket_name(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0);
  char host[INET6_ADDRSTRLEN] = {};
  switch (storage.ss_family) {
  case AF_INET: {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    return Address::inet(host, ntohs(v4->sin_port));
  }
  case AF_INET6: {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    return Address::inet(host, ntohs(v6->sin6_port));
  }
  default:
    return Address::unix_socket(reinterpret_cast<sockaddr_un*>(&storage)->sun_path);
  }
}

// Python's run_server(): serve three clients from serve_forever() on a thread, then shut
// down and close; the socket is closed afterwards and no handler failed.
template <class ServerType, class Handler>
void run_server(const Address& address, const std::function<void(const Address&)>& examine) {
  CountingErrors<ServerType> server(address, handler<Handler>());
  BOOST_TEST(server.server_address() == socket_name(server.fileno()));
  {
    ServerThread running(server, 0.01s);
    for (int i = 0; i < 3; ++i) examine(server.server_address());
    running.stop();
  }
  server.server_close();
  BOOST_TEST(server.fileno() == -1);
  BOOST_TEST(server.errors == 0);
}


} // namespace

BOOST_AUTO_TEST_SUITE(transports)

BOOST_AUTO_TEST_CASE(tcp_server_ipv4) {
  run_server<TCPServer, LineEcho>(Address::parse("127.0.0.1:0"), stream_examine);
}

BOOST_AUTO_TEST_CASE(tcp_server_ipv6, *boost::unit_test::precondition(NeedsIpv6{})) {
  run_server<TCPServer, LineEcho>(Address::parse("[::1]:0"), stream_examine);
}

BOOST_AUTO_TEST_CASE(unix_stream_server) {
  TempDir dir;
  run_server<UnixStreamServer, LineEcho>(Address::unix_socket(dir.file("s.sock")), stream_examine);
}

BOOST_AUTO_TEST_CASE(udp_server_ipv4) {
  run_server<UDPServer, PacketEcho>(Address::parse("127.0.0.1:0"), [](const Address& address) {
    BOOST_TEST(datagram_exchange(address, test_line) == test_line);
  });
}

BOOST_AUTO_TEST_CASE(udp_server_ipv6, *boost::unit_test::precondition(NeedsIpv6{})) {
  run_server<UDPServer, PacketEcho>(Address::parse("[::1]:0"), [](const Address& address) {
    BOOST_TEST(datagram_exchange(address, test_line) == test_line);
  });
}

BOOST_AUTO_TEST_CASE(unix_datagram_server) {
  TempDir dir;
  run_server<UnixDatagramServer, PacketEcho>(
      Address::unix_socket(dir.file("d.sock")), [&](const Address& address) {
        BOOST_TEST(datagram_exchange(address, test_line, io_timeout, dir.file("client.sock")) == test_line);
      });
}

BOOST_AUTO_TEST_CASE(client_address_as_the_handler_sees_it) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<WhoAmI>());
  ServerThread running(server);
  Client client(server.server_address());
  BOOST_TEST(client.readline() == client.local_address().to_string() + "\n");
}

BOOST_AUTO_TEST_CASE(client_address_over_ipv6, *boost::unit_test::precondition(NeedsIpv6{})) {
  TCPServer server(Address::parse("[::1]:0"), handler<WhoAmI>());
  ServerThread running(server);
  Client client(server.server_address());
  std::string line = client.readline();
  BOOST_TEST(line.starts_with("[::1]:"));
  BOOST_TEST(line == client.local_address().to_string() + "\n");
}

BOOST_AUTO_TEST_CASE(unix_datagram_client_address_is_its_path) {
  TempDir dir;
  UnixDatagramServer server(Address::unix_socket(dir.file("d.sock")), handler<PacketWhoAmI>());
  ServerThread running(server);
  std::string client_path = dir.file("me.sock");
  BOOST_TEST(datagram_exchange(server.server_address(), "x", io_timeout, client_path) == "unix:" + client_path);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(port_zero_reports_the_real_port) {
  TCPServer tcp(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  BOOST_TEST(tcp.server_address().port() != 0);
  BOOST_TEST(tcp.server_address().host() == "127.0.0.1");
  BOOST_TEST(tcp.server_address() == socket_name(tcp.fileno()));

  UDPServer udp(Address::parse("127.0.0.1:0"), handler<PacketEcho>());
  BOOST_TEST(udp.server_address().port() != 0);
  BOOST_TEST(udp.server_address() == socket_name(udp.fileno()));
}

BOOST_AUTO_TEST_CASE(all_interfaces_and_host_names) {
  TCPServer any(Address::parse(":0"), handler<LineEcho>());
  BOOST_TEST(any.server_address().host() == "0.0.0.0");
  BOOST_TEST(any.server_address().port() != 0);
  {
    ServerThread running(any);
    stream_examine(Address::inet("127.0.0.1", any.server_address().port()));
  }

  TCPServer named(Address::parse("localhost:0"), handler<LineEcho>());
  BOOST_TEST(named.server_address().host() == "127.0.0.1");  // IPv4 first, like AF_INET
  ServerThread running(named);
  stream_examine(named.server_address());
}

BOOST_AUTO_TEST_CASE(unix_server_address_is_its_path) {
  TempDir dir;
  UnixStreamServer server(Address::unix_socket(dir.file("s.sock")), handler<LineEcho>());
  BOOST_TEST(server.server_address() == Address::unix_socket(dir.file("s.sock")));
  BOOST_TEST(server.server_address().to_string() == "unix:" + dir.file("s.sock"));
}

BOOST_AUTO_TEST_CASE(wrong_family_for_the_server_class_is_refused) {
  TempDir dir;
  Address unix_address = Address::unix_socket(dir.file("x.sock"));
  Address inet_address = Address::parse("127.0.0.1:0");
  BOOST_CHECK_THROW(TCPServer(unix_address, handler<LineEcho>()), std::invalid_argument);
  BOOST_CHECK_THROW(UDPServer(unix_address, handler<PacketEcho>()), std::invalid_argument);
  BOOST_CHECK_THROW(UnixStreamServer(inet_address, handler<LineEcho>()), std::invalid_argument);
  BOOST_CHECK_THROW(UnixDatagramServer(inet_address, handler<PacketEcho>()), std::invalid_argument);
  BOOST_TEST(!exists(dir.file("x.sock")));
}

BOOST_AUTO_TEST_CASE(defaults_of_the_attributes) {
  TCPServer tcp(Address::parse("127.0.0.1:0"), handler<LineEcho>(), false);
  BOOST_TEST(tcp.allow_reuse_address);
  BOOST_TEST(!tcp.allow_reuse_port);
  const int system_maximum = boost::asio::socket_base::max_listen_connections;  // no ODR-use
  BOOST_TEST(tcp.request_queue_size == system_maximum);
  BOOST_TEST(!tcp.timeout.has_value());
  BOOST_TEST(!tcp.request_timeout.has_value());
  UDPServer udp(Address::parse("127.0.0.1:0"), handler<PacketEcho>(), false);
  BOOST_TEST(!udp.allow_reuse_address);
  BOOST_TEST(udp.max_packet_size == 65536u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(binding)

BOOST_AUTO_TEST_CASE(port_in_use_names_the_address_and_leaks_nothing) {
  TCPServer first(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  Address taken = first.server_address();
  std::size_t fds_before = count_open_fds();
  for (int i = 0; i < 200; ++i) {  // Python's bind-leak test: a leak would show in the count
    try {
      TCPServer second(taken, handler<LineEcho>());
      BOOST_FAIL("second bind succeeded");
    } catch (const boost::system::system_error& e) {
      if (i == 0) {
        BOOST_TEST(e.code() == boost::asio::error::address_in_use, e.code().message());
        BOOST_TEST(std::string(e.what()).find(taken.to_string()) != std::string::npos, e.what());
      }
    }
  }
  BOOST_TEST(count_open_fds() == fds_before);

  UDPServer udp_first(Address::parse("127.0.0.1:0"), handler<PacketEcho>());
  fds_before = count_open_fds();
  try {
    UDPServer udp_second(udp_first.server_address(), handler<PacketEcho>());
    BOOST_FAIL("second UDP bind succeeded");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == boost::asio::error::address_in_use);
    BOOST_TEST(std::string(e.what()).find(udp_first.server_address().to_string()) != std::string::npos);
  }
  BOOST_TEST(count_open_fds() == fds_before);
}

BOOST_AUTO_TEST_CASE(address_not_on_this_machine) {
  std::size_t fds_before = count_open_fds();
  try {
    TCPServer server(Address::parse("192.0.2.1:0"), handler<LineEcho>());  // TEST-NET-1
    BOOST_FAIL("bind to a foreign address succeeded");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == boost::system::errc::address_not_available, e.code().message());
    BOOST_TEST(std::string(e.what()).find("192.0.2.1:0") != std::string::npos, e.what());
  }
  BOOST_TEST(count_open_fds() == fds_before);
}

BOOST_AUTO_TEST_CASE(reuse_port_set_before_bind_and_activate) {
  TCPServer first(Address::parse("127.0.0.1:0"), handler<LineEcho>(), false);
  first.allow_reuse_port = true;
  first.bind_and_activate();
  TCPServer second(first.server_address(), handler<LineEcho>(), false);
  second.allow_reuse_port = true;
  BOOST_CHECK_NO_THROW(second.bind_and_activate());
  BOOST_TEST(second.server_address() == first.server_address());
}

BOOST_AUTO_TEST_CASE(destructor_closes_and_frees_the_port) {
  std::size_t fds_before = count_open_fds();
  std::uint16_t port = 0;
  {
    TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
    port = server.server_address().port();
    BOOST_TEST(count_open_fds() > fds_before);
    ServerThread running(server);
    stream_examine(server.server_address());
  }
  BOOST_TEST(count_open_fds() == fds_before);
  // Listening again on the port works only if the old socket is really closed (the
  // served connection may linger in TIME_WAIT, which SO_REUSEADDR allows).
  BOOST_CHECK_NO_THROW(TCPServer(Address::inet("127.0.0.1", port), handler<LineEcho>()));
}

BOOST_AUTO_TEST_CASE(datagram_destructor_frees_the_port) {
  std::size_t fds_before = count_open_fds();
  std::uint16_t port = 0;
  {
    UDPServer server(Address::parse("127.0.0.1:0"), handler<PacketEcho>());
    port = server.server_address().port();
  }
  BOOST_TEST(count_open_fds() == fds_before);
  BOOST_CHECK_NO_THROW(UDPServer(Address::inet("127.0.0.1", port), handler<PacketEcho>()));
}

BOOST_AUTO_TEST_CASE(server_close_is_idempotent_and_closes_the_socket) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  BOOST_TEST(server.fileno() >= 0);
  server.server_close();
  BOOST_TEST(server.fileno() == -1);
  server.server_close();
  BOOST_TEST(server.fileno() == -1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(datagrams)

BOOST_AUTO_TEST_CASE(empty_datagram_is_answered) {
  UDPServer server(Address::parse("127.0.0.1:0"), handler<PacketEcho>());
  ServerThread running(server);
  DatagramClient client(server.server_address());
  BOOST_TEST(client.exchange("") == "");
  BOOST_TEST(client.exchange("after empty") == "after empty");
}

BOOST_AUTO_TEST_CASE(largest_udp_datagrams_round_trip) {
  UDPServer server(Address::parse("127.0.0.1:0"), handler<PacketEcho>());
  ServerThread running(server);
  DatagramClient client(server.server_address());
  for (std::size_t size : {65000u, 65507u}) {
    std::string data = pattern_bytes(size, static_cast<unsigned>(size));
    std::string reply = client.exchange(data);
    BOOST_TEST(reply.size() == size);
    BOOST_TEST((reply == data));
  }
}

BOOST_AUTO_TEST_CASE(datagram_over_max_packet_size_is_dropped_not_truncated) {
  UDPServer server(Address::parse("127.0.0.1:0"), handler<PacketEcho>(), false);
  server.max_packet_size = 1000;
  server.bind_and_activate();
  ServerThread running(server);
  DatagramClient client(server.server_address());
  client.send(std::string(1001, 'B'));  // dropped
  client.send(std::string(1000, 'k'));  // exactly the limit: served
  auto reply = client.receive();
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(*reply == std::string(1000, 'k'));
  BOOST_TEST(client.exchange("small") == "small");
}

BOOST_AUTO_TEST_CASE(no_reply_unless_the_handler_writes) {
  UDPServer server(Address::parse("127.0.0.1:0"), handler<PingOnly>());
  ServerThread running(server);
  DatagramClient client(server.server_address());
  client.send("quiet");
  client.send("ping");
  auto reply = client.receive();
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(*reply == "pong");  // the first datagram got no reply at all
}

BOOST_AUTO_TEST_CASE(unix_datagram_large_and_binary) {
  TempDir dir;
  UnixDatagramServer server(Address::unix_socket(dir.file("d.sock")), handler<PacketEcho>());
  ServerThread running(server);
  DatagramClient client(server.server_address(), dir.file("c.sock"));
  std::string data = pattern_bytes(60000);
  BOOST_TEST((client.exchange(data) == data));
  BOOST_TEST(client.exchange("\0\0\0"s) == "\0\0\0"s);
  BOOST_TEST(client.exchange("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
