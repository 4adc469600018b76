// MessageRequestHandler: handle() serves the connection message by message, in every mode.
// One thread serving many such connections in turn is async mode with one loop thread;
// a sync server serves one connection at a time, to its end, as Python's does.
#define BOOST_TEST_MODULE message_handler
#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;

namespace {

// What the handlers report back to a test.
struct Events {
  std::atomic<int> finished{0};
};

// Each line is a message: echoed back, except "boom" (throws) and "bye" (answers, then
// closes the connection).
struct LineMessages : MessageRequestHandler {
  explicit LineMessages(std::shared_ptr<Events> events = nullptr) : events_(std::move(events)) {}

  void handle_message() override {
    std::string line = rfile.readline();
    if (line.empty()) {
      close_connection = true;
      return;
    }
    if (line == "boom\n") throw std::runtime_error("boom requested");
    wfile.write(line);
    if (line == "bye\n") close_connection = true;
  }

  void finish() override {
    MessageRequestHandler::finish();
    if (events_) ++events_->finished;
  }

private:
  std::shared_ptr<Events> events_;
};

Address loopback() { return Address::parse("127.0.0.1:0"); }

// Async with one loop thread: every connection on the serving thread.
template <class Server = AsyncTCPServer>
struct OneThread : Server {
  template <class... Args>
  explicit OneThread(Args&&... args) : Server(std::forward<Args>(args)...) {
    this->threads = 1;
  }
};

// True when @p client has bytes (or end of stream) to read within @p limit.
bool readable_within(Client& client, Seconds limit) {
  pollfd entry{client.socket().native_handle(), POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(limit.count() * 1000)) > 0;
}

// One line there and back.
void expect_echo(Client& client, const std::string& line) {
  client.send(line);
  BOOST_TEST(client.readline() == line);
}

} // namespace

BOOST_AUTO_TEST_CASE(one_loop_thread_serves_open_connections_in_turn) {
  OneThread<> server(loopback(), handler<LineMessages>());
  ServerThread serving(server);
  Client first(server.server_address());
  expect_echo(first, "one\n");
  Client second(server.server_address());
  expect_echo(second, "two\n");
  expect_echo(first, "three\n");
  expect_echo(second, "four\n");
}

BOOST_AUTO_TEST_CASE(a_sync_server_serves_one_connection_to_its_end) {
  TCPServer server(loopback(), handler<LineMessages>());
  ServerThread serving(server);
  Client first(server.server_address());
  expect_echo(first, "one\n");
  Client second(server.server_address());  // accepted by the kernel, not yet served
  second.send("two\n");
  BOOST_TEST(!readable_within(second, Seconds(0.3)));
  expect_echo(first, "three\n");
  first.half_close();
  BOOST_TEST(first.read_all().empty());
  BOOST_TEST(second.readline() == "two\n");  // its turn once the first has ended
}

BOOST_AUTO_TEST_CASE(a_unix_stream_server_serves_them_in_turn_too) {
  TempDir directory;
  OneThread<AsyncUnixStreamServer> server(Address::parse("unix:" + directory.file("messages.sock")),
                                          handler<LineMessages>());
  ServerThread serving(server);
  Client first(server.server_address());
  Client second(server.server_address());
  expect_echo(second, "second first\n");
  expect_echo(first, "then first\n");
}

BOOST_AUTO_TEST_CASE(messages_that_arrive_together_are_all_answered) {
  OneThread<> server(loopback(), handler<LineMessages>());
  ServerThread serving(server);
  Client client(server.server_address());
  client.send("a\nb\nc\n");  // one write: the last two wait in rfile's buffer, not the socket
  BOOST_TEST(client.readline() == "a\n");
  BOOST_TEST(client.readline() == "b\n");
  BOOST_TEST(client.readline() == "c\n");
}

BOOST_AUTO_TEST_CASE(close_connection_ends_it_and_finish_runs) {
  auto events = std::make_shared<Events>();
  OneThread<> server(loopback(), handler<LineMessages>(events));
  ServerThread serving(server);
  Client client(server.server_address());
  expect_echo(client, "bye\n");
  BOOST_TEST(client.read_all().empty());  // end of stream, nothing more
  BOOST_TEST(eventually([&] { return events->finished == 1; }));
}

BOOST_AUTO_TEST_CASE(end_of_stream_ends_it_and_finish_runs) {
  auto events = std::make_shared<Events>();
  OneThread<> server(loopback(), handler<LineMessages>(events));
  ServerThread serving(server);
  {
    Client client(server.server_address());
    expect_echo(client, "only\n");
    client.half_close();
    BOOST_TEST(client.read_all().empty());
  }
  BOOST_TEST(eventually([&] { return events->finished == 1; }));
}

BOOST_AUTO_TEST_CASE(a_failing_message_costs_its_connection_only) {
  auto events = std::make_shared<Events>();
  CountingErrors<OneThread<>> server(loopback(), handler<LineMessages>(events));
  ServerThread serving(server);
  Client bystander(server.server_address());
  expect_echo(bystander, "before\n");
  Client failing(server.server_address());
  failing.send("boom\n");
  BOOST_TEST(failing.read_all().empty());
  BOOST_TEST(server.errors == 1);
  BOOST_TEST(eventually([&] { return events->finished == 1; }));  // finish() despite the error
  expect_echo(bystander, "after\n");
}

BOOST_AUTO_TEST_CASE(a_silent_connection_is_closed_after_the_timeout) {
  OneThread<> server(loopback(), handler<LineMessages>());
  server.request_timeout = Seconds(0.3);
  ServerThread serving(server);
  Client silent(server.server_address());
  Client talking(server.server_address());
  Stopwatch watch;
  // `talking` keeps its own connection alive; `silent` is dropped meanwhile.
  while (watch.elapsed() < Seconds(0.6)) expect_echo(talking, "still here\n");
  BOOST_TEST(silent.read_all().empty());
  BOOST_TEST(watch.elapsed() >= Seconds(0.25));
  expect_echo(talking, "and after\n");
}

BOOST_AUTO_TEST_CASE(server_close_serves_them_until_they_end) {
  auto events = std::make_shared<Events>();
  OneThread<> server(loopback(), handler<LineMessages>(events));
  server.drain_timeout = Seconds(60);  // far longer than the test: only the client ends it
  Client client(server.server_address());
  {
    Serving serving(server);
    expect_echo(client, "while serving\n");
  }  // serve_forever() has returned; the connection is still open
  client.send("late\n");
  auto closing = std::async(std::launch::async, [&server] { server.server_close(); });
  BOOST_TEST(client.readline() == "late\n");  // served by the drain
  client.half_close();
  BOOST_REQUIRE(closing.wait_for(io_timeout) == std::future_status::ready);
  BOOST_TEST(events->finished == 1);
}

BOOST_AUTO_TEST_CASE(server_close_ends_them_when_the_drain_time_is_up) {
  auto events = std::make_shared<Events>();
  OneThread<> server(loopback(), handler<LineMessages>(events));
  server.drain_timeout = Seconds(0.2);
  Client client(server.server_address());
  {
    Serving serving(server);
    expect_echo(client, "hello\n");
  }
  Stopwatch watch;
  server.server_close();
  BOOST_TEST(watch.elapsed() >= Seconds(0.15));
  BOOST_TEST(events->finished == 1);
  BOOST_TEST(client.read_all().empty());
}

BOOST_AUTO_TEST_CASE(no_descriptor_outlives_its_connection) {
  OneThread<> server(loopback(), handler<LineMessages>());
  ServerThread serving(server);
  {
    Client first(server.server_address());  // the first one makes the contexts' descriptors
    expect_echo(first, "x\n");
  }
  std::size_t before = count_open_fds();  // perhaps one more, if `first` is still being closed
  for (int round = 0; round < 20; ++round) {
    Client client(server.server_address());
    expect_echo(client, "x\n");
  }
  BOOST_TEST(eventually([&] { return count_open_fds() <= before; }));
}

BOOST_AUTO_TEST_CASE(handle_request_serves_the_whole_connection) {
  TCPServer server(loopback(), handler<LineMessages>());
  auto served = serve_one(server);
  {
    Client client(server.server_address());
    expect_echo(client, "first\n");
    expect_echo(client, "second\n");
  }
  BOOST_REQUIRE(served.wait_for(io_timeout) == std::future_status::ready);
  served.get();
}

BOOST_AUTO_TEST_CASE(a_thread_per_connection_serves_every_message) {
  auto events = std::make_shared<Events>();
  ThreadingTCPServer server(loopback(), handler<LineMessages>(events));
  ServerThread serving(server);
  {
    Client client(server.server_address());
    expect_echo(client, "first\n");
    expect_echo(client, "second\n");
  }
  BOOST_TEST(eventually([&] { return events->finished == 1; }));
}

BOOST_AUTO_TEST_CASE(a_fiber_serves_every_message) {
  for (std::size_t threads : {1, 2}) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      auto events = std::make_shared<Events>();
      AsyncTCPServer server(loopback(), handler<LineMessages>(events));
      server.threads = threads;
      ServerThread serving(server);
      {
        Client first(server.server_address());
        Client second(server.server_address());  // on the other loop with two threads
        expect_echo(first, "first\n");
        expect_echo(second, "other\n");
        expect_echo(first, "second\n");
      }
      BOOST_TEST(eventually([&] { return events->finished == 2; }));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_pool_worker_serves_every_message) {
  ThreadPoolTCPServer server(loopback(), handler<LineMessages>());
  server.workers = 1;
  ServerThread serving(server);
  Client client(server.server_address());
  expect_echo(client, "first\n");
  expect_echo(client, "second\n");
}
