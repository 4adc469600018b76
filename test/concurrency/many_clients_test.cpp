// Issue 3: in every mode and over every transport, many clients at once each get their own
// replies, whole and in order. Async mode runs with one event-loop thread and with two.
#define BOOST_TEST_MODULE concurrency_many_clients
#include <boost/test/unit_test.hpp>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;

namespace {

constexpr int client_count = 50;

// Requests per client. A fork costs ~50 ms under ThreadSanitizer, so forking mode sends
// one request per client there (still 50 clients at once) to keep CI within its time.
int rounds_for(const ModeCase& mode) { return under_tsan && mode == Mode::forking ? 1 : 4; }

// Each client sends `rounds` requests with payloads unique to it and checks every reply.
void converse(Transport transport, const Address& server, const TempDir& dir, int client, int rounds) {
  auto peer = Peer::open(transport, server, dir, "c" + std::to_string(client));
  for (int round = 0; round < rounds; ++round) {
    std::string text = payload_for(transport, client, round);
    std::string reply = peer->request(text);
    if (reply != "ok " + text)
      throw std::runtime_error("client " + std::to_string(client) + " round " + std::to_string(round) +
                               ": wrong reply of " + std::to_string(reply.size()) + " bytes");
  }
  if (!peer->finish()) throw std::runtime_error("client " + std::to_string(client) + ": no clean end");
}

void many_clients_at_once(const ModeCase& mode, Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  auto server = make_scripted_server(config_for(mode, transport, dir), transport, gauge.get());
  ServerThread running(*server);
  const int rounds = rounds_for(mode);
  auto took = run_together(client_count, [&](int client) {
    converse(transport, server->server_address(), dir, client, rounds);
  });
  BOOST_TEST_MESSAGE(to_string(mode) << " " << to_string(transport) << ": " << client_count << " clients x "
                                     << rounds << " requests at once in " << took.count() << " ms, peak "
                                     << gauge->peak.load() << " handlers at once");
  BOOST_TEST(gauge->active.load() == 0);
  int expected_handlers = is_datagram(transport) ? client_count * rounds : client_count;
  BOOST_TEST(gauge->started.load() == expected_handlers);
  if (mode == Mode::sync) BOOST_TEST(gauge->peak.load() == 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(many_clients)

BOOST_AUTO_TEST_CASE(sync_mode) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { many_clients_at_once(Mode::sync, transport); }
}

BOOST_AUTO_TEST_CASE(threading_mode) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { many_clients_at_once(Mode::threading, transport); }
}

BOOST_AUTO_TEST_CASE(forking_mode, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { many_clients_at_once(Mode::forking, transport); }
}

BOOST_AUTO_TEST_CASE(pool_mode) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { many_clients_at_once(Mode::pool, transport); }
}

BOOST_AUTO_TEST_CASE(async_mode) {
  for (const ModeCase& mode : test_support::async_modes)
    for (Transport transport : all_transports)
      BOOST_TEST_CONTEXT(mode << " " << to_string(transport)) { many_clients_at_once(mode, transport); }
}

BOOST_AUTO_TEST_SUITE_END()
