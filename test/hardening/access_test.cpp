// Access control: CIDR networks (IPv4, IPv6, IPv4-mapped), BaseServer::allowed_networks
// checked by the default verify_request(), and the examples' --allow option.
#define BOOST_TEST_MODULE hardening_access
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <socketserver/command_line.hpp>

#include "hardening_support.hpp"
#include "servers.hpp"

using namespace socketserver;
using namespace hardening;
namespace ip = boost::asio::ip;

namespace {

bool in(const std::string& network, const std::string& address) {
  return Network::parse(network).contains(ip::make_address(address));
}

// A datagram from @p local_host to @p server; true when a reply came back.
bool datagram_answered(const Address& server, const std::string& local_host) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{}, remote{};
  local.sin_family = remote.sin_family = AF_INET;
  ::inet_pton(AF_INET, local_host.c_str(), &local.sin_addr);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  remote.sin_port = htons(server.port());
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  ::sendto(fd, "hi", 2, 0, reinterpret_cast<sockaddr*>(&remote), sizeof remote);
  pollfd entry{fd, POLLIN, 0};
  bool answered = ::poll(&entry, 1, 1500) == 1;
  ::close(fd);
  return answered;
}

} // namespace

BOOST_AUTO_TEST_CASE(networks_parse_and_match_ipv4_ipv6_and_mapped_addresses) {
  BOOST_TEST(in("10.0.0.0/8", "10.255.1.2"));
  BOOST_TEST(!in("10.0.0.0/8", "11.0.0.1"));
  BOOST_TEST(in("192.168.1.7/24", "192.168.1.200"));  // host bits ignored
  BOOST_TEST(Network::parse("192.168.1.7/24").to_string() == "192.168.1.0/24");
  BOOST_TEST(in("127.0.0.1", "127.0.0.1"));
  BOOST_TEST(!in("127.0.0.1", "127.0.0.2"));
  BOOST_TEST(in("0.0.0.0/0", "203.0.113.9"));
  BOOST_TEST(!in("0.0.0.0/0", "::1"));  // families do not mix
  BOOST_TEST(in("172.16.0.0/12", "172.31.255.255"));
  BOOST_TEST(!in("172.16.0.0/12", "172.32.0.0"));
  BOOST_TEST(in("10.0.0.0/31", "10.0.0.1"));
  BOOST_TEST(!in("10.0.0.0/31", "10.0.0.2"));
  BOOST_TEST(in("::1", "::1"));
  BOOST_TEST(!in("::1/128", "::2"));
  BOOST_TEST(in("fd00::/8", "fdab:1234::1"));
  BOOST_TEST(!in("fd00::/8", "fe80::1"));
  BOOST_TEST(in("2001:db8::/33", "2001:db8:7fff::1"));
  BOOST_TEST(!in("2001:db8::/33", "2001:db8:8000::1"));
  BOOST_TEST(in("::/0", "2001:db8::1"));
  // IPv4-mapped clients of a dual-stack server match IPv4 networks, and mapped networks
  // are IPv4 networks.
  BOOST_TEST(in("127.0.0.0/8", "::ffff:127.0.0.2"));
  BOOST_TEST(!in("127.0.0.1/32", "::ffff:127.0.0.2"));
  BOOST_TEST(in("::ffff:10.0.0.0/104", "10.1.2.3"));
  BOOST_TEST(Network::parse("::ffff:10.0.0.0/104").to_string() == "10.0.0.0/8");

  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",
                          "localhost", "::1/129", "10.0.0.0/8/8", " 10.0.0.0/8", "10.0.0.0 /8", "fe80::1%lo/64",
                          "10.0.0.0/+8", "1.2.3.4.5"}) {
    BOOST_TEST_CONTEXT("'" << bad << "'") { BOOST_CHECK_THROW(Network::parse(bad), std::invalid_argument); }
  }
}

BOOST_AUTO_TEST_CASE(an_allow_list_allows_its_networks_only_and_everybody_when_empty) {
  NetworkAllowList list;
  BOOST_TEST(list.allows(Address::inet("198.51.100.1", 1)));
  list.add("127.0.0.1/32");
  list.add("::1");
  BOOST_TEST(list.allows(Address::inet("127.0.0.1", 5)));
  BOOST_TEST(list.allows(Address::inet("::1", 5)));
  BOOST_TEST(!list.allows(Address::inet("127.0.0.2", 5)));
  BOOST_TEST(!list.allows(Address::inet("::2", 5)));
  BOOST_TEST(!list.allows(Address::inet("not-an-address", 5)));
  BOOST_TEST(list.allows(Address::unix_socket("")));  // file permissions guard Unix sockets
}

BOOST_AUTO_TEST_CASE(verify_request_refuses_a_client_outside_the_allowed_networks) {
  for (const test_support::ModeCase& mode : test_support::all_modes) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      auto log = std::make_shared<ErrorLog>();
      auto server = make_recorded(mode, handler<LineEcho>(), log);
      server->allowed_networks.add("127.0.0.1/32");
      test_support::ServerThread running(*server);

      RawClient outsider(server->server_address(), "127.0.0.2");
      outsider.send_all("let me in\n");
      auto reply = outsider.receive_all(5s);
      BOOST_TEST(reply.closed);
      BOOST_TEST(reply.data.empty());

      RawClient insider(server->server_address(), "127.0.0.1");
      BOOST_TEST(insider.send_all("hello\n"));
      BOOST_TEST(insider.receive_exactly(6, 5s).data == "hello\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_command_line_takes_repeated_allow_options_and_rejects_bad_networks) {
  ServerCommandLine command_line("prog", "test", 7);
  {
    const char* argv[] = {"prog", "--allow", "10.0.0.0/8", "--allow", "::1", "--drain-timeout", "1.5"};
    ParseOutcome outcome = command_line.parse(7, argv);
    BOOST_TEST_REQUIRE(outcome.options.has_value());
    BOOST_TEST(outcome.options->config.allowed_networks.networks().size() == 2u);
    BOOST_TEST(outcome.options->config.drain_timeout.value_or(Seconds(0)).count() == 1.5);
  }
  {
    const char* argv[] = {"prog"};
    ParseOutcome outcome = command_line.parse(1, argv);
    BOOST_TEST_REQUIRE(outcome.options.has_value());
    BOOST_TEST(outcome.options->config.allowed_networks.empty());
    BOOST_TEST(outcome.options->config.drain_timeout.value_or(Seconds(0)).count() == 5.0);
  }
  for (const char* bad : {"10.0.0.0/33", "example.com", "", "10.0.0.0/8,10.1.0.0/16"}) {
    BOOST_TEST_CONTEXT("--allow '" << bad << "'") {
      const char* argv[] = {"prog", "--allow", bad};
      ParseOutcome outcome = command_line.parse(3, argv);
      BOOST_TEST(!outcome.options.has_value());
      BOOST_TEST(outcome.exit_status == 2);
      BOOST_TEST(outcome.message.find("--allow") != std::string::npos, outcome.message);
      BOOST_TEST(outcome.message.find('\n') == std::string::npos);
    }
  }
  for (const char* bad : {"-1", "nan", "inf", "soon"}) {
    BOOST_TEST_CONTEXT("--drain-timeout '" << bad << "'") {
      const char* argv[] = {"prog", "--drain-timeout", bad};
      ParseOutcome outcome = command_line.parse(3, argv);
      BOOST_TEST(outcome.exit_status == 2);
      BOOST_TEST(outcome.message.find("drain-timeout") != std::string::npos, outcome.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(echo_server_with_allow_refuses_a_client_bound_to_127_0_0_2) {
  ExampleServer server("echo_server", {"--allow", "127.0.0.1/32", "--mode", "threading"});
  RawClient outsider(server.address(), "127.0.0.2");
  outsider.send_all("let me in");
  auto reply = outsider.receive_all(5s);
  BOOST_TEST(reply.closed);
  BOOST_TEST(reply.data.empty());
  RawClient insider(server.address(), "127.0.0.1");
  BOOST_TEST(insider.send_all("hello"));
  BOOST_TEST(insider.receive_exactly(5, 5s).data == "hello");
  insider.half_close();
  BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
  std::string errors = server.stderr_text();
  BOOST_TEST(errors.find("refused 127.0.0.2:") != std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(udp_echo_server_with_allow_ignores_datagrams_from_outside) {
  ExampleServer server("echo_server", {"--udp", "--allow", "127.0.0.1"});
  BOOST_TEST(!datagram_answered(server.address(), "127.0.0.2"));
  BOOST_TEST(datagram_answered(server.address(), "127.0.0.1"));
  BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_bad_allow_value_is_a_one_line_usage_error_with_status_2) {
  test_support::ChildProcess process(test_support::binary("examples/echo_server"), {"--allow", "10.0.0.0/40"}, "", true);
  BOOST_TEST(process.wait().value_or(-1) == 2);
  std::string errors = process.stderr_text();
  BOOST_TEST(errors.find("--allow") != std::string::npos, errors);
  BOOST_TEST(std::count(errors.begin(), errors.end(), '\n') == 1);
}
