// Issue 3, ThreadPoolMixIn: a burst larger than the queue is served completely, never more
// than `workers` handlers run at once, silent connections never occupy a worker, and
// OverflowPolicy::refuse closes and counts what does not fit.
#define BOOST_TEST_MODULE concurrency_pool
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include <boost/asio/ip/udp.hpp>
#include <thread>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;
using namespace socketserver;

namespace {

struct PoolSettings {
  std::size_t workers = 4;
  std::size_t queue_size = 256;
  OverflowPolicy overflow = OverflowPolicy::wait;
  Seconds request_timeout = io_timeout;
};

// The pool server of @p transport, built directly (make_server() has no overflow policy).
template <class Server>
std::unique_ptr<ThreadPoolMixIn<Server>> build(const Address& address, Transport transport, Gauge* gauge,
                                               const PoolSettings& settings) {
  auto server = std::make_unique<ThreadPoolMixIn<Server>>(address, scripted_handler(transport, gauge), false);
  server->workers = settings.workers;
  server->queue_size = settings.queue_size;
  server->overflow = settings.overflow;
  server->request_timeout = settings.request_timeout;
  server->bind_and_activate();
  return server;
}

// A pool server of any transport, with the counters the tests read.
struct Pool {
  std::unique_ptr<BaseServer> server;
  std::function<std::uint64_t()> refused_count;
  std::function<std::size_t()> busy_workers;
};

Pool pool_server(Transport transport, const TempDir& dir, Gauge* gauge, const PoolSettings& settings) {
  Address inet = Address::inet("127.0.0.1", 0);
  Address path = Address::unix_socket(dir.file("server.sock"));
  Pool pool;
  auto keep = [&](auto built) {
    auto* raw = built.get();
    pool.refused_count = [raw] { return raw->refused_count(); };
    pool.busy_workers = [raw] { return raw->busy_workers(); };
    pool.server = std::move(built);
  };
  switch (transport) {
  case Transport::tcp: keep(build<TCPServer>(inet, transport, gauge, settings)); break;
  case Transport::udp: keep(build<UDPServer>(inet, transport, gauge, settings)); break;
  case Transport::unix_stream: keep(build<UnixStreamServer>(path, transport, gauge, settings)); break;
  case Transport::unix_datagram: keep(build<UnixDatagramServer>(path, transport, gauge, settings)); break;
  }
  return pool;
}

// 60 clients at once against 2 workers and a queue of 4: everybody is served, correctly.
void burst_larger_than_the_queue(Transport transport) {
  constexpr int clients = 60;
  constexpr int rounds = 3;
  PoolSettings settings;
  settings.workers = 2;
  settings.queue_size = 4;
  TempDir dir;
  SharedGauge gauge;
  Pool pool = pool_server(transport, dir, gauge.get(), settings);
  ServerThread running(*pool.server);
  auto took = run_together(clients, [&](int client) {
    auto peer = Peer::open(transport, pool.server->server_address(), dir, "c" + std::to_string(client));
    for (int round = 0; round < rounds; ++round) {
      // Small datagrams: while the queue is full they wait in the socket's receive buffer,
      // and UDP drops what does not fit there.
      std::string text = is_datagram(transport) ? payload(client, round, 40) : payload(client, round);
      if (peer->request(text) != "ok " + text) throw std::runtime_error("wrong reply");
    }
    if (!peer->finish()) throw std::runtime_error("no clean end of stream");
  });
  // A stream handler waiting for its client's next request gives its worker back, so only
  // datagram handlers (which never wait) are bounded by the workers here.
  if (is_datagram(transport)) BOOST_TEST(gauge->peak.load() <= 2);
  BOOST_TEST(pool.busy_workers() <= 2u);
  BOOST_TEST(pool.refused_count() == 0u);
  BOOST_TEST(gauge->started.load() == (is_datagram(transport) ? clients * rounds : clients));
  BOOST_TEST_MESSAGE(to_string(transport) << ": burst of " << clients << " clients x " << rounds
                                          << " requests, 2 workers, queue 4: served in " << took.count()
                                          << " ms, peak " << gauge->peak.load() << " handlers");
}

// Ten stream handlers waiting for their client's next line, three workers: all ten start,
// since a handler waiting on rfile suspends and frees its worker; none is busy meanwhile.
void waiting_handlers_give_their_worker_back(Transport transport) {
  constexpr int clients = 10;
  PoolSettings settings;
  settings.workers = 3;
  TempDir dir;
  SharedGauge gauge;
  Pool pool = pool_server(transport, dir, gauge.get(), settings);
  ServerThread running(*pool.server);
  std::vector<std::unique_ptr<Peer>> peers;
  std::vector<Peer*> waiting;
  for (int i = 0; i < clients; ++i) {
    peers.push_back(Peer::open(transport, pool.server->server_address(), dir, "w" + std::to_string(i)));
    peers.back()->start_hold();
    waiting.push_back(peers.back().get());
  }
  while (!waiting.empty()) std::erase(waiting, wait_any_started(waiting));
  BOOST_TEST(gauge->held.load() == clients);
  BOOST_TEST(eventually([&] { return pool.busy_workers() == 0u; }));
  for (auto& peer : peers) {
    peer->release();
    BOOST_TEST(peer->wait_done() == "done " + peer->name());
    BOOST_TEST(peer->finish());
  }
  BOOST_TEST(gauge->peak.load() == clients);
}

// Silent connections wait on the request loop, not on a worker: with 2 workers and 6
// silent clients connected first, a real client is still served at once.
void silent_connections_never_occupy_workers(Transport transport) {
  constexpr int silent_count = 6;
  PoolSettings settings;
  settings.workers = 2;
  settings.request_timeout = std::chrono::seconds(60);  // longer than any client deadline here
  TempDir dir;
  SharedGauge gauge;
  Pool pool = pool_server(transport, dir, gauge.get(), settings);
  ServerThread running(*pool.server);
  std::vector<std::unique_ptr<Client>> silent;
  for (int i = 0; i < silent_count; ++i) silent.push_back(std::make_unique<Client>(pool.server->server_address()));
  // Accepted in order, so the silent ones are all parked before this one is read.
  auto real = Peer::open(transport, pool.server->server_address(), dir, "real");
  BOOST_TEST(real->request("hello") == "ok hello");
  BOOST_TEST(real->finish());
  BOOST_TEST(gauge->started.load() == 1);
  BOOST_TEST(eventually([&] { return pool.busy_workers() == 0u; }));
  // Once they speak, the silent ones are served too.
  for (auto& client : silent) {
    client->send("late\n");
    BOOST_TEST(client->readline() == "ok late\n");
    client->half_close();
    BOOST_TEST(client->read_all() == "");
  }
  BOOST_TEST(gauge->started.load() == 1 + silent_count);
}

} // namespace

BOOST_AUTO_TEST_CASE(burst_larger_than_the_queue_is_served_completely) {
  for (Transport transport : all_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { burst_larger_than_the_queue(transport); }
}


BOOST_AUTO_TEST_CASE(silent_connections_do_not_occupy_workers) {
  for (Transport transport : stream_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { silent_connections_never_occupy_workers(transport); }
}


BOOST_AUTO_TEST_CASE(waiting_stream_handlers_give_their_worker_back) {
  for (Transport transport : stream_transports)
    BOOST_TEST_CONTEXT(to_string(transport)) { waiting_handlers_give_their_worker_back(transport); }
}

// The case: 2 workers, 50 keep-alive clients that each send a line a second are all
// answered promptly, and a 51st client is answered at once.
BOOST_AUTO_TEST_CASE(fifty_keep_alive_clients_share_two_workers) {
  constexpr int clients = 50;
  constexpr int rounds = 3;
  PoolSettings settings;
  settings.workers = 2;
  TempDir dir;
  SharedGauge gauge;
  Pool pool = pool_server(Transport::tcp, dir, gauge.get(), settings);
  ServerThread running(*pool.server);
  std::vector<std::unique_ptr<Client>> keep_alive;
  for (int i = 0; i < clients; ++i) keep_alive.push_back(std::make_unique<Client>(pool.server->server_address()));
  for (int round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < clients; ++i) keep_alive[i]->send("k" + std::to_string(i) + "\n");
    for (int i = 0; i < clients; ++i)
      BOOST_TEST(keep_alive[i]->readline() == "ok k" + std::to_string(i) + "\n");
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(1)), "round " << round);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // pacing the clients, not synchronisation
  }
  Client late(pool.server->server_address());
  auto start = std::chrono::steady_clock::now();
  late.send("late\n");
  BOOST_TEST(late.readline() == "ok late\n");
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)));
  BOOST_TEST(gauge->started.load() == clients + 1);
}

namespace {

// A handler that blocks its worker's thread (not through rfile, which would free it) until
// the test opens the gate: how a queue fills in pool mode.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false;
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
};

struct BlockingHandler : StreamRequestHandler {
  explicit BlockingHandler(Gate* gate) : gate_(gate) {}
  void handle() override {
    std::string line = rfile.readline();
    wfile.write("started " + line);
    wfile.flush();
    std::unique_lock lock(gate_->mutex);
    if (!gate_->opened.wait_for(lock, io_timeout, [this] { return gate_->open; })) return;
    lock.unlock();
    wfile.write("done " + line);
  }
  Gate* gate_;
};

} // namespace

// One worker blocked, a queue of 2 filled: the next stream requests are refused and counted.
BOOST_AUTO_TEST_CASE(overflow_refuse_with_blocked_workers) {
  Gate gate;
  ThreadPoolTCPServer server(Address::inet("127.0.0.1", 0), handler<BlockingHandler>(&gate), false);
  server.workers = 1;
  server.queue_size = 2;
  server.overflow = OverflowPolicy::refuse;
  server.request_timeout = io_timeout;
  server.bind_and_activate();
  ServerThread running(server);
  Client holder(server.server_address());
  holder.send("holder\n");
  BOOST_TEST(holder.readline() == "started holder\n");
  std::vector<std::unique_ptr<Client>> queued;
  for (int i = 0; i < 2; ++i) {
    queued.push_back(std::make_unique<Client>(server.server_address()));
    queued.back()->send("q" + std::to_string(i) + "\n");
  }
  BOOST_TEST(eventually([&] { return server.busy_workers() == 1u; }));
  std::vector<std::unique_ptr<Client>> extra;
  for (int i = 0; i < 3; ++i) {
    extra.push_back(std::make_unique<Client>(server.server_address()));
    extra.back()->send("x\n");
  }
  BOOST_TEST(eventually([&] { return server.refused_count() == 3u; }), "refused " << server.refused_count());
  gate.release();
  BOOST_TEST(holder.readline() == "done holder\n");
  for (int i = 0; i < 2; ++i) {
    std::string name = "q" + std::to_string(i) + "\n";
    BOOST_TEST(queued[i]->readline() == "started " + name);
    BOOST_TEST(queued[i]->readline() == "done " + name);
  }
}

namespace {

// Handlers that block their worker's thread until the test hands out a permit, counting
// how many are inside at once.
struct Turnstile {
  std::mutex mutex;
  std::condition_variable changed;
  int permits = 0;
  int inside = 0;
  int peak = 0;
};

struct TurnstileHandler : StreamRequestHandler {
  explicit TurnstileHandler(Turnstile* turnstile) : turnstile_(turnstile) {}
  void handle() override {
    std::string line = rfile.readline();
    {
      std::unique_lock lock(turnstile_->mutex);
      turnstile_->peak = std::max(turnstile_->peak, ++turnstile_->inside);
      turnstile_->changed.notify_all();
      turnstile_->changed.wait_for(lock, io_timeout, [this] { return turnstile_->permits > 0; });
      --turnstile_->permits;
      --turnstile_->inside;
      turnstile_->changed.notify_all();
    }
    wfile.write("done " + line);
  }
  Turnstile* turnstile_;
};

} // namespace

// Ten requests whose handlers block their thread, three workers: three run, and each permit
// lets exactly one more in.
BOOST_AUTO_TEST_CASE(never_more_than_workers_handlers_at_once) {
  constexpr int clients = 10;
  constexpr int workers = 3;
  Turnstile turnstile;
  ThreadPoolTCPServer server(Address::inet("127.0.0.1", 0), handler<TurnstileHandler>(&turnstile), false);
  server.workers = workers;
  server.request_timeout = io_timeout;
  server.bind_and_activate();
  ServerThread running(server);
  std::vector<std::unique_ptr<Client>> peers;
  for (int i = 0; i < clients; ++i) {
    peers.push_back(std::make_unique<Client>(server.server_address()));
    peers.back()->send("c" + std::to_string(i) + "\n");
  }
  auto inside_is = [&](int expected) {
    std::unique_lock lock(turnstile.mutex);
    return turnstile.changed.wait_for(lock, io_timeout, [&] { return turnstile.inside == expected; });
  };
  for (int done = 0; done < clients; ++done) {
    int expected = std::min(workers, clients - done);
    BOOST_TEST(inside_is(expected), "handlers inside: expected " << expected);
    BOOST_TEST(server.busy_workers() <= std::size_t(workers));
    std::lock_guard lock(turnstile.mutex);
    ++turnstile.permits;
    turnstile.changed.notify_all();
  }
  for (auto& peer : peers) BOOST_TEST(peer->readline().starts_with("done c"));
  BOOST_TEST(turnstile.peak == workers);
}

namespace {

struct BlockingDatagramHandler : DatagramRequestHandler {
  explicit BlockingDatagramHandler(Gate* gate) : gate_(gate) {}
  void handle() override {
    std::unique_lock lock(gate_->mutex);
    if (!gate_->opened.wait_for(lock, io_timeout, [this] { return gate_->open; })) return;
    lock.unlock();
    wfile.write("done " + request().packet);
  }
  Gate* gate_;
};

} // namespace

// Datagrams: one worker blocked, a queue of 2 filled, the next 3 refused and counted; the
// queued ones are served once the worker is free.
BOOST_AUTO_TEST_CASE(overflow_refuse_counts_refused_datagrams) {
  namespace ip = boost::asio::ip;
  Gate gate;
  ThreadPoolUDPServer server(Address::inet("127.0.0.1", 0), handler<BlockingDatagramHandler>(&gate), false);
  server.workers = 1;
  server.queue_size = 2;
  server.overflow = OverflowPolicy::refuse;
  server.bind_and_activate();
  ServerThread running(server);
  boost::asio::io_context context;
  ip::udp::socket client(context, ip::udp::endpoint(ip::address_v4::loopback(), 0));
  ip::udp::endpoint target(ip::make_address("127.0.0.1"), server.server_address().port());
  client.send_to(boost::asio::buffer(std::string("holder")), target);
  BOOST_TEST(eventually([&] { return server.busy_workers() == 1u; }));
  for (std::string name : {"q0", "q1", "x0", "x1", "x2"}) client.send_to(boost::asio::buffer(name), target);
  BOOST_TEST(eventually([&] { return server.refused_count() == 3u; }), "refused " << server.refused_count());
  gate.release();
  std::set<std::string> replies;
  for (int i = 0; i < 3; ++i) {
    char reply[64];
    ip::udp::endpoint from;
    std::size_t size = 0;
    client.non_blocking(true);
    BOOST_TEST(eventually([&] {
      boost::system::error_code error;
      size = client.receive_from(boost::asio::buffer(reply), from, 0, error);
      return !error;
    }));
    replies.insert(std::string(reply, size));
  }
  BOOST_TEST((replies == std::set<std::string>{"done holder", "done q0", "done q1"}));
}
