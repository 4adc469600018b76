// Hostile and broken clients against in-process servers: silent clients, slowloris,
// oversized lines, resets mid-request and mid-response, half-closes. A bad client must
// cost at most its own connection, for a bounded time and memory; everyone else is served.
#define BOOST_TEST_MODULE hardening_hostile_clients
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <thread>

#include "hardening_support.hpp"
#include "servers.hpp"

using namespace socketserver;
using namespace hardening;
using test_support::Client;
using test_support::ServerThread;
using test_support::eventually;

namespace {

using test_support::all_modes;
using test_support::concurrent_modes;
using test_support::in_process_modes;
using test_support::ModeCase;

// Time a client may wait beyond the server's timeout before we call it a hang: generous,
// for loaded CI machines and sanitizer builds.
constexpr double slack = 2.5;

// One well-behaved exchange; returns its duration in seconds. The client half-closes at the
// end: a forked server child holds a copy of our descriptor, so closing alone would not
// end the connection for it.
double served_line(const Address& address, const std::string& line) {
  auto start = Clock::now();
  Client client(address);
  client.send(line);
  BOOST_TEST(client.readline() == line);
  double elapsed = seconds_since(start);
  client.half_close();
  BOOST_TEST(client.read_all() == "");
  return elapsed;
}

} // namespace

BOOST_AUTO_TEST_CASE(silent_and_slowloris_clients_are_dropped_after_the_timeout_while_others_are_served) {
  for (const ModeCase& mode : concurrent_modes) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      auto log = std::make_shared<ErrorLog>();
      Options options;
      options.timeout = Seconds(1);
      auto server = make_recorded(mode, handler<LineEcho>(), log, options);
      ServerThread running(*server);
      const Address address = server->server_address();

      auto start = Clock::now();
      RawClient silent(address);
      RawClient slow(address);

      // The slowloris: one byte every 200 ms, never a newline, until the server gives up.
      std::atomic<double> slow_dropped_after{-1};
      std::thread slowloris([&] {
        auto slow_start = Clock::now();
        for (int i = 0; i < 40; ++i) {
          if (!slow.send_all("x", 1s) || slow.wait_closed(200ms)) {
            slow_dropped_after = seconds_since(slow_start);
            return;
          }
        }
      });

      // Meanwhile well-behaved clients are served at once, again and again.
      for (int i = 0; i < 5; ++i) BOOST_TEST(served_line(address, "hello " + std::to_string(i) + "\n") < 0.9);

      BOOST_TEST(silent.wait_closed(Seconds(1 + slack)));
      double silent_dropped_after = seconds_since(start);
      slowloris.join();
      BOOST_TEST_MESSAGE("silent client dropped after " << silent_dropped_after << " s, slowloris after "
                                                        << slow_dropped_after.load() << " s");
      BOOST_TEST(silent_dropped_after >= 0.9);
      BOOST_TEST(silent_dropped_after < 1 + slack);
      BOOST_TEST(slow_dropped_after.load() >= 0.9);
      BOOST_TEST(slow_dropped_after.load() < 1 + slack);
      BOOST_TEST(served_line(address, "after\n") < 0.9);
      if (mode != Mode::forking) BOOST_TEST(log->contains("timed out"));
    }
  }
}

BOOST_AUTO_TEST_CASE(two_hundred_silent_clients_do_not_stop_the_pool_from_serving) {
  auto log = std::make_shared<ErrorLog>();
  Options options;
  options.timeout = Seconds(2);
  options.workers = 2;
  auto server = make_recorded(Mode::pool, handler<LineEcho>(), log, options);
  ServerThread running(*server);
  const Address address = server->server_address();

  auto start = Clock::now();
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 200; ++i) silent.push_back(std::make_unique<RawClient>(address));
  BOOST_TEST_MESSAGE("200 silent clients connected in " << seconds_since(start) << " s");

  // Served well within the timeout, although 200 connections wait and only 2 workers exist.
  for (int i = 0; i < 3; ++i) BOOST_TEST(served_line(address, "through the crowd\n") < 1.0);

  std::size_t dropped = 0;
  for (auto& client : silent) dropped += client->wait_closed(Seconds(2 + slack) - (Clock::now() - start));
  BOOST_TEST(dropped == 200u);
  BOOST_TEST_MESSAGE("all dropped after " << seconds_since(start) << " s");
  BOOST_TEST(served_line(address, "after\n") < 1.0);
}

BOOST_AUTO_TEST_CASE(a_100_MiB_line_without_newline_closes_the_connection_with_bounded_memory) {
  const std::string chunk(1 << 20, 'z');
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      auto log = std::make_shared<ErrorLog>();
      auto server = make_recorded(mode, handler<LineEcho>(), log);
      ServerThread running(*server);
      const Address address = server->server_address();
      BOOST_TEST(served_line(address, "warm up\n") < 5);

      std::size_t rss_before = test_support::resident_bytes(::getpid());
      RawClient hostile(address);
      std::size_t sent = 0;
      for (int i = 0; i < 100; ++i) {
        std::size_t count = hostile.send_some(chunk, 5s);
        sent += count;
        if (count < chunk.size()) break;  // the server closed (reset, or no room for 5 s)
      }
      BOOST_TEST(hostile.wait_closed(5s));
      std::size_t rss_after = test_support::resident_bytes(::getpid());
      BOOST_TEST_MESSAGE("sent " << sent / 1024 << " KiB before the server closed; RSS "
                                 << rss_before / 1024 << " KiB -> " << rss_after / 1024 << " KiB");
      BOOST_TEST(sent < std::size_t(100) << 20);
      BOOST_TEST(rss_after < rss_before + (std::size_t(32) << 20));
      if (mode != Mode::forking)
        BOOST_TEST(eventually([&] { return log->contains("line longer than the limit"); }, 5s));
      BOOST_TEST(served_line(address, "next\n") < 5);
    }
  }
}

// Forking mode is covered by processes_test.cpp with the real echo_server: a child forked
// from this process would hold a copy of the client's socket, so closing it here could not
// send the RST.
BOOST_AUTO_TEST_CASE(resets_mid_request_and_mid_response_cost_only_that_connection) {
  ::signal(SIGPIPE, SIG_DFL);  // the server must protect itself, not rely on the test
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      auto log = std::make_shared<ErrorLog>();
      auto server = make_recorded(mode, handler<BigReply>(false), log);
      ServerThread running(*server);
      const Address address = server->server_address();
      std::size_t threads_before = test_support::count_threads();

      for (int round = 0; round < 5; ++round) {
        {  // mid-request: half a line, then RST
          RawClient client(address);
          BOOST_TEST(client.send_all("1234"));
          client.reset();
        }
        {  // mid-response: ask for 32 MiB, read a little, then RST
          RawClient client(address);
          BOOST_TEST(client.send_all("33554432\n"));
          auto received = client.receive_exactly(64 * 1024, 5s);
          BOOST_TEST(received.data.size() == 64u * 1024);
          client.reset();
        }
        Client good(address);
        good.send("1000\n");
        good.half_close();
        BOOST_TEST(good.readline() == "1000\n");
        BOOST_TEST(good.read_all() == pattern(1000));
      }
      if (mode == Mode::threading)
        BOOST_TEST(eventually([&] { return test_support::count_threads() <= threads_before; }));
      if (mode != Mode::sync)
        BOOST_TEST(eventually([&] { return log->size() >= 5u; }));  // the writes that failed
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_that_half_closes_after_its_request_still_gets_the_whole_reply) {
  constexpr std::size_t size = 4 << 20;
  const std::string expected = pattern(size);
  for (const ModeCase& mode : all_modes) {
    for (bool until_eof : {false, true}) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << (until_eof ? ", request ended by EOF" : ", line request")) {
        auto log = std::make_shared<ErrorLog>();
        auto server = make_recorded(mode, handler<BigReply>(until_eof), log);
        ServerThread running(*server);
        Client client(server->server_address());
        client.send(std::to_string(size) + (until_eof ? "" : "\n"));
        client.half_close();
        BOOST_TEST(client.readline() == std::to_string(size) + "\n");
        std::string body = client.read_all();
        BOOST_TEST(body.size() == size);
        BOOST_TEST((body == expected));
        BOOST_TEST(log->size() == 0u);
      }
    }
  }
}
