// Issue 3: shutdown() + server_close() in every mode, over every transport, while clients
// are in the middle of requests: no hang, no crash, no leaked descriptor (/proc/self/fd),
// no child left behind. Requests already being served finish with their replies; a
// client that never finishes is cut off by the timeouts, never waited for for ever. Async
// mode runs with one event-loop thread and with two.
#define BOOST_TEST_MODULE concurrency_shutdown
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <future>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;
using socketserver::BaseServer;

namespace {

constexpr int holder_count = 4;

bool no_children_left() { return children_of(::getpid()).empty() && count_zombie_children() == 0; }

// Reads what a client that was never served gets: end of stream or a reset, never a hang.
void expect_dropped(Peer& peer) {
  try {
    peer.finish();
  } catch (const std::exception&) {
  }
}

// Opens one server, holds `holder_count` requests, then shuts down and closes it from
// another thread while they are in flight; releases them and checks their replies.
void in_flight_requests_finish(const ModeCase& mode, Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  std::size_t fds_before = count_open_fds();
  auto start = std::chrono::steady_clock::now();
  {
    auto server = make_scripted_server(config_for(mode, transport, dir), transport, gauge.get());
    auto running = std::make_unique<ServerThread>(*server);
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<Peer*> waiting;
    for (int i = 0; i < holder_count; ++i) {
      peers.push_back(Peer::open(transport, server->server_address(), dir, "h" + std::to_string(i)));
      peers.back()->start_hold();
      waiting.push_back(peers.back().get());
    }
    // A sync server serves the first request alone; the others wait for it.
    std::size_t in_flight = mode == Mode::sync ? 1 : holder_count;
    std::vector<Peer*> started;
    while (started.size() < in_flight) {
      started.push_back(wait_any_started(waiting));
      std::erase(waiting, started.back());
    }
    // Ask first, from this thread, so that a sync server cannot pick up the next waiting
    // request between the release below and the closing thread's shutdown().
    server->request_shutdown();
    auto closing = std::async(std::launch::async, [&] {
      running.reset();  // shutdown(), waiting for serve_forever() to return, then server_close()
      server->server_close();
    });
    // Other modes stop accepting at once, with requests still in flight.
    if (mode != Mode::sync) BOOST_TEST(eventually([&] { return !server->serving(); }));
    for (Peer* peer : started) {
      peer->release();
      BOOST_TEST(peer->wait_done() == "done " + peer->name());
      BOOST_TEST(peer->finish());
    }
    BOOST_TEST((closing.wait_for(io_timeout) == std::future_status::ready), "shutdown + server_close hung");
    closing.get();
    for (Peer* peer : waiting) expect_dropped(*peer);  // sync: never accepted
    BOOST_TEST(gauge->active.load() == 0);
  }
  BOOST_TEST(eventually(no_children_left));
  BOOST_TEST(eventually([&] { return count_open_fds() == fds_before; }),
             count_open_fds() << " descriptors open, " << fds_before << " before");
  BOOST_TEST_MESSAGE(to_string(mode) << " " << to_string(transport) << ": closed with " << holder_count
                                     << " requests in flight in " << elapsed_ms(start) << " ms");
}

// Clients that stop in the middle of a request and never finish it, and clients that never
// say anything: shutdown + server_close() end within the per-request timeout.
void stalled_clients_do_not_block_close(const ModeCase& mode, Transport transport) {
  constexpr Seconds request_timeout{1};
  TempDir dir;
  SharedGauge gauge;
  std::size_t fds_before = count_open_fds();
  auto start = std::chrono::steady_clock::now();
  {
    auto config = config_for(mode, transport, dir);
    config.request_timeout = request_timeout;
    auto server = make_scripted_server(config, transport, gauge.get());
    auto running = std::make_unique<ServerThread>(*server);
    std::vector<std::unique_ptr<Peer>> stalled;
    for (int i = 0; i < holder_count; ++i) {
      stalled.push_back(Peer::open(transport, server->server_address(), dir, "s" + std::to_string(i)));
      stalled.back()->start_hold();  // and never says "go"
    }
    std::vector<std::unique_ptr<Client>> silent;
    for (int i = 0; i < holder_count; ++i) silent.push_back(std::make_unique<Client>(server->server_address()));
    stalled.front()->wait_started();
    auto closing = std::async(std::launch::async, [&] {
      running.reset();
      server->server_close();
    });
    BOOST_TEST((closing.wait_for(io_timeout) == std::future_status::ready), "shutdown + server_close hung");
    closing.get();
  }
  BOOST_TEST(gauge->active.load() == 0);
  BOOST_TEST(eventually(no_children_left));
  BOOST_TEST(eventually([&] { return count_open_fds() == fds_before; }),
             count_open_fds() << " descriptors open, " << fds_before << " before");
  BOOST_TEST_MESSAGE(to_string(mode) << " " << to_string(transport) << ": " << holder_count << " stalled and "
                                     << holder_count << " silent clients, closed in " << elapsed_ms(start)
                                     << " ms (request_timeout 1 s)");
}

void every_transport(const ModeCase& mode) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { in_flight_requests_finish(mode, transport); }
  for (Transport transport : stream_transports)
    BOOST_TEST_CONTEXT(to_string(transport) << " stalled") { stalled_clients_do_not_block_close(mode, transport); }
}

} // namespace

BOOST_AUTO_TEST_CASE(sync_mode) { every_transport(Mode::sync); }
BOOST_AUTO_TEST_CASE(threading_mode) { every_transport(Mode::threading); }
BOOST_AUTO_TEST_CASE(forking_mode, *boost::unit_test::enable_if<can_fork_in_process>()) { every_transport(Mode::forking); }
BOOST_AUTO_TEST_CASE(pool_mode) { every_transport(Mode::pool); }
BOOST_AUTO_TEST_CASE(async_mode_one_thread) { every_transport(test_support::async_modes[0]); }
BOOST_AUTO_TEST_CASE(async_mode_two_threads) { every_transport(test_support::async_modes[1]); }
