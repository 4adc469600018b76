#include "concurrency_support.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <latch>
#include <mutex>
#include <new>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

namespace concurrency {
namespace asio = boost::asio;
using namespace socketserver;

namespace {

using Clock = std::chrono::steady_clock;

std::string without_newline(std::string line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// poll() for readability until @p deadline, riding out EINTR (SIGCHLD in forking tests).
bool readable_before(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd entry{fd, POLLIN, 0};
    int ready = ::poll(&entry, 1, left < 0 ? 0 : static_cast<int>(left));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) throw std::runtime_error("poll failed");
  }
}

Clock::time_point deadline_after(Seconds timeout) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
}

// A held async datagram handler's wait for its client's "go" on @p fd, until @p deadline.
// It looks without blocking and pauses with socketserver::sleep_for() in between: in async
// mode every datagram is served on loop 0, and a handler blocked in poll() would hold that
// loop, and so every other datagram, until its go.
bool go_before_yielding(int fd, Clock::time_point deadline) {
  for (;;) {
    if (readable_before(fd, Clock::now())) return true;
    if (Clock::now() >= deadline) return false;
    socketserver::sleep_for(std::chrono::milliseconds(2));
  }
}

// Only ever called in a forked child. The test framework's SIGABRT handler, inherited
// from the parent, would turn the abort into a jump back into the test runner, which would
// then go on running tests in the child: restore the default action first.
[[noreturn]] void abort_quietly() {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // a deliberate crash need not leave a core file
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

// Counts the handler as running for its whole life.
class GaugeScope {
public:
  explicit GaugeScope(Gauge& gauge) : gauge_(gauge) { gauge_.enter(); }
  ~GaugeScope() { gauge_.leave(); }
  GaugeScope(const GaugeScope&) = delete;
  GaugeScope& operator=(const GaugeScope&) = delete;

private:
  Gauge& gauge_;
};

class ScriptedStream : public StreamRequestHandler {
public:
  explicit ScriptedStream(Gauge* gauge) : gauge_(gauge) {}

  void handle() override {
    GaugeScope scope(*gauge_);
    for (const std::string& raw : rfile.lines()) serve(without_newline(raw));
  }

private:
  void serve(const std::string& line) {
    if (line == "pid") return wfile.write("pid " + std::to_string(::getpid()) + "\n");
    if (line == "throw") throw std::runtime_error("scripted failure");
    if (line == "abort") abort_quietly();
    if (line.rfind("hold ", 0) == 0) return hold(line.substr(5));
    wfile.write("ok " + line + "\n");
  }

  void hold(const std::string& name) {
    ++gauge_->held;
    wfile.write("started " + name + " " + std::to_string(::getpid()) + " 0\n");
    std::string go = rfile.readline();  // the client's "go", within the handler's timeout
    --gauge_->held;
    wfile.write((go == "go\n" ? "done " : "no-go ") + name + "\n");
  }

  Gauge* gauge_;
};

class ScriptedDatagram : public DatagramRequestHandler {
public:
  ScriptedDatagram(Gauge* gauge, bool yield_while_held) : gauge_(gauge), yield_while_held_(yield_while_held) {}

  void handle() override {
    GaugeScope scope(*gauge_);
    std::string text = request().packet;
    if (text == "pid") return wfile.write("pid " + std::to_string(::getpid()));
    if (text == "throw") throw std::runtime_error("scripted failure");
    if (text == "abort") abort_quietly();
    if (text.rfind("hold ", 0) == 0) return hold(text.substr(5));
    wfile.write("ok " + text);
  }

private:
  // Tells the client where to send "go" (a UDP socket of this handler's own), then waits:
  // blocking its thread (what the pool suite counts on), or, in async mode, yielding.
  void hold(const std::string& name) {
    ++gauge_->held;
    asio::io_context context;
    asio::ip::udp::socket side(context, asio::ip::udp::endpoint(asio::ip::address_v4::loopback(), 0));
    std::string started = "started " + name + " " + std::to_string(::getpid()) + " " +
                          std::to_string(side.local_endpoint().port());
    socket().send_to(asio::buffer(started), request().datagram_sender);
    auto deadline = deadline_after(test_support::io_timeout);
    bool go = yield_while_held_ ? go_before_yielding(side.native_handle(), deadline)
                                : readable_before(side.native_handle(), deadline);
    --gauge_->held;
    wfile.write((go ? "done " : "no-go ") + name);
  }

  Gauge* gauge_;
  bool yield_while_held_;
};

// ------------------------------------------------------------------------------------------

Started parse_started(const std::string& line, const std::string& name) {
  std::istringstream in(line);
  std::string word;
  Started started;
  in >> word >> started.name >> started.pid >> started.port;
  if (!in || word != "started" || started.name != name)
    throw std::runtime_error("expected 'started " + name + " ...', got '" + line + "'");
  return started;
}

class StreamPeer : public Peer {
public:
  StreamPeer(const Address& server, std::string name) : Peer(std::move(name)), client_(server) {}

  std::string request(const std::string& text) override {
    client_.send(text + "\n");
    return without_newline(client_.readline());
  }
  void start_hold() override { client_.send("hold " + name_ + "\n"); }
  Started wait_started(Seconds) override {
    started_ = parse_started(without_newline(client_.readline()), name_);
    return *started_;
  }
  void release() override { client_.send("go\n"); }
  std::string wait_done(Seconds) override { return without_newline(client_.readline()); }
  void send_only(const std::string& text) override { client_.send(text + "\n"); }
  bool finish() override {
    client_.half_close();
    return client_.read_all().empty();
  }
  int fd() override { return client_.socket().native_handle(); }

private:
  test_support::Client client_;
};

class DatagramPeer : public Peer {
public:
  DatagramPeer(const Address& server, const TempDir& dir, std::string name)
      : Peer(std::move(name)), socket_(context_) {
    if (server.is_unix()) {
      server_ = asio::local::datagram_protocol::endpoint(server.path());
      socket_.open(server_.protocol());
      path_ = dir.file("peer-" + std::to_string(next_id()) + ".sock");
      socket_.bind(asio::local::datagram_protocol::endpoint(path_));
    } else {
      server_ = asio::ip::udp::endpoint(asio::ip::make_address(server.host()), server.port());
      socket_.open(server_.protocol());
    }
  }
  ~DatagramPeer() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  std::string request(const std::string& text) override {
    send_only(text);
    return receive(test_support::io_timeout);
  }
  void start_hold() override { send_only("hold " + name_); }
  Started wait_started(Seconds timeout) override {
    started_ = parse_started(receive(timeout), name_);
    return *started_;
  }
  void release() override {
    if (!started_) throw std::logic_error("release() before wait_started()");
    asio::ip::udp::socket side(context_, asio::ip::udp::v4());
    side.send_to(asio::buffer("go", 2), asio::ip::udp::endpoint(asio::ip::address_v4::loopback(), started_->port));
  }
  std::string wait_done(Seconds timeout) override { return receive(timeout); }
  void send_only(const std::string& text) override {
    socket_.send_to(asio::buffer(text), server_);
  }
  bool finish() override { return true; }
  int fd() override { return socket_.native_handle(); }

private:
  static int next_id() {
    static std::atomic<int> id{0};
    return id++;
  }

  std::string receive(Seconds timeout) {
    if (!readable_before(socket_.native_handle(), deadline_after(timeout)))
      throw std::runtime_error(name_ + ": no datagram within the timeout");
    std::string reply(70000, '\0');
    reply.resize(socket_.receive(asio::buffer(reply)));
    return reply;
  }

  asio::io_context context_;
  DatagramSocket socket_;
  DatagramEndpoint server_;
  std::string path_;
};

} // namespace

const char* to_string(Transport transport) {
  switch (transport) {
  case Transport::tcp: return "tcp";
  case Transport::udp: return "udp";
  case Transport::unix_stream: return "unix-stream";
  case Transport::unix_datagram: return "unix-datagram";
  }
  return "?";
}

void Gauge::enter() {
  ++started;
  int now = ++active;
  int seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

void Gauge::leave() { --active; }

SharedGauge::SharedGauge() {
  void* memory = ::mmap(nullptr, sizeof(Gauge), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  gauge_ = new (memory) Gauge;
}

SharedGauge::~SharedGauge() {
  gauge_->~Gauge();
  ::munmap(gauge_, sizeof(Gauge));
}

HandlerFactory scripted_handler(Transport transport, Gauge* gauge, bool yield_while_held) {
  if (is_datagram(transport)) return handler<ScriptedDatagram>(gauge, yield_while_held);
  return handler<ScriptedStream>(gauge);
}

ServerConfig config_for(const ModeCase& mode, Transport transport, const TempDir& dir) {
  ServerConfig config;
  config.mode = mode.mode;
  config.threads = mode.threads;
  config.datagram = is_datagram(transport);
  if (is_unix(transport)) config.address = Address::unix_socket(dir.file("server.sock"));
  config.request_timeout = test_support::io_timeout;
  return config;
}

std::unique_ptr<BaseServer> make_scripted_server(const ServerConfig& config, Transport transport, Gauge* gauge) {
  return make_server(config, scripted_handler(transport, gauge, config.mode == Mode::async));
}

std::unique_ptr<Peer> Peer::open(Transport transport, const Address& server, const TempDir& dir,
                                 const std::string& name) {
  if (is_datagram(transport)) return std::make_unique<DatagramPeer>(server, dir, name);
  return std::make_unique<StreamPeer>(server, name);
}

Peer* wait_any_started(const std::vector<Peer*>& peers, Seconds timeout) {
  auto deadline = deadline_after(timeout);
  std::vector<pollfd> entries;
  for (Peer* peer : peers) entries.push_back({peer->fd(), POLLIN, 0});
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int ready = ::poll(entries.data(), entries.size(), left < 0 ? 0 : static_cast<int>(left));
    if (ready == 0) throw std::runtime_error("none of the held requests started in time");
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].revents == 0) continue;
      peers[i]->wait_started(timeout);
      return peers[i];
    }
  }
}

std::chrono::milliseconds run_together(int count, const std::function<void(int)>& body) {
  std::latch ready(count + 1);
  std::mutex mutex;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      try {
        body(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  ready.arrive_and_wait();
  auto start = Clock::now();
  for (auto& thread : threads) thread.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (first_error) std::rethrow_exception(first_error);
  return took;
}

std::string payload(int client, int round, std::size_t max_extra) {
  std::string text = "client-" + std::to_string(client) + "-round-" + std::to_string(round) + ":";
  std::size_t extra = static_cast<std::size_t>(client * 389 + round * 1031) % (max_extra + 1);
  for (std::size_t i = 0; i < extra; ++i) text += static_cast<char>('a' + (client + round + i) % 26);
  return text;
}

std::string payload_for(Transport transport, int client, int round) {
  return payload(client, round, is_datagram(transport) ? 1000 : 3000);
}

} // namespace concurrency
