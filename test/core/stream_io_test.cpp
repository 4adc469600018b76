// rfile and wfile of StreamRequestHandler over real connections: lines, limits, counted
// reads, partial arrival, big transfers, binary data, timeouts, resets and signals.
#define BOOST_TEST_MODULE stream_io
#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;
using namespace std::string_literals;

namespace {

bool is_timeout(const boost::system::system_error& e) {
  return e.code() == boost::asio::error::timed_out;
}

// A handler whose own `timeout` attribute is short.
struct ImpatientReader : StreamRequestHandler {
  ImpatientReader(boost::system::error_code& code, Seconds& elapsed) : code_(code), elapsed_(elapsed) {
    timeout = 0.3s;
  }
  void handle() override {
    Stopwatch watch;
    try {
      rfile.readline();
    } catch (const boost::system::system_error& e) {
      code_ = e.code();
    }
    elapsed_ = watch.elapsed();
  }
  boost::system::error_code& code_;
  Seconds& elapsed_;
};

// Reads with a one-byte buffer, so every delimiter straddles reads.
struct TinyBuffer : StreamRequestHandler {
  explicit TinyBuffer(std::vector<std::string>& messages) : messages_(messages) { rbufsize = 1; }
  void handle() override {
    while (auto message = rfile.read_until("\r\n", 100)) messages_.push_back(*message);
  }
  std::vector<std::string>& messages_;
};

// Buffers its writes; finish() must flush them.
struct BufferedWriter : StreamRequestHandler {
  BufferedWriter() { wbufsize = 1024; }
  void handle() override {
    wfile.write("a");
    wfile.write({"b"s, "\0"s});
    wfile.write(std::string(4000, 'c'));  // larger than the buffer: flushes, then sends
    wfile.write("d");
  }
};

struct NagleProbe : StreamRequestHandler {
  NagleProbe(bool disable, bool& seen) : seen_(seen) { disable_nagle_algorithm = disable; }
  void handle() override {
    boost::asio::ip::tcp::no_delay option;
    connection().get_option(option);
    seen_ = option.value();
  }
  bool& seen_;
};

std::atomic<bool> got_sigusr1{false};
extern "C" void on_sigusr1(int) { got_sigusr1 = true; }

} // namespace

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(readline_with_and_without_limit_and_at_eof) {
  std::vector<std::string> got;
  auto server = function_server([&](FunctionHandler& h) {
    got.push_back(h.rfile.readline());
    got.push_back(h.rfile.readline(6));
    got.push_back(h.rfile.readline());
    got.push_back(h.rfile.readline());
    got.push_back(h.rfile.readline());
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send("first line\nsecond line\nthird");
    client.half_close();
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  std::vector<std::string> expected{"first line\n", "second", " line\n", "third", ""};
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(line_past_max_line_length_is_limit_exceeded) {
  auto server = function_server([](FunctionHandler& h) {
    h.rfile.max_line_length = 64;
    try {
      h.rfile.readline();
      h.wfile.write("accepted\n");
    } catch (const LimitExceeded& e) {
      h.wfile.write("too long\n");
    }
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send(std::string(200, 'x'));
    BOOST_TEST(client.readline() == "too long\n");
  }
  served.get();
}

BOOST_AUTO_TEST_CASE(read_and_read_exactly_at_early_eof) {
  std::string first;
  std::size_t received = 0;
  auto server = function_server([&](FunctionHandler& h) {
    first = h.rfile.read(2);
    try {
      h.rfile.read_exactly(10);
    } catch (const IncompleteRead& e) {
      received = e.received();
      h.wfile.write("incomplete\n");
    }
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send("abcde");
    client.half_close();
    BOOST_TEST(client.readline() == "incomplete\n");
  }
  served.get();
  BOOST_TEST(first == "ab");
  BOOST_TEST(received == 3u);
}

BOOST_AUTO_TEST_CASE(read_all_with_a_limit) {
  for (std::size_t limit : {999u, 1000u}) {
    BOOST_TEST_CONTEXT("limit " << limit) {
      auto server = function_server([limit](FunctionHandler& h) {
        try {
          h.wfile.write(std::to_string(h.rfile.read_all(limit).size()) + "\n");
        } catch (const LimitExceeded&) {
          h.wfile.write("limit\n");
        }
      });
      auto served = serve_one(*server);
      Client client(server->server_address());
      client.send(std::string(1000, '\0'));
      client.half_close();
      BOOST_TEST(client.readline() == (limit == 1000 ? "1000\n" : "limit\n"));
      served.get();
    }
  }
}

BOOST_AUTO_TEST_CASE(read_until_with_a_delimiter_split_across_reads) {
  std::vector<std::string> messages;
  TCPServer server(Address::parse("127.0.0.1:0"), handler<TinyBuffer>(std::ref(messages)));
  auto served = serve_one(server);
  {
    Client client(server.server_address());
    client.socket().set_option(boost::asio::ip::tcp::no_delay(true));
    for (char c : "alpha\r\nbe\rta\r\n\r\n"s) client.send(std::string(1, c));
    client.half_close();
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  std::vector<std::string> expected{"alpha", "be\rta", ""};
  BOOST_TEST(messages == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(lines_iteration_over_a_connection) {
  auto server = function_server([](FunctionHandler& h) {
    int count = 0;
    std::size_t bytes = 0;
    for (const std::string& line : h.rfile.lines()) {
      ++count;
      bytes += line.size();
    }
    h.wfile.write(std::to_string(count) + " " + std::to_string(bytes) + "\n");
  });
  auto served = serve_one(*server);
  Client client(server->server_address());
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  text += "unterminated";
  client.send(text);
  client.half_close();
  BOOST_TEST(client.readline() == "1001 " + std::to_string(text.size()) + "\n");
  served.get();
}

BOOST_AUTO_TEST_CASE(client_sending_one_byte_at_a_time) {
  auto server = function_server([](FunctionHandler& h) {
    for (const std::string& line : h.rfile.lines()) h.wfile.write(line);
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.socket().set_option(boost::asio::ip::tcp::no_delay(true));
    for (std::string line : {"hello\n"s, "partial world\n"s, "\0bin\0\n"s}) {
      for (char c : line) client.send(std::string(1, c));
      BOOST_TEST(client.readline() == line);
    }
    client.half_close();
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
}

BOOST_AUTO_TEST_CASE(binary_data_with_embedded_nuls_round_trips) {
  std::string line;
  auto server = function_server([&](FunctionHandler& h) {
    line = h.rfile.readline();
    h.wfile.write(line);
    h.wfile.write(h.rfile.read_exactly(256));
  });
  auto served = serve_one(*server);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  {
    Client client(server->server_address());
    client.send("\0\0a\0b\n"s + all_bytes);
    BOOST_TEST(client.read_exactly(6) == "\0\0a\0b\n"s);
    BOOST_TEST(client.read_exactly(256) == all_bytes);
  }
  served.get();
  BOOST_TEST(line == "\0\0a\0b\n"s);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(writing)

BOOST_AUTO_TEST_CASE(sixteen_mebibyte_echo) {
  auto server = function_server([](FunctionHandler& h) {
    for (int i = 0; i < 100000; ++i) {  // bounded: 16 MiB needs at most ~16000 reads
      std::string chunk = h.rfile.read(64 * 1024);
      if (chunk.empty()) return;
      h.wfile.write(chunk);
    }
  });
  server->request_timeout = io_timeout;
  auto served = serve_one(*server);
  const std::string data = pattern_bytes(16 * 1024 * 1024);
  Client client(server->server_address());
  std::exception_ptr send_error;
  std::jthread sender([&] {  // sends while the main thread receives, or both would block
    try {
      for (std::size_t offset = 0; offset < data.size(); offset += 1000003)
        client.send(std::string_view(data).substr(offset, 1000003));
      client.half_close();
    } catch (...) {
      send_error = std::current_exception();
    }
  });
  std::string echoed = client.read_all();  // bounded by the client's io_timeout
  sender.join();
  if (send_error) std::rethrow_exception(send_error);
  served.get();
  BOOST_TEST(echoed.size() == data.size());
  BOOST_TEST((echoed == data));
}

BOOST_AUTO_TEST_CASE(write_sends_at_once_without_flush) {
  std::string received;
  auto server = function_server([&](FunctionHandler& h) {
    h.wfile.write("write data\n");   // the client answers only after seeing this
    received = h.rfile.readline();
  });
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    BOOST_TEST(client.readline() == "write data\n");
    client.send("client response\n");
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  BOOST_TEST(received == "client response\n");
}

BOOST_AUTO_TEST_CASE(buffered_writes_are_flushed_in_order_by_finish) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<BufferedWriter>());
  auto served = serve_one(server);
  Client client(server.server_address());
  BOOST_TEST(client.read_all() == "ab\0"s + std::string(4000, 'c') + "d");
  served.get();
}

BOOST_AUTO_TEST_CASE(big_write_is_not_truncated_by_signals) {
  // Python's SocketWriterTest.test_write: a signal interrupting a blocked send() must not
  // cut the write short. SIGUSR1 is installed without SA_RESTART so poll() sees EINTR.
  struct sigaction action {}, previous {};
  action.sa_handler = on_sigusr1;
  sigemptyset(&action.sa_mask);
  BOOST_REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);
  got_sigusr1 = false;

  constexpr std::size_t big = 16 * 1024 * 1024;
  std::promise<pthread_t> handler_thread;
  auto server = function_server([&](FunctionHandler& h) {
    handler_thread.set_value(::pthread_self());
    h.wfile.write("write data\n");
    h.rfile.readline();
    h.wfile.write(std::string(big, '\0'));
  });
  server->request_timeout = io_timeout;
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    BOOST_TEST(client.readline() == "write data\n");
    pthread_t target = handler_thread.get_future().get();
    client.send("client response\n");
    BOOST_TEST(client.read_exactly(100).size() == 100u);
    // The handler is now blocked writing; signal it until a signal has been delivered.
    for (int i = 0; i < 200 && !got_sigusr1; ++i) {
      ::pthread_kill(target, SIGUSR1);
      eventually([] { return got_sigusr1.load(); }, 50ms);
    }
    BOOST_TEST(got_sigusr1.load());
    BOOST_TEST(client.read_all().size() == big - 100);
  }
  served.get();
  ::sigaction(SIGUSR1, &previous, nullptr);
}

BOOST_AUTO_TEST_CASE(disable_nagle_algorithm_sets_tcp_nodelay) {
  for (bool disable : {false, true}) {
    bool seen = !disable;
    TCPServer server(Address::parse("127.0.0.1:0"), handler<NagleProbe>(disable, std::ref(seen)));
    auto served = serve_one(server);
    {
      Client client(server.server_address());
      BOOST_TEST(client.read_all() == "");
    }
    served.get();
    BOOST_TEST(seen == disable);
  }
}

BOOST_AUTO_TEST_CASE(peer_reset_mid_write_is_an_ordinary_error) {
  // Restore the default action so that a SIGPIPE would really kill the process; the
  // server must protect itself.
  struct sigaction default_action {}, previous {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(SIGPIPE, &default_action, &previous);

  std::optional<boost::system::error_code> write_error;
  auto server = function_server([&](FunctionHandler& h) {
    h.rfile.readline();
    try {
      std::string chunk(64 * 1024, 'x');
      for (int i = 0; i < 100000; ++i) h.wfile.write(chunk);
    } catch (const boost::system::system_error& e) {
      write_error = e.code();
    }
  });
  server->request_timeout = io_timeout;
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    client.send("go\n");
    BOOST_TEST(!client.recv().empty());
    client.reset();
  }
  served.get();
  BOOST_REQUIRE(write_error.has_value());
  BOOST_TEST((*write_error == boost::asio::error::broken_pipe ||
              *write_error == boost::asio::error::connection_reset),
             "unexpected error: " << write_error->message());

  // Still alive, still serving.
  auto echo = function_server([](FunctionHandler& h) { h.wfile.write(h.rfile.readline()); });
  auto served_again = serve_one(*echo);
  Client next(echo->server_address());
  next.send("alive\n");
  BOOST_TEST(next.readline() == "alive\n");
  served_again.get();
  ::sigaction(SIGPIPE, &previous, nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeouts)

BOOST_AUTO_TEST_CASE(silent_peer_times_out_with_the_handler_timeout) {
  boost::system::error_code code;
  Seconds elapsed{};
  TCPServer server(Address::parse("127.0.0.1:0"), handler<ImpatientReader>(std::ref(code), std::ref(elapsed)));
  auto served = serve_one(server);
  {
    Client client(server.server_address());
    client.send("no newline, then silence");
    BOOST_TEST(client.read_all() == "");  // the server gives up and closes
  }
  served.get();
  BOOST_TEST(code == boost::asio::error::timed_out, code.message());
  BOOST_TEST(elapsed.count() >= 0.25);
  BOOST_TEST(elapsed.count() < 3.0);
}

BOOST_AUTO_TEST_CASE(server_request_timeout_is_the_default) {
  boost::system::error_code code;
  Seconds elapsed{};
  std::optional<Seconds> handler_timeout;
  auto server = function_server([&](FunctionHandler& h) {
    handler_timeout = h.timeout;
    Stopwatch watch;
    try {
      h.rfile.read_exactly(10);
    } catch (const boost::system::system_error& e) {
      code = e.code();
    }
    elapsed = watch.elapsed();
  });
  server->request_timeout = 0.3s;
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  BOOST_TEST(code == boost::asio::error::timed_out, code.message());
  BOOST_TEST(elapsed.count() >= 0.25);
  BOOST_TEST(elapsed.count() < 3.0);
  BOOST_REQUIRE(handler_timeout.has_value());
  BOOST_TEST(handler_timeout->count() == 0.3, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(handler_timeout_overrides_the_server_default) {
  boost::system::error_code code;
  Seconds elapsed{};
  TCPServer server(Address::parse("127.0.0.1:0"), handler<ImpatientReader>(std::ref(code), std::ref(elapsed)));
  server.request_timeout = 60s;
  auto served = serve_one(server);
  {
    Client client(server.server_address());
    BOOST_TEST(client.read_all() == "");
  }
  served.get();
  BOOST_TEST(code == boost::asio::error::timed_out);
  BOOST_TEST(elapsed.count() < 3.0);
}

BOOST_AUTO_TEST_CASE(peer_that_stops_reading_times_out_the_write) {
  std::optional<boost::system::error_code> code;
  Seconds elapsed{};
  auto server = function_server([&](FunctionHandler& h) {
    Stopwatch watch;
    try {
      h.wfile.write(std::string(64 * 1024 * 1024, 'w'));
    } catch (const boost::system::system_error& e) {
      code = e.code();
    }
    elapsed = watch.elapsed();
  });
  server->request_timeout = 0.3s;
  auto served = serve_one(*server);
  {
    Client client(server->server_address());
    served.get();  // the client reads nothing until the handler has given up
  }
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST(*code == boost::asio::error::timed_out, code->message());
  BOOST_TEST(elapsed.count() < 5.0);
}

BOOST_AUTO_TEST_CASE(timeout_error_is_a_system_error_that_can_be_caught_as_such) {
  auto server = function_server([](FunctionHandler& h) {
    h.rfile.timeout = 0.1s;
    try {
      h.rfile.read(1);
    } catch (const boost::system::system_error& e) {
      h.wfile.write(is_timeout(e) ? "timed out\n" : "other\n");
    }
  });
  auto served = serve_one(*server);
  Client client(server->server_address());
  BOOST_TEST(client.readline() == "timed out\n");
  served.get();
}

BOOST_AUTO_TEST_SUITE_END()
