// BaseServer's contract in sync mode: every Python hook and its call order, errors,
// verify_request, handle_request/timeout, service_actions, the ways to stop serve_forever(),
// and handler constructor arguments.
#define BOOST_TEST_MODULE lifecycle
#include <boost/test/unit_test.hpp>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core_helpers.hpp"
#include "test_support.hpp"

using namespace socketserver;
using namespace test_support;
using namespace core_test;

namespace {

using Entries = std::vector<std::string>;

/// The hook calls of a server and its handlers, in order (appended from any thread).
class CallLog {
public:
  void add(std::string entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  Entries take() {
    std::lock_guard lock(mutex_);
    Entries taken;
    taken.swap(entries_);
    return taken;
  }
  std::size_t count(const std::string& entry) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(entries_.begin(), entries_.end(), entry));
  }
  Entries snapshot() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

private:
  std::mutex mutex_;
  Entries entries_;
};

enum class Behaviour { echo_line, throw_in_handle, request_shutdown, shutdown };

/// A handler that records its own steps in the log.
struct RecordingHandler : StreamRequestHandler {
  RecordingHandler(CallLog& log, Behaviour behaviour) : log_(log), behaviour_(behaviour) {
    log_.add("construct");
  }
  void setup() override {
    log_.add("setup");
    StreamRequestHandler::setup();
  }
  void handle() override {
    log_.add("handle");
    switch (behaviour_) {
    case Behaviour::echo_line:
      wfile.write(rfile.readline());
      break;
    case Behaviour::throw_in_handle:
      throw std::runtime_error("handler failed on purpose");
    case Behaviour::request_shutdown:
      server().request_shutdown();
      wfile.write("stopping\n");
      break;
    case Behaviour::shutdown:
      server().shutdown();  // from the serving thread: must not deadlock
      wfile.write("stopping\n");
      break;
    }
  }
  void finish() override {
    log_.add("finish");
    StreamRequestHandler::finish();
  }

  CallLog& log_;
  Behaviour behaviour_;
};

/// A TCPServer that records every hook (Python's names) and then does the default.
/// Built with bind_and_activate = false: a constructor cannot call an override, so the
/// test calls bind_and_activate() itself to see server_bind() and server_activate().
struct RecordingServer : TCPServer {
  RecordingServer(CallLog& log, Behaviour behaviour)
      : TCPServer(Address::parse("127.0.0.1:0"), handler<RecordingHandler>(std::ref(log), behaviour), false),
        log_(log) {}

  bool refuse = false;
  std::string last_error;
  Address last_error_client;

  void server_bind() override {
    log_.add("server_bind");
    TCPServer::server_bind();
  }
  void server_activate() override {
    log_.add("server_activate");
    TCPServer::server_activate();
  }
  std::optional<Request> get_request() override {
    log_.add("get_request");
    return TCPServer::get_request();
  }
  bool verify_request(const Request& request) override {
    log_.add("verify_request");
    return !refuse && TCPServer::verify_request(request);
  }
  void process_request(Request request) override {
    log_.add("process_request");
    TCPServer::process_request(std::move(request));
  }
  void finish_request(Request& request) override {
    log_.add("finish_request");
    TCPServer::finish_request(request);
  }
  void shutdown_request(Request& request) override {
    log_.add("shutdown_request");
    TCPServer::shutdown_request(request);
  }
  void close_request(Request& request) override {
    log_.add("close_request");
    TCPServer::close_request(request);
  }
  void handle_error(const Request& request, std::exception_ptr error) override {
    log_.add("handle_error");
    last_error_client = request.client_address;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      last_error = e.what();
    }
  }
  void handle_timeout() override {
    log_.add("handle_timeout");
    TCPServer::handle_timeout();
  }
  void service_actions() override {
    log_.add("service_actions");
    TCPServer::service_actions();
  }
  void server_close() override {
    log_.add("server_close");
    TCPServer::server_close();
  }

  CallLog& log_;
};

struct StopFromHandler : StreamRequestHandler {
  void handle() override { server().request_shutdown(); }
};

/// Shared state and configuration bound into handlers with handler<H>(args...).
struct Counters {
  std::atomic<int> handlers{0};
  std::atomic<int> requests{0};
};

struct Greeter : StreamRequestHandler {
  Greeter(std::string greeting, Counters& counters, std::shared_ptr<std::atomic<int>> shared)
      : greeting_(std::move(greeting)), counters_(counters), shared_(std::move(shared)) {
    ++counters_.handlers;
  }
  void handle() override {
    int n = ++counters_.requests;
    ++*shared_;
    wfile.write(greeting_ + " #" + std::to_string(n) + "\n");
  }
  std::string greeting_;
  Counters& counters_;
  std::shared_ptr<std::atomic<int>> shared_;
};

/// Records who the handler's server() and request() are.
struct Introspect : StreamRequestHandler {
  Introspect(BaseServer*& server, bool& stream) : server_(server), stream_(stream) {}
  void handle() override {
    server_ = &server();
    stream_ = request().is_stream() && &connection() == &*request().connection;
  }
  BaseServer*& server_;
  bool& stream_;
};

struct FailingPacket : DatagramRequestHandler {
  void handle() override {
    if (rfile.read_all(100) == "fail") throw std::runtime_error("bad datagram");
    wfile.write("ok");
  }
};

template <class ServerType>
struct CountErrors : ServerType {
  using ServerType::ServerType;
  std::atomic<int> errors{0};
  void handle_error(const Request&, std::exception_ptr) override { ++errors; }
};

BaseServer* signalled_server = nullptr;
extern "C" void stop_signalled_server(int) { signalled_server->request_shutdown(); }

bool wait_until_serving(const BaseServer& server) {
  return eventually([&] { return server.serving(); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(hooks)

BOOST_AUTO_TEST_CASE(bind_and_activate_call_the_hooks) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  BOOST_TEST(log.take().size() == 0u);
  server.bind_and_activate();
  Entries expected{"server_bind", "server_activate"};
  BOOST_TEST(log.take() == expected, boost::test_tools::per_element());
  BOOST_TEST(server.server_address().port() != 0);
}

BOOST_AUTO_TEST_CASE(a_request_calls_the_hooks_in_pythons_order) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.bind_and_activate();
  log.take();
  Client client(server.server_address());
  client.send("hi\n");
  server.handle_request();  // the client is already waiting: no other thread needed
  BOOST_TEST(client.readline() == "hi\n");
  BOOST_TEST(client.read_all() == "");  // shutdown_request() ended the connection
  Entries expected{"get_request",    "verify_request", "process_request", "finish_request",
                   "construct",      "setup",          "handle",          "finish",
                   "shutdown_request", "close_request"};
  BOOST_TEST(log.take() == expected, boost::test_tools::per_element());
  server.server_close();
  BOOST_TEST(log.take() == Entries{"server_close"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(handler_exception_goes_to_handle_error_after_finish) {
  CallLog log;
  RecordingServer server(log, Behaviour::throw_in_handle);
  server.bind_and_activate();
  log.take();
  Client client(server.server_address());
  server.handle_request();
  BOOST_TEST(client.read_all() == "");  // the connection is closed
  Entries expected{"get_request", "verify_request", "process_request", "finish_request",
                   "construct",   "setup",          "handle",          "finish",
                   "handle_error", "shutdown_request", "close_request"};
  BOOST_TEST(log.take() == expected, boost::test_tools::per_element());
  BOOST_TEST(server.last_error == "handler failed on purpose");
  BOOST_TEST(server.last_error_client == client.local_address());
}

BOOST_AUTO_TEST_CASE(verify_request_refusing_skips_the_handler_but_shuts_down) {
  // Python issue #26309: shutdown_request() is called even when verify_request() refuses.
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.refuse = true;
  server.bind_and_activate();
  log.take();
  Client client(server.server_address());
  client.send("let me in\n");
  server.handle_request();
  Entries expected{"get_request", "verify_request", "shutdown_request", "close_request"};
  BOOST_TEST(log.take() == expected, boost::test_tools::per_element());
  std::string answer;
  try {
    answer = client.read_all();  // closed: EOF, or a reset since its line went unread
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == boost::asio::error::connection_reset);
  }
  BOOST_TEST(answer == "");
}

BOOST_AUTO_TEST_CASE(handle_request_timeout_calls_handle_timeout) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.bind_and_activate();
  log.take();
  server.timeout = 0.2s;
  Stopwatch watch;
  server.handle_request();
  Seconds elapsed = watch.elapsed();
  BOOST_TEST(log.take() == Entries{"handle_timeout"}, boost::test_tools::per_element());
  BOOST_TEST(elapsed.count() >= 0.19);
  BOOST_TEST(elapsed.count() < 3.0);
}

BOOST_AUTO_TEST_CASE(handle_request_with_timeout_serves_a_request_that_comes) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.bind_and_activate();
  server.timeout = io_timeout;
  std::string reply;  // checked here: Boost.Test assertions stay on the main thread
  std::thread client_thread([&] {
    Client client(server.server_address());
    client.send("late\n");
    reply = client.readline();
  });
  server.handle_request();
  client_thread.join();
  BOOST_TEST(reply == "late\n");
  Entries entries = log.take();
  BOOST_TEST(std::count(entries.begin(), entries.end(), "handle_timeout") == 0);
  BOOST_TEST(std::count(entries.begin(), entries.end(), "handle") == 1);
}

BOOST_AUTO_TEST_CASE(service_actions_every_poll_interval_and_after_each_request) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.bind_and_activate();
  {
    Serving serving(server, 0.02s);
    BOOST_TEST(eventually([&] { return log.count("service_actions") >= 3; }));
  }
  log.take();
  {
    // With a poll interval of a minute, a service_actions() call can only come from a request.
    ServerThread running(server, 60s);
    BOOST_REQUIRE(wait_until_serving(server));
    Client client(server.server_address());
    client.send("x\n");
    BOOST_TEST(client.readline() == "x\n");
    BOOST_TEST(eventually([&] {
      Entries now = log.snapshot();
      auto closed = std::find(now.begin(), now.end(), "close_request");
      return closed != now.end() && std::find(closed, now.end(), "service_actions") != now.end();
    }));
  }
}

BOOST_AUTO_TEST_CASE(handle_request_does_not_call_service_actions) {
  CallLog log;
  RecordingServer server(log, Behaviour::echo_line);
  server.bind_and_activate();
  Client client(server.server_address());
  client.send("y\n");
  server.handle_request();
  BOOST_TEST(log.count("service_actions") == 0u);
}

BOOST_AUTO_TEST_CASE(handler_sees_its_server_and_request) {
  BaseServer* seen = nullptr;
  bool stream = false;
  TCPServer server(Address::parse("127.0.0.1:0"), handler<Introspect>(std::ref(seen), std::ref(stream)));
  Client client(server.server_address());
  server.handle_request();
  BOOST_TEST(seen == static_cast<BaseServer*>(&server));
  BOOST_TEST(stream);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(default_handle_error_prints_one_line_naming_the_client) {
  CallLog log;
  TCPServer server(Address::parse("127.0.0.1:0"),
                   handler<RecordingHandler>(std::ref(log), Behaviour::throw_in_handle));
  Client client(server.server_address());
  std::ostringstream captured;
  std::streambuf* original = std::cerr.rdbuf(captured.rdbuf());
  try {
    server.handle_request();
  } catch (...) {
    std::cerr.rdbuf(original);
    throw;
  }
  std::cerr.rdbuf(original);
  std::string text = captured.str();
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1);
  BOOST_TEST(text.find(client.local_address().to_string()) != std::string::npos, text);
  BOOST_TEST(text.find("handler failed on purpose") != std::string::npos, text);
  BOOST_TEST(client.read_all() == "");
}

BOOST_AUTO_TEST_CASE(after_a_handler_exception_the_next_client_is_served) {
  struct MaybeThrow : StreamRequestHandler {
    void handle() override {
      std::string line = rfile.readline();
      if (line == "boom\n") throw std::runtime_error("boom");
      wfile.write(line);
    }
  };
  CountErrors<TCPServer> server(Address::parse("127.0.0.1:0"), handler<MaybeThrow>());
  ServerThread running(server);
  for (int i = 0; i < 3; ++i) {
    {
      Client bad(server.server_address());
      bad.send("boom\n");
      BOOST_TEST(bad.read_all() == "");
    }
    Client good(server.server_address());
    good.send("fine\n");
    BOOST_TEST(good.readline() == "fine\n");
  }
  running.stop();
  BOOST_TEST(server.errors == 3);
}

BOOST_AUTO_TEST_CASE(exception_from_the_handler_constructor_is_handled_too) {
  struct Unconstructible : StreamRequestHandler {
    Unconstructible() { throw std::runtime_error("no handler today"); }
  };
  CountErrors<TCPServer> server(Address::parse("127.0.0.1:0"), handler<Unconstructible>());
  Client client(server.server_address());
  server.handle_request();
  BOOST_TEST(server.errors == 1);
  BOOST_TEST(client.read_all() == "");
}

BOOST_AUTO_TEST_CASE(handle_error_that_throws_does_not_stop_the_server) {
  struct Thrower : StreamRequestHandler {
    void handle() override { throw std::runtime_error("first"); }
  };
  struct RethrowingServer : TCPServer {
    using TCPServer::TCPServer;
    void handle_error(const Request&, std::exception_ptr error) override { std::rethrow_exception(error); }
  };
  RethrowingServer server(Address::parse("127.0.0.1:0"), handler<Thrower>());
  for (int i = 0; i < 2; ++i) {
    Client client(server.server_address());
    BOOST_CHECK_NO_THROW(server.handle_request());
    BOOST_TEST(client.read_all() == "");
  }
}

BOOST_AUTO_TEST_CASE(datagram_handler_exception_then_next_datagram_served) {
  CountErrors<UDPServer> server(Address::parse("127.0.0.1:0"), handler<FailingPacket>());
  ServerThread running(server);
  DatagramClient client(server.server_address());
  client.send("fail");
  BOOST_TEST(client.exchange("good") == "ok");  // no reply was sent for the failed one
  running.stop();
  BOOST_TEST(server.errors == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stopping)

BOOST_AUTO_TEST_CASE(shutdown_from_another_thread_is_prompt_with_a_long_poll_interval) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  Serving serving(server, 60s);
  BOOST_REQUIRE(wait_until_serving(server));
  Stopwatch watch;
  server.shutdown();
  Seconds elapsed = watch.elapsed();
  BOOST_TEST(!server.serving());  // shutdown() returns only once serve_forever() has
  serving.join();
  BOOST_TEST(elapsed.count() < 0.5, "shutdown took " << elapsed.count() << " s");
}

BOOST_AUTO_TEST_CASE(shutdown_while_idle_in_a_datagram_server) {
  UDPServer server(Address::parse("127.0.0.1:0"), handler<FailingPacket>());
  Serving serving(server, 60s);
  BOOST_REQUIRE(wait_until_serving(server));
  Stopwatch watch;
  server.shutdown();
  serving.join();
  BOOST_TEST(watch.elapsed().count() < 0.5);
}

BOOST_AUTO_TEST_CASE(shutdown_before_serve_forever_makes_it_return_at_once) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  Stopwatch watch;
  server.shutdown();  // not serving: returns at once, the stop stays pending
  server.serve_forever(60s);
  BOOST_TEST(watch.elapsed().count() < 0.5);
  BOOST_TEST(!server.serving());
  // The pending stop was used up: serving again works.
  ServerThread running(server, 60s);
  Client client(server.server_address());
  client.send("again\n");
  BOOST_TEST(client.readline() == "again\n");
}

BOOST_AUTO_TEST_CASE(request_shutdown_from_inside_a_handler) {
  for (Behaviour behaviour : {Behaviour::request_shutdown, Behaviour::shutdown}) {
    BOOST_TEST_CONTEXT("shutdown variant " << static_cast<int>(behaviour)) {
      CallLog log;
      RecordingServer server(log, behaviour);
      server.bind_and_activate();
      Serving serving(server, 60s);
      BOOST_REQUIRE(wait_until_serving(server));
      {
        Client client(server.server_address());
        BOOST_TEST(client.readline() == "stopping\n");
      }
      BOOST_TEST(eventually([&] { return !server.serving(); }, 2s));
      serving.join();
      Entries entries = log.take();
      // The request was finished properly before the loop ended.
      BOOST_TEST(std::count(entries.begin(), entries.end(), "close_request") == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(request_shutdown_from_a_signal_handler) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  signalled_server = &server;
  struct sigaction action {}, previous {};
  action.sa_handler = stop_signalled_server;
  sigemptyset(&action.sa_mask);
  BOOST_REQUIRE(::sigaction(SIGUSR2, &action, &previous) == 0);
  Serving serving(server, 60s);
  BOOST_REQUIRE(wait_until_serving(server));
  Stopwatch watch;
  ::pthread_kill(serving.native_handle(), SIGUSR2);  // lands in the serving thread itself
  BOOST_TEST(eventually([&] { return !server.serving(); }, 2s));
  serving.join();
  BOOST_TEST(watch.elapsed().count() < 0.5);
  ::sigaction(SIGUSR2, &previous, nullptr);
  signalled_server = nullptr;
}

BOOST_AUTO_TEST_CASE(many_servers_shut_down_from_their_threads) {
  // Python issue #2302: shutdown() always makes serve_forever() return.
  std::vector<std::unique_ptr<TCPServer>> servers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i)
    servers.push_back(std::make_unique<TCPServer>(Address::parse("127.0.0.1:0"), handler<LineEcho>()));
  for (auto& server : servers) threads.emplace_back([&server] { server->serve_forever(0.01s); });
  for (auto& server : servers) server->shutdown();
  for (auto& thread : threads) thread.join();
  for (auto& server : servers) server->server_close();
}

BOOST_AUTO_TEST_CASE(concurrent_shutdown_calls_all_return) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  Serving serving(server, 60s);
  BOOST_REQUIRE(wait_until_serving(server));
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 4; ++i) stoppers.emplace_back([&] { server.shutdown(); });
  for (auto& stopper : stoppers) stopper.join();
  serving.join();
  BOOST_TEST(!server.serving());
}

BOOST_AUTO_TEST_CASE(serve_forever_again_after_shutdown) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  for (int round = 0; round < 3; ++round) {
    Serving serving(server, 60s);
    Client client(server.server_address());
    client.send("round " + std::to_string(round) + "\n");
    BOOST_TEST(client.readline() == "round " + std::to_string(round) + "\n");
    serving.stop();
  }
}

BOOST_AUTO_TEST_CASE(handler_requesting_shutdown_in_handle_request_leaves_it_pending) {
  TCPServer server(Address::parse("127.0.0.1:0"), handler<StopFromHandler>());
  {
    Client client(server.server_address());
    server.handle_request();
  }
  Stopwatch watch;
  server.serve_forever(60s);  // the pending stop ends it at once
  BOOST_TEST(watch.elapsed().count() < 0.5);
}

BOOST_AUTO_TEST_CASE(close_immediately_after_construction) {
  TCPServer plain(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  plain.server_close();
  ThreadingMixIn<TCPServer> threading(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  threading.server_close();
  BOOST_TEST(threading.fileno() == -1);
  // Its event loops start with the first request: closed before any, it has none to end.
  AsyncTCPServer async(Address::parse("127.0.0.1:0"), handler<LineEcho>());
  async.server_close();
  BOOST_TEST(async.fileno() == -1);
  BOOST_TEST(async.loop_threads() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(handler_arguments)

BOOST_AUTO_TEST_CASE(bound_arguments_reach_a_fresh_handler_per_request) {
  Counters counters;
  auto shared = std::make_shared<std::atomic<int>>(0);
  std::string greeting = "hello";
  TCPServer server(Address::parse("127.0.0.1:0"), handler<Greeter>(greeting, std::ref(counters), shared));
  greeting = "changed";  // the factory holds its own copy
  ServerThread running(server);
  for (int i = 1; i <= 3; ++i) {
    Client client(server.server_address());
    BOOST_TEST(client.readline() == "hello #" + std::to_string(i) + "\n");
  }
  running.stop();
  BOOST_TEST(counters.handlers == 3);  // one handler object per request
  BOOST_TEST(counters.requests == 3);
  BOOST_TEST(*shared == 3);
}

BOOST_AUTO_TEST_CASE(factory_can_be_any_callable) {
  std::atomic<int> made{0};
  HandlerFactory factory = [&made]() -> std::unique_ptr<BaseRequestHandler> {
    ++made;
    return std::make_unique<LineEcho>();
  };
  TCPServer server(Address::parse("127.0.0.1:0"), factory);
  Client client(server.server_address());
  client.send("custom\n");
  server.handle_request();
  BOOST_TEST(client.readline() == "custom\n");
  BOOST_TEST(made == 1);
}

BOOST_AUTO_TEST_SUITE_END()
