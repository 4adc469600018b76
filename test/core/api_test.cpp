// The API a newcomer reaches for: the user's own server class under make_server(),
// bind-time parameters, the typed server accessor, plain-seconds timeouts, a finish()
// that forgets the base class, and a message handler that makes no progress.
#define BOOST_TEST_MODULE api
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include <socketserver/socketserver.hpp>

#include "test_support.hpp"

using namespace socketserver;
using namespace std::chrono_literals;
using test_support::Client;
using test_support::ServerThread;

namespace {

// A user's server class: per-server state and its own verify_request().
struct CountingServer : TCPServer {
  using TCPServer::TCPServer;
  std::atomic<int> served{0};
  std::atomic<int> refused{0};
  bool verify_request(const Request& request) override {
    if (refused.load() == 0) {  // refuse the first client only
      ++refused;
      return false;
    }
    return TCPServer::verify_request(request);
  }
};

// Reaches its server's state through the typed accessor, and sets a timeout in seconds.
struct CountingEcho : StreamRequestHandler {
  CountingEcho() { timeout = 5; }
  void handle() override {
    int n = ++server<CountingServer>().served;
    wfile.write(std::to_string(n) + " " + rfile.readline());
  }
};

// Buffers its reply and overrides finish() without calling the base class.
struct ForgetfulFinish : StreamRequestHandler {
  ForgetfulFinish() { wbufsize = 4096; }
  void handle() override { wfile.write("buffered " + rfile.readline()); }
  void finish() override {}
};

// Consumes nothing, ever.
struct Stuck : MessageRequestHandler {
  void handle_message() override {}
};

std::string listen_queue_of(const Address& address) {
  std::string command = "ss -Hltn 'sport = :" + std::to_string(address.port()) + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {};
  char line[512] = {};
  std::string text = std::fgets(line, sizeof line, pipe) ? line : "";
  ::pclose(pipe);
  return text;  // State Recv-Q Send-Q Local Peer
}

} // namespace

BOOST_AUTO_TEST_CASE(make_server_layers_the_mode_over_the_users_server_class) {
  for (const test_support::ModeCase& mode : test_support::in_process_modes) {
    BOOST_TEST_CONTEXT(mode) {
      ServerConfig config;
      config.mode = mode.mode;
      config.threads = mode.threads;
      std::unique_ptr<BaseServer> server = make_server<CountingServer>(config, handler<CountingEcho>());
      auto* counting = dynamic_cast<CountingServer*>(server.get());
      BOOST_REQUIRE(counting);
      ServerThread running(*server);
      {
        Client refused(server->server_address());
        BOOST_TEST(refused.read_all().empty());  // its verify_request() said no
      }
      Client client(server->server_address());
      client.send("hello\n");
      BOOST_TEST(client.readline() == "1 hello\n");
      BOOST_TEST(counting->refused.load() == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(make_server_refuses_a_config_of_another_kind) {
  ServerConfig config;
  config.datagram = true;
  BOOST_CHECK_THROW(make_server<CountingServer>(config, handler<CountingEcho>()), std::invalid_argument);
  config.datagram = false;
  config.address = Address::unix_socket("/tmp/never-bound.sock");
  BOOST_CHECK_THROW(make_server<CountingServer>(config, handler<CountingEcho>()), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(backlog_given_at_construction_is_the_listen_queue) {
  ServerParameters parameters;
  parameters.request_queue_size = 7;
  TCPServer server{Address::parse("127.0.0.1:0"), handler<CountingEcho>(), parameters};
  BOOST_TEST(server.request_queue_size == 7);
  std::string line = listen_queue_of(server.server_address());
  BOOST_TEST_MESSAGE("ss: " << line);
  // Send-Q of a listening socket is its backlog.
  char state[32] = {};
  unsigned recv_q = 0, send_q = 0;
  BOOST_REQUIRE(std::sscanf(line.c_str(), "%31s %u %u", state, &recv_q, &send_q) == 3);
  BOOST_TEST(send_q == 7u);
}

BOOST_AUTO_TEST_CASE(typed_server_accessor_refuses_the_wrong_class) {
  struct Asks : StreamRequestHandler {
    void handle() override {
      try {
        server<UDPServer>();
        wfile.write("no error\n");
      } catch (const std::logic_error&) {
        wfile.write("logic_error\n");
      }
    }
  };
  TCPServer server{Address::parse("127.0.0.1:0"), handler<Asks>()};
  ServerThread running(server);
  Client client(server.server_address());
  BOOST_TEST(client.readline() == "logic_error\n");
}

BOOST_AUTO_TEST_CASE(timeouts_take_plain_seconds) {
  StreamRequestHandler handler;
  handler.timeout = 5;
  BOOST_TEST(handler.timeout->count() == 5.0);
  handler.timeout = 0.25;
  BOOST_TEST(handler.timeout->count() == 0.25);
  handler.timeout = 1500ms;
  BOOST_TEST(handler.timeout->count() == 1.5);
  handler.timeout = std::nullopt;
  BOOST_TEST(!handler.timeout);
}

BOOST_AUTO_TEST_CASE(reply_buffered_by_a_finish_without_the_base_class_is_still_sent) {
  TCPServer server{Address::parse("127.0.0.1:0"), handler<ForgetfulFinish>()};
  ServerThread running(server);
  Client client(server.server_address());
  client.send("reply\n");
  BOOST_TEST(client.read_all() == "buffered reply\n");
}

BOOST_AUTO_TEST_CASE(message_handler_that_consumes_nothing_is_ended) {
  for (const test_support::ModeCase& mode : {test_support::ModeCase(Mode::sync), test_support::ModeCase(Mode::threading),
                                             test_support::async_modes[0], test_support::async_modes[1]}) {
    BOOST_TEST_CONTEXT(mode) {
      ServerConfig config;
      config.mode = mode.mode;
      config.threads = mode.threads;
      auto server = make_server(config, handler<Stuck>());
      ServerThread running(*server);
      Client client(server->server_address(), 10s);
      client.send("anything\n");
      BOOST_TEST(client.read_all().empty());  // closed at once, not spinning until the timeout
    }
  }
}
