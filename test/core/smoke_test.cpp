#define BOOST_TEST_MODULE smoke
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;

namespace {

struct LineEcho : StreamRequestHandler {
  void handle() override {
    for (const std::string& line : rfile.lines()) wfile.write(line);
  }
};

struct PacketEcho : DatagramRequestHandler {
  void handle() override { wfile.write(rfile.read_all(1 << 20)); }
};

} // namespace

BOOST_AUTO_TEST_CASE(every_mode_echoes_over_every_transport) {
  TempDir dir;
  for (const ModeCase& mode : all_modes) {
    for (bool datagram : {false, true}) {
      for (bool unix : {false, true}) {
        BOOST_TEST_CONTEXT("mode " << to_string(mode) << " datagram " << datagram << " unix " << unix) {
          ServerConfig config;
          config.mode = mode.mode;
          config.threads = mode.threads;
          config.datagram = datagram;
          config.request_timeout = Seconds(5);
          if (unix) config.address = Address::unix_socket(dir.file("s.sock"));
          auto server = make_server(config, datagram ? handler<PacketEcho>() : handler<LineEcho>());
          ServerThread running(*server);
          for (int i = 0; i < 3; ++i) {
            std::string message = "hello " + std::to_string(i) + "\n";
            if (datagram) {
              BOOST_TEST(datagram_exchange(server->server_address(), message, io_timeout,
                                           dir.file("client.sock")) == message);
            } else {
              Client client(server->server_address());
              client.send(message);
              BOOST_TEST(client.readline() == message);
              client.half_close();
              BOOST_TEST(client.read_all() == "");
            }
          }
        }
      }
    }
  }
}
