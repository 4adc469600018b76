// Address: parsing and printing the forms users type.
#define BOOST_TEST_MODULE address
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <stdexcept>
#include <string>

#include <socketserver/address.hpp>

using socketserver::Address;

BOOST_AUTO_TEST_CASE(ipv4_host_and_port) {
  Address address = Address::parse("127.0.0.1:9999");
  BOOST_TEST((address.kind() == Address::Kind::inet));
  BOOST_TEST(!address.is_unix());
  BOOST_TEST(address.host() == "127.0.0.1");
  BOOST_TEST(address.port() == 9999);
  BOOST_TEST(address.path() == "");
  BOOST_TEST(address.to_string() == "127.0.0.1:9999");
}

BOOST_AUTO_TEST_CASE(ipv6_literal_in_brackets) {
  Address address = Address::parse("[::1]:9999");
  BOOST_TEST(address.host() == "::1");
  BOOST_TEST(address.port() == 9999);
  BOOST_TEST(address.to_string() == "[::1]:9999");
  BOOST_TEST(Address::parse("[2001:db8::5]:80").host() == "2001:db8::5");
}

BOOST_AUTO_TEST_CASE(empty_host_means_all_interfaces) {
  Address address = Address::parse(":9999");
  BOOST_TEST(address.host() == "");
  BOOST_TEST(address.port() == 9999);
  BOOST_TEST(address.to_string() == ":9999");
}

BOOST_AUTO_TEST_CASE(host_name_and_port) {
  Address address = Address::parse("localhost:9999");
  BOOST_TEST(address.host() == "localhost");
  BOOST_TEST(address.port() == 9999);
  BOOST_TEST(address.to_string() == "localhost:9999");
}

BOOST_AUTO_TEST_CASE(unix_socket_path) {
  Address address = Address::parse("unix:/tmp/some dir/s.sock");
  BOOST_TEST((address.kind() == Address::Kind::unix_socket));
  BOOST_TEST(address.is_unix());
  BOOST_TEST(address.path() == "/tmp/some dir/s.sock");
  BOOST_TEST(address.port() == 0);
  BOOST_TEST(address.host() == "");
  BOOST_TEST(address.to_string() == "unix:/tmp/some dir/s.sock");
  BOOST_TEST(Address::parse("unix:relative.sock").path() == "relative.sock");
}

BOOST_AUTO_TEST_CASE(port_range_edges) {
  BOOST_TEST(Address::parse("127.0.0.1:0").port() == 0);
  BOOST_TEST(Address::parse("127.0.0.1:65535").port() == 65535);
  BOOST_TEST(Address::parse("127.0.0.1:00080").port() == 80);
}

BOOST_AUTO_TEST_CASE(factories_print_like_parse) {
  BOOST_TEST(Address::inet("127.0.0.1", 80).to_string() == "127.0.0.1:80");
  BOOST_TEST(Address::inet("::1", 80).to_string() == "[::1]:80");
  BOOST_TEST(Address::inet("", 80).to_string() == ":80");
  BOOST_TEST(Address::unix_socket("/run/x.sock").to_string() == "unix:/run/x.sock");
  BOOST_TEST(Address().to_string() == ":0");
}

BOOST_AUTO_TEST_CASE(printing_round_trips_through_parse) {
  for (const char* text : {"127.0.0.1:1", "[::1]:65535", ":0", "localhost:9999", "example.org:443",
                           "unix:/a/b.sock", "[fe80::1]:8080"}) {
    BOOST_TEST_CONTEXT("address " << text) {
      Address address = Address::parse(text);
      BOOST_TEST(address.to_string() == text);
      BOOST_TEST((Address::parse(address.to_string()) == address));
    }
  }
}

BOOST_AUTO_TEST_CASE(stream_output_uses_printable_form) {
  std::ostringstream out;
  out << Address::parse("[::1]:7") << ' ' << Address::parse("unix:/x");
  BOOST_TEST(out.str() == "[::1]:7 unix:/x");
}

BOOST_AUTO_TEST_CASE(equality_compares_every_part) {
  BOOST_TEST((Address::parse("127.0.0.1:80") == Address::inet("127.0.0.1", 80)));
  BOOST_TEST((Address::parse("127.0.0.1:80") != Address::parse("127.0.0.1:81")));
  BOOST_TEST((Address::parse("127.0.0.2:80") != Address::parse("127.0.0.1:80")));
  BOOST_TEST((Address::parse("unix:/a") != Address::parse("unix:/b")));
  BOOST_TEST((Address::unix_socket("") != Address()));
}

BOOST_AUTO_TEST_CASE(malformed_strings_throw_quoting_the_input) {
  const char* bad[] = {"",           "9999",          "localhost",    "localhost:",
                       "host:abc",   "host:65536",    "host:99999999999", "host:-1",
                       "host:+1",    "host: 80",      "host:80 ",     "host:0x50",
                       "[::1]",      "[::1]:",        "[::1]9999",    "[::1",
                       "[]:80",      "::1:9999",      "unix:",        "1.2.3.4:80:90"};
  for (const char* text : bad) {
    BOOST_TEST_CONTEXT("address '" << text << "'") {
      try {
        Address::parse(text);
        BOOST_ERROR("no exception for '" << text << "'");
      } catch (const std::invalid_argument& e) {
        std::string message = e.what();
        BOOST_TEST(message.find("'" + std::string(text) + "'") != std::string::npos,
                   "message does not quote the input: " << message);
      }
    }
  }
}
