// Issue 3: in threading, forking, pool and async modes two clients that both hold their
// requests open are served at the same time; in sync mode one after the other. Async mode
// runs with one event-loop thread (both requests on fibers of the serving thread) and with
// two.
//
// The proof is a rendezvous through the network: each handler answers "started" and then
// waits for its client's "go", and the test sends "go" to neither client before it has
// seen both "started". A server that served one request at a time could never produce the
// second "started" (the wait for it fails after its deadline). The shared gauge, counted
// by the handlers themselves in memory shared with forked children, confirms it.
#define BOOST_TEST_MODULE concurrency_simultaneous
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;

namespace {

void both_at_once(const ModeCase& mode, Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  auto server = make_scripted_server(config_for(mode, transport, dir), transport, gauge.get());
  ServerThread running(*server);
  auto a = Peer::open(transport, server->server_address(), dir, "A");
  auto b = Peer::open(transport, server->server_address(), dir, "B");
  auto start = std::chrono::steady_clock::now();
  a->start_hold();
  b->start_hold();
  Started started_a = a->wait_started();
  Started started_b = b->wait_started();  // arrives only if A's handler is still waiting
  BOOST_TEST(gauge->held.load() == 2);
  BOOST_TEST(gauge->active.load() == 2);
  if (mode == Mode::forking) {
    BOOST_TEST(started_a.pid != ::getpid());
    BOOST_TEST(started_b.pid != ::getpid());
    BOOST_TEST(started_a.pid != started_b.pid);
  } else {
    BOOST_TEST(started_a.pid == ::getpid());
  }
  a->release();
  b->release();
  BOOST_TEST(a->wait_done() == "done A");
  BOOST_TEST(b->wait_done() == "done B");
  BOOST_TEST(a->finish());
  BOOST_TEST(b->finish());
  BOOST_TEST(gauge->peak.load() == 2);
  BOOST_TEST_MESSAGE(to_string(mode) << " " << to_string(transport) << ": two held requests served together in "
                                     << elapsed_ms(start) << " ms");
}

void one_after_the_other(Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  auto server = make_scripted_server(config_for(Mode::sync, transport, dir), transport, gauge.get());
  ServerThread running(*server);
  auto a = Peer::open(transport, server->server_address(), dir, "A");
  auto b = Peer::open(transport, server->server_address(), dir, "B");
  a->start_hold();
  b->start_hold();
  a->wait_started();
  // The serving thread is inside A's handler, which waits for A's "go": B cannot start.
  BOOST_TEST(gauge->started.load() == 1);
  a->release();
  BOOST_TEST(a->wait_done() == "done A");
  BOOST_TEST(a->finish());  // a stream handler serves its connection until end of stream
  b->wait_started();
  BOOST_TEST(gauge->started.load() == 2);
  b->release();
  BOOST_TEST(b->wait_done() == "done B");
  BOOST_TEST(b->finish());
  BOOST_TEST(gauge->peak.load() == 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(sync_mode_serves_one_after_the_other) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { one_after_the_other(transport); }
}

BOOST_AUTO_TEST_CASE(threading_mode_serves_both_at_once) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { both_at_once(Mode::threading, transport); }
}

BOOST_AUTO_TEST_CASE(forking_mode_serves_both_at_once, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { both_at_once(Mode::forking, transport); }
}

BOOST_AUTO_TEST_CASE(pool_mode_serves_both_at_once) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { both_at_once(Mode::pool, transport); }
}

BOOST_AUTO_TEST_CASE(async_mode_serves_both_at_once) {
  for (const ModeCase& mode : test_support::async_modes)
    for (Transport transport : all_transports)
      BOOST_TEST_CONTEXT(mode << " " << to_string(transport)) { both_at_once(mode, transport); }
}
