// AsyncMixIn: ten thousand connections at once, no thread per connection, a handler in
// socketserver::sleep_for() that holds nobody else up, silent clients dropped at their
// timeout, a stack overflow that ends the process with SIGSEGV, the drain cutting stalled
// connections and waking sleeping fibers, handle_error() and the access checks, and
// datagrams bounded by max_datagrams_in_flight. Async servers with one event-loop thread
// and with two; real sockets on the loopback, servers on port 0.
#define BOOST_TEST_MODULE concurrency_async
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>

#include "concurrency_support.hpp"

using namespace concurrency;
using namespace test_support;
using namespace socketserver;
using Clock = std::chrono::steady_clock;

namespace {

// Time a client may wait beyond a server's deadline before we call it a hang: generous,
// for loaded machines and sanitizer builds.
constexpr double slack = 2.5;

Clock::time_point after(Seconds timeout) { return Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int milliseconds_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits until @p fd is ready for @p events or @p deadline passes; false on the deadline.
bool ready_before(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    int ready = ::poll(&entry, 1, milliseconds_until(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  }
}

// A TCP client with a deadline on every operation, holding one descriptor only (a test
// opens ten thousand of them).
class LineClient {
public:
  explicit LineClient(const Address& server, const std::string& local_host = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    if (!local_host.empty()) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, local_host.c_str(), &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) fail("bind " + local_host);
    }
    timeval limit{static_cast<time_t>(io_timeout.count()), 0};  // bounds connect() too
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(server.port());
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) fail("connect " + server.to_string());
  }
  ~LineClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  void send(std::string_view data) {
    auto deadline = after(io_timeout);
    while (!data.empty()) {
      ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent > 0) {
        data.remove_prefix(static_cast<std::size_t>(sent));
      } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!ready_before(fd_, POLLOUT, deadline)) throw std::runtime_error("send timed out");
      } else {
        fail("send");
      }
    }
  }

  /// The next line, with its '\n'; nothing at end of stream (or a reset). Throws after
  /// @p timeout.
  std::optional<std::string> line(Seconds timeout = io_timeout) {
    auto deadline = after(timeout);
    for (;;) {
      if (auto end = pending_.find('\n'); end != std::string::npos) {
        std::string line = pending_.substr(0, end + 1);
        pending_.erase(0, end + 1);
        return line;
      }
      if (!ready_before(fd_, POLLIN, deadline)) throw std::runtime_error("no line within the timeout");
      char chunk[4096];
      ssize_t got = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got > 0) pending_.append(chunk, static_cast<std::size_t>(got));
      else if (got == 0 || errno == ECONNRESET) return std::nullopt;
      else if (errno != EAGAIN && errno != EINTR) fail("recv");
    }
  }

  /// Sends @p text and a newline; returns the reply line without its '\n' ("" at EOF).
  std::string ask(const std::string& text) {
    send(text + "\n");
    std::string reply = line().value_or("");
    if (!reply.empty()) reply.pop_back();
    return reply;
  }

  /// True when the server closes (EOF or reset) within @p timeout; data are discarded.
  bool closed_within(Seconds timeout) {
    auto deadline = after(timeout);
    for (;;) {
      if (!ready_before(fd_, POLLIN, deadline)) return false;
      char chunk[4096];
      ssize_t got = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno == ECONNRESET)) return true;
      if (got < 0 && errno != EAGAIN && errno != EINTR) fail("recv");
    }
  }

  void half_close() { ::shutdown(fd_, SHUT_WR); }

private:
  [[noreturn]] void fail(const std::string& what) {
    int error = errno;
    throw std::system_error(error, std::generic_category(), what);
  }

  int fd_ = -1;
  std::string pending_;
};

// What the handlers and servers of this suite count.
struct State {
  std::atomic<int> live{0};        // handlers running now
  std::atomic<int> peak{0};        // most at once
  std::atomic<int> served{0};      // handlers begun
  std::atomic<int> woken{0};       // sleep_for() calls ended early by an error
  std::atomic<int> errors{0};      // handle_error() calls
  std::atomic<BaseServer*> server{nullptr};
  std::mutex mutex;
  std::vector<std::string> messages;  // what handle_error() saw

  void enter() {
    ++served;
    int now = ++live;
    for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
    }
  }
  bool saw(const std::string& text) {
    std::lock_guard lock(mutex);
    return std::any_of(messages.begin(), messages.end(),
                       [&](const std::string& message) { return message.find(text) != std::string::npos; });
  }
  std::string all_messages() {
    std::lock_guard lock(mutex);
    std::string all;
    for (const auto& message : messages) all += (all.empty() ? "" : " | ") + message;
    return all;
  }
};

class Live {
public:
  explicit Live(State& state) : state_(state) { state_.enter(); }
  ~Live() { --state_.live; }
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;

private:
  State& state_;
};

// Never reached by a depth, but the compiler cannot know: the recursion below has no bound.
volatile int no_depth = -1;

// Unbounded recursion, each frame holding a kilobyte the compiler must keep: a handler
// that overflows its fiber's stack.
int recurse(int depth) {
  if (depth == no_depth) return 0;
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  frame[sizeof frame - 1] = frame[0];
  return recurse(depth + 1) + frame[depth % sizeof frame];
}

// Uses 256 KiB of stack, in a frame of its own (in the handler's, every request would
// need it).
[[gnu::noinline]] char deep_frame() {
  volatile char big[256 * 1024];
  big[0] = 'd';
  big[sizeof big - 1] = big[0];
  return big[sizeof big - 1];
}

// Serves lines until end of stream:
//   `sleep S`  -> `sleeping`, then socketserver::sleep_for(S seconds), then `slept`
//   `deep`     -> `deep ok` after using 256 KiB of stack (needs a larger stack_size)
//   `recurse`  -> overflows the stack
//   `throw`    -> the handler throws
//   `live`     -> the number of handlers running now
//   `errors`   -> the number of handle_error() calls so far
//   `quit`     -> `bye`, and the server is asked to shut down
//   anything   -> the same line back
class Scripted : public StreamRequestHandler {
public:
  explicit Scripted(State* state) : state_(state) {}

  void handle() override {
    Live live(*state_);
    for (const std::string& line : rfile.lines()) serve(line.substr(0, line.size() - (line.back() == '\n')));
  }

private:
  void serve(const std::string& line) {
    if (line.rfind("sleep ", 0) == 0) {
      wfile.write("sleeping\n");
      try {
        socketserver::sleep_for(Seconds(std::stod(line.substr(6))));
      } catch (...) {
        ++state_->woken;
        throw;
      }
      return wfile.write("slept\n");
    }
    if (line == "deep") return wfile.write(std::string("deep ok") + deep_frame() + "\n");
    if (line == "recurse") return wfile.write(std::to_string(recurse(0)) + "\n");
    if (line == "throw") throw std::runtime_error("scripted failure on a fiber");
    if (line == "live") return wfile.write(std::to_string(state_->live.load()) + "\n");
    if (line == "errors") return wfile.write(std::to_string(state_->errors.load()) + "\n");
    if (line == "quit") {
      wfile.write("bye\n");
      if (BaseServer* server = state_->server.load()) server->request_shutdown();
      return;
    }
    wfile.write(line + "\n");
  }

  State* state_;
};

// Answers each datagram with `ok ` and its text; `slow ...` after 20 ms in sleep_for();
// `throw` throws.
class ScriptedDatagram : public DatagramRequestHandler {
public:
  explicit ScriptedDatagram(State* state) : state_(state) {}

  void handle() override {
    Live live(*state_);
    std::string text = request().packet;
    if (text == "throw") throw std::runtime_error("scripted datagram failure on a fiber");
    if (text.rfind("slow ", 0) == 0) socketserver::sleep_for(std::chrono::milliseconds(20));
    wfile.write("ok " + text);
  }

private:
  State* state_;
};

// @p Base whose handle_error() also counts and keeps the message.
template <class Base>
class Counted : public Base {
public:
  template <class... Args>
  explicit Counted(State* state, Args&&... args) : Base(std::forward<Args>(args)...), state_(state) {
    state_->server = this;
  }
  ~Counted() override { state_->server = nullptr; }

  void handle_error(const Request& request, std::exception_ptr error) override {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::lock_guard lock(state_->mutex);
      state_->messages.push_back(e.what());
    } catch (...) {
      std::lock_guard lock(state_->mutex);
      state_->messages.push_back("unknown");
    }
    ++state_->errors;
    Base::handle_error(request, error);
  }

private:
  State* state_;
};

using AsyncServer = AsyncMixIn<Counted<TCPServer>>;
using AsyncDatagramServer = AsyncMixIn<Counted<UDPServer>>;

struct Settings {
  std::size_t threads = 2;
  std::optional<Seconds> request_timeout = io_timeout;
  std::optional<Seconds> drain_timeout = Seconds(5);
  std::size_t stack_size = 0;  // 0: the default
};

std::unique_ptr<AsyncServer> async_server(State& state, const Settings& settings = {}) {
  auto server = std::make_unique<AsyncServer>(&state, Address::inet("127.0.0.1", 0), handler<Scripted>(&state), false);
  server->threads = settings.threads;
  server->request_timeout = settings.request_timeout;
  server->drain_timeout = settings.drain_timeout;
  if (settings.stack_size > 0) server->stack_size = settings.stack_size;
  server->bind_and_activate();
  return server;
}

const std::size_t loop_counts[] = {1, 2};

// Raises the soft limit on open files to the hard one; returns the soft limit.
rlim_t raise_open_file_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// A child process running an AsyncServer of @p threads loops (built in the child) until
// a client says `quit`; reports its port through a pipe. The parent must be single-threaded.
class ServerChild {
public:
  explicit ServerChild(std::size_t threads) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      ::close(report[0]);
      run_child(report[1], threads);
    }
    ::close(report[1]);
    std::string text;
    auto deadline = after(io_timeout);
    while (text.find('\n') == std::string::npos && ready_before(report[0], POLLIN, deadline)) {
      char chunk[64];
      ssize_t got = ::read(report[0], chunk, sizeof chunk);
      if (got <= 0) break;
      text.append(chunk, static_cast<std::size_t>(got));
    }
    ::close(report[0]);
    if (text.find('\n') == std::string::npos) {
      kill_and_reap();
      throw std::runtime_error("the server child did not report its port");
    }
    address_ = Address::inet("127.0.0.1", static_cast<std::uint16_t>(std::stoul(text)));
  }
  ~ServerChild() {
    if (!status_) kill_and_reap();
  }
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  const Address& address() const { return address_; }

  /// The wait status once it has exited, or nothing after @p timeout.
  std::optional<int> wait(Seconds timeout = io_timeout) {
    if (status_) return status_;
    auto deadline = after(timeout);
    bool done = eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
          status_ = status;
          return true;
        },
        Seconds(std::chrono::duration<double>(deadline - Clock::now()).count()));
    return done ? status_ : std::nullopt;
  }

private:
  // Never returns into the test runner: every way out is _exit().
  [[noreturn]] static void run_child(int report, std::size_t threads) {
    try {
      rlimit no_core{0, 0};
      ::setrlimit(RLIMIT_CORE, &no_core);  // a deliberate crash need not leave a core file
      // The test framework's handlers, inherited from the parent, would turn a crash into
      // a jump back into the test runner: the kernel's default actions instead.
      for (int signal_number : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) std::signal(signal_number, SIG_DFL);
      State state;
      Settings settings;
      settings.threads = threads;
      settings.request_timeout = Seconds(60);
      auto server = async_server(state, settings);
      std::string port = std::to_string(server->server_address().port()) + "\n";
      if (::write(report, port.data(), port.size()) != static_cast<ssize_t>(port.size())) ::_exit(3);
      ::close(report);
      server->serve_forever(Seconds(0.5));
      server->server_close();
      ::_exit(state.errors.load() == 0 ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
  }

  void kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
  }

  pid_t pid_ = -1;
  Address address_;
  std::optional<int> status_;
};

// The wait status as words, for messages.
std::string describe(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  ::strsignal(WTERMSIG(status)) + ")";
  return "wait status " + std::to_string(status);
}

// Opens @p count connections to @p server one after the other, each exchanging a line at
// once and then staying open; then a second line on every one. Everything within
// @p budget. Returns the connections, open.
std::vector<std::unique_ptr<LineClient>> open_many(const Address& server, std::size_t count, Seconds budget) {
  auto deadline = after(budget);
  std::vector<std::unique_ptr<LineClient>> clients;
  clients.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (Clock::now() > deadline) throw std::runtime_error("only " + std::to_string(i) + " connections within the budget");
    clients.push_back(std::make_unique<LineClient>(server));
    std::string text = "hello " + std::to_string(i);
    if (std::string reply = clients.back()->ask(text); reply != text)
      throw std::runtime_error("connection " + std::to_string(i) + " got '" + reply + "'");
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (Clock::now() > deadline) throw std::runtime_error("second round unfinished within the budget");
    std::string text = "again " + std::to_string(i);
    if (std::string reply = clients[i]->ask(text); reply != text)
      throw std::runtime_error("connection " + std::to_string(i) + ", second line, got '" + reply + "'");
  }
  return clients;
}

} // namespace

// In a child process: the fiber's guard page turns the overflow into SIGSEGV, which ends
// the process, instead of the recursion writing over another fiber's stack or the heap.
// First of the suite: the process forks while it is still single-threaded (a sanitizer's
// runtime may start a thread of its own later).
BOOST_AUTO_TEST_CASE(a_runaway_recursion_in_a_handler_ends_the_process_with_sigsegv) {
  if (count_threads() != 1) {
    BOOST_TEST_MESSAGE("skipped: this process has " << count_threads() << " threads: it cannot fork the server");
    return;
  }
  ServerChild child(1);
  {
    LineClient client(child.address());
    BOOST_TEST(client.ask("before") == "before");  // serving
    client.send("recurse\n");
    BOOST_TEST(!client.line().has_value());  // the connection ends with the process
  }
  auto status = child.wait();
  BOOST_TEST_REQUIRE(status.has_value(), "the server child is still running after the recursion");
  BOOST_TEST((WIFSIGNALED(*status) && WTERMSIG(*status) == SIGSEGV), describe(*status));
}

// Settings for the many-connection cases: the first connections stay idle while the rest
// are opened, which under a sanitizer on a loaded machine can outlast io_timeout.
Settings held_open(std::size_t threads) {
  Settings settings;
  settings.threads = threads;
  settings.request_timeout = Seconds(180);
  return settings;
}

BOOST_AUTO_TEST_CASE(ten_thousand_connections_at_once_are_served_without_an_error) {
  // ThreadSanitizer keeps state of its own for every fiber, in several mappings each: ten
  // thousand fibers exhaust the process's mappings (vm.max_map_count, 65,530 by default)
  // there, so a ThreadSanitizer build opens two thousand.
  const std::size_t connections = under_tsan ? 2000 : 10000;
  if (under_tsan) BOOST_TEST_MESSAGE("ThreadSanitizer build: " << connections << " connections, not 10,000");
  constexpr Seconds budget{120};
  const rlim_t limit = raise_open_file_limit();
  // Both ends in this process need 2 x 10,000 descriptors and some to spare.
  if (limit >= 2 * connections + 500) {
    for (std::size_t threads : loop_counts) {
      BOOST_TEST_CONTEXT("in this process, threads " << threads) {
        State state;
        auto server = async_server(state, held_open(threads));
        ServerThread running(*server);
        auto start = Clock::now();
        auto clients = open_many(server->server_address(), connections, budget);
        BOOST_TEST(server->active_requests() == connections);
        BOOST_TEST(state.live.load() == int(connections));
        BOOST_TEST(server->loop_threads() == threads);
        BOOST_TEST_MESSAGE("threads " << threads << ": " << connections << " connections open and served twice in "
                                      << seconds_since(start) << " s");
        clients.clear();
        BOOST_TEST(eventually([&] { return server->active_requests() == 0; }));
        BOOST_TEST(state.errors.load() == 0, state.all_messages());
      }
    }
    return;
  }
  // Otherwise the server runs in a child process, and each side needs half as many.
  if (limit < connections + 300) {
    BOOST_TEST_MESSAGE("skipped: RLIMIT_NOFILE allows " << limit << " descriptors, and "
                                                        << connections + 300 << " are needed");
    return;
  }
  if (count_threads() != 1) {
    BOOST_TEST_MESSAGE("skipped: RLIMIT_NOFILE allows " << limit << " descriptors (not the " << 2 * connections + 500
                                                        << " both ends need here), and this process has "
                                                        << count_threads() << " threads: it cannot fork the server");
    return;
  }
  BOOST_TEST_MESSAGE("RLIMIT_NOFILE allows " << limit << " descriptors, not the " << 2 * connections + 500
                                             << " both ends need: the server runs in a child process");
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("in a child process, threads " << threads) {
      ServerChild child(threads);
      auto start = Clock::now();
      {
        auto clients = open_many(child.address(), connections, budget);
        BOOST_TEST(clients.front()->ask("live") == std::to_string(connections));
        BOOST_TEST(clients.front()->ask("errors") == "0");
        BOOST_TEST_MESSAGE("threads " << threads << ": " << connections << " connections open and served twice in "
                                      << seconds_since(start) << " s");
      }
      LineClient last(child.address());
      BOOST_TEST(eventually([&] { return last.ask("live") == "1"; }));
      BOOST_TEST(last.ask("quit") == "bye");
      last.half_close();
      auto status = child.wait();
      BOOST_TEST_REQUIRE(status.has_value(), "the server child did not exit after quit");
      BOOST_TEST(WIFEXITED(*status), describe(*status));
      BOOST_TEST(WEXITSTATUS(*status) == 0, describe(*status) << " (1: handle_error() was called)");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_thread_count_stays_at_the_loop_threads_with_1000_connections_open) {
  constexpr std::size_t connections = 1000;
  BOOST_TEST_REQUIRE(raise_open_file_limit() >= 2 * connections + 200);
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      State state;
      auto server = async_server(state, held_open(threads));
      ServerThread running(*server);
      // This thread and the serving one (loop 0), and whatever a sanitizer runtime runs.
      std::size_t before = count_threads();
      std::size_t most = before;
      std::vector<std::unique_ptr<LineClient>> clients;
      auto deadline = Clock::now() + std::chrono::seconds(60);
      for (std::size_t i = 0; i < connections && Clock::now() < deadline; ++i) {
        clients.push_back(std::make_unique<LineClient>(server->server_address()));
        BOOST_TEST_REQUIRE(clients.back()->ask("x" + std::to_string(i)) == "x" + std::to_string(i));
        if (i % 50 == 0) most = std::max(most, count_threads());
      }
      BOOST_TEST_REQUIRE(clients.size() == connections);
      most = std::max(most, count_threads());
      BOOST_TEST(server->active_requests() == connections);
      BOOST_TEST(server->loop_threads() == threads);
      // The extra loop threads (threads - 1) and nothing per connection.
      BOOST_TEST(count_threads() == before + threads - 1);
      BOOST_TEST(most == before + threads - 1, "at most " << most << " threads; " << before << " before the first request");
      BOOST_TEST_MESSAGE("threads " << threads << ": " << connections << " connections open, " << most
                                    << " threads in the process at most (" << before << " before)");
      clients.clear();
      BOOST_TEST(eventually([&] { return server->active_requests() == 0; }));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_handler_in_sleep_for_does_not_delay_another_client) {
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      State state;
      auto server = async_server(state, {threads});
      ServerThread running(*server);
      LineClient sleeper(server->server_address());
      sleeper.send("sleep 2\n");
      BOOST_TEST_REQUIRE(sleeper.line().value_or("") == "sleeping\n");
      auto asleep = Clock::now();
      // Fresh connections land on every loop in turn, the sleeper's included.
      for (int i = 0; i < 4; ++i) {
        auto start = Clock::now();
        LineClient other(server->server_address());
        BOOST_TEST(other.ask("quick " + std::to_string(i)) == "quick " + std::to_string(i));
        BOOST_TEST(seconds_since(start) < 1.0, "answered after " << seconds_since(start) << " s");
      }
      BOOST_TEST(seconds_since(asleep) < 1.5);  // all answered well within the sleep
      BOOST_TEST(sleeper.line(Seconds(2 + slack)).value_or("") == "slept\n");
      double slept = seconds_since(asleep);
      BOOST_TEST_MESSAGE("threads " << threads << ": slept " << slept << " s");
      BOOST_TEST(slept >= 1.9);
      BOOST_TEST(state.woken.load() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(silent_clients_are_dropped_at_their_timeout_while_others_are_served) {
  constexpr int silent_count = 50;
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      State state;
      Settings settings;
      settings.threads = threads;
      settings.request_timeout = Seconds(1);
      auto server = async_server(state, settings);
      ServerThread running(*server);
      auto start = Clock::now();
      std::vector<std::unique_ptr<LineClient>> silent;
      for (int i = 0; i < silent_count; ++i) silent.push_back(std::make_unique<LineClient>(server->server_address()));
      // Meanwhile well-behaved clients are served at once, again and again.
      for (int i = 0; i < 5; ++i) {
        auto asked = Clock::now();
        LineClient client(server->server_address());
        BOOST_TEST(client.ask("hello " + std::to_string(i)) == "hello " + std::to_string(i));
        BOOST_TEST(seconds_since(asked) < 0.9);
      }
      int dropped = 0;
      for (auto& client : silent) dropped += client->closed_within(Seconds(1 + slack) - (Clock::now() - start));
      double after = seconds_since(start);
      BOOST_TEST(dropped == silent_count);
      BOOST_TEST(after >= 0.9);
      BOOST_TEST(after < 1 + slack);
      BOOST_TEST_MESSAGE("threads " << threads << ": " << dropped << " silent clients dropped within " << after << " s");
      LineClient next(server->server_address());
      BOOST_TEST(next.ask("after") == "after");
      BOOST_TEST(eventually([&] { return state.errors.load() == silent_count; }));
      BOOST_TEST(state.saw("timed out"), state.all_messages());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_larger_stack_size_serves_a_handler_with_a_deep_frame) {
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      State state;
      Settings settings;
      settings.threads = threads;
      settings.stack_size = 1024 * 1024;
      auto server = async_server(state, settings);
      BOOST_TEST(server->stack_size == 1024u * 1024);
      ServerThread running(*server);
      for (int i = 0; i < 4; ++i) {  // on every loop
        LineClient client(server->server_address());
        BOOST_TEST(client.ask("deep") == "deep okd");
      }
      BOOST_TEST(state.errors.load() == 0, state.all_messages());
    }
  }
}

BOOST_AUTO_TEST_CASE(server_close_cuts_a_stalled_connection_and_wakes_a_sleeping_fiber_at_the_drain) {
  constexpr double drain = 1.0;
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      State state;
      Settings settings;
      settings.threads = threads;
      settings.request_timeout = std::nullopt;  // only the drain can end them
      settings.drain_timeout = Seconds(drain);
      auto server = async_server(state, settings);
      auto running = std::make_unique<ServerThread>(*server);
      LineClient stalled(server->server_address());
      BOOST_TEST(stalled.ask("one") == "one");  // in flight, waiting for a line that never comes
      LineClient sleeper(server->server_address());
      sleeper.send("sleep 60\n");
      BOOST_TEST_REQUIRE(sleeper.line().value_or("") == "sleeping\n");
      BOOST_TEST(server->active_requests() == 2u);

      running->stop();  // serve_forever() returns; both requests are still in flight
      BOOST_TEST(server->active_requests() == 2u);
      auto closing = Clock::now();
      server->server_close();
      double took = seconds_since(closing);
      BOOST_TEST_MESSAGE("threads " << threads << ": server_close() returned after " << took << " s (drain "
                                    << drain << " s)");
      BOOST_TEST(took >= drain - 0.1);
      BOOST_TEST(took < drain + slack);
      BOOST_TEST(server->active_requests() == 0u);
      BOOST_TEST(state.live.load() == 0);
      BOOST_TEST(state.woken.load() == 1);  // the sleep ended by the cut, 59 s early
      BOOST_TEST(stalled.closed_within(Seconds(slack)));
      BOOST_TEST(sleeper.closed_within(Seconds(slack)));
      running.reset();  // its server_close() again: nothing left to do
    }
  }
}

BOOST_AUTO_TEST_CASE(handle_error_receives_what_a_handler_throws_and_the_server_goes_on) {
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("stream, threads " << threads) {
      State state;
      auto server = async_server(state, {threads});
      ServerThread running(*server);
      for (int i = 0; i < 3; ++i) {  // on every loop
        LineClient thrower(server->server_address());
        thrower.send("throw\n");
        BOOST_TEST(!thrower.line().has_value());  // its connection is closed
      }
      BOOST_TEST(eventually([&] { return state.errors.load() == 3; }));
      BOOST_TEST(state.saw("scripted failure on a fiber"), state.all_messages());
      for (int i = 0; i < 3; ++i) {
        LineClient next(server->server_address());
        BOOST_TEST(next.ask("still here") == "still here");
      }
      BOOST_TEST(eventually([&] { return server->active_requests() == 0; }));
      BOOST_TEST(state.errors.load() == 3);
    }
  }
  TempDir dir;
  State state;
  AsyncDatagramServer server(&state, Address::inet("127.0.0.1", 0), handler<ScriptedDatagram>(&state), false);
  server.request_timeout = io_timeout;
  server.bind_and_activate();
  ServerThread running(server);
  auto peer = Peer::open(Transport::udp, server.server_address(), dir, "d");
  peer->send_only("throw");
  BOOST_TEST(eventually([&] { return state.errors.load() == 1; }));
  BOOST_TEST(state.saw("scripted datagram failure on a fiber"), state.all_messages());
  BOOST_TEST(peer->request("after") == "ok after");
}

namespace {

// Refuses every other client (the first, the third, ...), and counts them all.
template <class Base>
class Choosy : public Base {
public:
  using Base::Base;
  std::atomic<int> asked{0};
  bool verify_request(const Request& request) override {
    if (++asked % 2 == 1) return false;
    return Base::verify_request(request);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(verify_request_and_allowed_networks_refuse_in_async_mode) {
  for (std::size_t threads : loop_counts) {
    BOOST_TEST_CONTEXT("verify_request(), threads " << threads) {
      State state;
      AsyncMixIn<Choosy<TCPServer>> server(Address::inet("127.0.0.1", 0), handler<Scripted>(&state), false);
      server.threads = threads;
      server.request_timeout = io_timeout;
      server.bind_and_activate();
      ServerThread running(server);
      for (int i = 0; i < 4; ++i) {
        LineClient refused(server.server_address());
        refused.send("let me in\n");
        BOOST_TEST(!refused.line().has_value());
        LineClient chosen(server.server_address());
        BOOST_TEST(chosen.ask("hello") == "hello");
      }
      BOOST_TEST(server.asked.load() == 8);
      BOOST_TEST(state.served.load() == 4);  // no handler for a refused client
    }
    BOOST_TEST_CONTEXT("allowed_networks, threads " << threads) {
      State state;
      auto server = async_server(state, {threads});
      server->allowed_networks.add("127.0.0.1/32");
      ServerThread running(*server);
      for (int i = 0; i < 2; ++i) {
        LineClient outsider(server->server_address(), "127.0.0.2");
        outsider.send("let me in\n");
        BOOST_TEST(!outsider.line().has_value());
        LineClient insider(server->server_address(), "127.0.0.1");
        BOOST_TEST(insider.ask("hello") == "hello");
      }
      BOOST_TEST(state.served.load() == 2);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_async_udp_server_answers_many_datagrams_with_max_datagrams_in_flight_fibers_at_most) {
  constexpr std::size_t bound = 8;
  constexpr int bursts = 8;
  constexpr int burst = 32;  // well within the socket's receive buffer, which holds what waits
  constexpr int quick = 2000;
  TempDir dir;
  State state;
  AsyncDatagramServer server(&state, Address::inet("127.0.0.1", 0), handler<ScriptedDatagram>(&state), false);
  server.request_timeout = io_timeout;
  server.max_datagrams_in_flight = bound;
  server.bind_and_activate();
  ServerThread running(server);
  auto peer = Peer::open(Transport::udp, server.server_address(), dir, "d");

  auto start = Clock::now();
  for (int i = 0; i < quick; ++i) {  // one after the other, as fast as they are answered
    std::string text = "q" + std::to_string(i);
    BOOST_TEST_REQUIRE(peer->request(text) == "ok " + text);
  }
  BOOST_TEST_MESSAGE(quick << " datagrams answered one after the other in " << seconds_since(start) << " s");

  start = Clock::now();
  for (int round = 0; round < bursts; ++round) {
    std::set<std::string> expected, answered;
    for (int i = 0; i < burst; ++i) {
      std::string text = "slow " + std::to_string(round) + "/" + std::to_string(i);
      expected.insert("ok " + text);
      peer->send_only(text);
    }
    for (int i = 0; i < burst; ++i) answered.insert(peer->wait_done());  // the next reply, whatever it is
    BOOST_TEST((answered == expected), "round " << round << ": " << answered.size() << " distinct replies");
  }
  BOOST_TEST_MESSAGE(bursts << " bursts of " << burst << " slow datagrams (20 ms each) in " << seconds_since(start)
                            << " s; at most " << state.peak.load() << " fibers at once, bound " << bound
                            << "; reading paused " << server.paused_accepts() << " times");
  BOOST_TEST(state.peak.load() <= int(bound));
  BOOST_TEST(state.peak.load() > 1);  // the sleeps overlapped
  BOOST_TEST(server.paused_accepts() > 0u);
  BOOST_TEST(state.served.load() == quick + bursts * burst);
  BOOST_TEST(eventually([&] { return server.active_requests() == 0; }));
  BOOST_TEST(state.errors.load() == 0, state.all_messages());
}
