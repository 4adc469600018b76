// Issue 3, ForkingMixIn over every transport: handlers run in child processes, children are
// reaped promptly (also while the server idles), max_children caps the live children, and
// a child that throws or aborts does not hurt the server.
//
// The server runs on a thread of the test process, so the process has several threads when
// it forks; the child only runs the handler (no new threads) and leaves with _exit, which
// is what ThreadSanitizer supports after a multi-threaded fork.
#define BOOST_TEST_MODULE concurrency_forking
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <deque>
#include <set>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;
using socketserver::BaseServer;

namespace {

// An idle server polls only every hour here: what it reaps while idle, it reaps on SIGCHLD.
constexpr Seconds idle_poll = std::chrono::hours(1);

std::size_t active_children(BaseServer& server) {
  using namespace socketserver;
  if (auto* s = dynamic_cast<ForkingTCPServer*>(&server)) return s->active_children();
  if (auto* s = dynamic_cast<ForkingUDPServer*>(&server)) return s->active_children();
  if (auto* s = dynamic_cast<ForkingUnixStreamServer*>(&server)) return s->active_children();
  if (auto* s = dynamic_cast<ForkingUnixDatagramServer*>(&server)) return s->active_children();
  throw std::logic_error("not a forking server");
}

bool no_children_left() { return children_of(::getpid()).empty() && count_zombie_children() == 0; }

std::unique_ptr<BaseServer> forking_server(Transport transport, const TempDir& dir, Gauge* gauge,
                                           std::size_t max_children = 40) {
  auto config = config_for(socketserver::Mode::forking, transport, dir);
  config.max_children = max_children;
  return make_scripted_server(config, transport, gauge);
}

void handler_runs_in_a_child(Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  auto server = forking_server(transport, dir, gauge.get());
  ServerThread running(*server, idle_poll);
  auto peer = Peer::open(transport, server->server_address(), dir, "A");
  peer->start_hold();
  Started started = peer->wait_started();
  BOOST_TEST(started.pid != ::getpid());
  auto children = children_of(::getpid());
  BOOST_TEST((std::find(children.begin(), children.end(), started.pid) != children.end()),
             "the handler's process " << started.pid << " is a child of the server");
  peer->release();
  BOOST_TEST(peer->wait_done() == "done A");
  BOOST_TEST(peer->finish());

  // Always finish(): the children inherit this process's client sockets, so only a
  // half-close (not a close) is sure to reach the server.
  auto second = Peer::open(transport, server->server_address(), dir, "B");
  std::string reply = second->request("pid");
  BOOST_TEST(second->finish());
  BOOST_TEST(reply.rfind("pid ", 0) == 0);
  BOOST_TEST(reply != "pid " + std::to_string(::getpid()));
  BOOST_TEST(reply != "pid " + std::to_string(started.pid));  // a new child per request
}

void no_zombies_after_clients_finish(Transport transport) {
  constexpr int clients = 30;
  TempDir dir;
  SharedGauge gauge;
  auto server = forking_server(transport, dir, gauge.get());
  ServerThread running(*server, idle_poll);
  std::mutex mutex;
  std::set<std::string> pids;
  auto took = run_together(clients, [&](int i) {
    auto peer = Peer::open(transport, server->server_address(), dir, "c" + std::to_string(i));
    std::string reply = peer->request("pid");
    if (!peer->finish()) throw std::runtime_error("no clean end of stream");
    std::lock_guard lock(mutex);
    pids.insert(reply);
  });
  BOOST_TEST(pids.size() == std::size_t(clients));  // a process per request
  BOOST_TEST(!pids.count("pid " + std::to_string(::getpid())));
  // The server receives nothing more and polls only hourly: SIGCHLD must do the reaping.
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(eventually(no_children_left), "children and zombies left: " << children_of(::getpid()).size()
                                                                         << " live, " << count_zombie_children()
                                                                         << " zombies");
  BOOST_TEST_MESSAGE(to_string(transport) << ": " << clients << " requests in " << took.count()
                                          << " ms; all children reaped " << elapsed_ms(start)
                                          << " ms after the last reply, server idle");
  running.stop();
  BOOST_TEST(active_children(*server) == 0u);
}

// Eight clients hold their requests with max_children 3: three children run at a time, and
// each child that ends lets exactly one more start.
void max_children_caps_live_children(Transport transport) {
  constexpr int clients = 8;
  constexpr int cap = 3;
  TempDir dir;
  SharedGauge gauge;
  auto server = forking_server(transport, dir, gauge.get(), cap);
  ServerThread running(*server, idle_poll);
  std::vector<std::unique_ptr<Peer>> peers;
  std::vector<Peer*> waiting;
  for (int i = 0; i < clients; ++i) {
    peers.push_back(Peer::open(transport, server->server_address(), dir, "h" + std::to_string(i)));
    peers.back()->start_hold();
    waiting.push_back(peers.back().get());
  }
  std::deque<Peer*> running_now;
  auto release_oldest = [&] {
    Peer* done = running_now.front();
    running_now.pop_front();
    done->release();
    BOOST_TEST(done->wait_done() == "done " + done->name());
    BOOST_TEST(done->finish());
  };
  std::size_t most_children = 0;
  while (!waiting.empty()) {
    if (running_now.size() == std::size_t(cap)) release_oldest();
    Peer* started = wait_any_started(waiting);
    std::erase(waiting, started);
    running_now.push_back(started);
    std::size_t children = children_of(::getpid()).size();
    most_children = std::max(most_children, children);
    BOOST_TEST(children <= std::size_t(cap));
    BOOST_TEST(gauge->held.load() <= cap);
  }
  BOOST_TEST(gauge->held.load() == cap);
  while (!running_now.empty()) release_oldest();
  BOOST_TEST(gauge->peak.load() == cap);
  BOOST_TEST(gauge->started.load() == clients);
  BOOST_TEST(most_children == std::size_t(cap));
  BOOST_TEST(eventually(no_children_left));
}

void crashing_child_does_not_hurt(Transport transport) {
  TempDir dir;
  SharedGauge gauge;
  auto server = forking_server(transport, dir, gauge.get());
  ServerThread running(*server, idle_poll);
  auto thrower = Peer::open(transport, server->server_address(), dir, "thrower");
  auto aborter = Peer::open(transport, server->server_address(), dir, "aborter");
  thrower->send_only("throw");
  aborter->send_only("abort");
  BOOST_TEST(eventually([&] { return gauge->started.load() == 2; }));
  // Both children are gone (exit status 1, SIGABRT), reaped, and their connections closed.
  BOOST_TEST(eventually(no_children_left));
  if (!is_datagram(transport)) {
    BOOST_TEST(thrower->finish());
    BOOST_TEST(aborter->finish());
  }
  // The server serves on, in a new child.
  for (int i = 0; i < 3; ++i) {
    auto peer = Peer::open(transport, server->server_address(), dir, "after" + std::to_string(i));
    BOOST_TEST(peer->request("still there") == "ok still there");
    BOOST_TEST(peer->finish());
  }
  BOOST_TEST(eventually(no_children_left));
  BOOST_TEST(gauge->active.load() == 1);  // only the aborted handler never left its scope
}

} // namespace

BOOST_AUTO_TEST_CASE(handler_runs_in_a_child_process, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { handler_runs_in_a_child(transport); }
}

BOOST_AUTO_TEST_CASE(no_zombies_and_children_reaped_while_idle, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { no_zombies_after_clients_finish(transport); }
}

BOOST_AUTO_TEST_CASE(max_children_caps_live_children_test, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { max_children_caps_live_children(transport); }
}

BOOST_AUTO_TEST_CASE(crashing_child_does_not_hurt_the_server, *boost::unit_test::enable_if<can_fork_in_process>()) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { crashing_child_does_not_hurt(transport); }
}
