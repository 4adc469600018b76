// TLS in every in-process mode (sync, threading, pool, async with one and two event-loop
// threads): echo over TLS 1.2 and 1.3, what a handler learns of the handshake, mutual TLS
// and verify_request() judging the client's certificate, hostile clients (plain text, silence,
// a ClientHello one byte at a time, abandoned and reset handshakes, garbage under the TLS
// session), an accept loop that half-done handshakes never block, swapping the certificate
// while serving, close_notify both ways, and TLS over a Unix socket. Real sockets on the
// loopback, servers on port 0, certificates made afresh by make_certificates. (Forking mode
// is the examples suite's: forking this multithreaded process is unsupported under the
// sanitizers.)
#define BOOST_TEST_MODULE tls_servers
#include <boost/test/unit_test.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <socketserver/handlers.hpp>

#include "tls_support.hpp"

using namespace socketserver;
using test_support::Client;
using test_support::eventually;
using test_support::in_process_modes;
using test_support::io_timeout;
using test_support::ModeCase;
using test_support::ServerThread;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Sanitizer builds run 3-10x slower: time limits that measure promptness stretch with them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double slow = 3;
#else
constexpr double slow = 1;
#endif

// How long past a server's deadline a client may wait before we call it a hang.
constexpr double slack = 2.5 * slow;
// How fast a well-behaved client must be served while others misbehave.
constexpr double prompt = 1.0 * slow;

const tls_test::Certificates& certs() { return tls_test::certificates(); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

Clock::time_point after(Seconds timeout) { return Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout); }

int milliseconds_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// --- Servers ----------------------------------------------------------------------------------

// The lines a server logged (log_message(): dropped handshakes, handle_error(), refusals).
class Log {
public:
  void add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  /// Lines containing @p text.
  std::size_t count(const std::string& text) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(lines_.begin(), lines_.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; }));
  }
  bool contains(const std::string& text) const { return count(text) > 0; }
  /// Waits (bounded) until a line contains @p text.
  bool wait_for(const std::string& text, Seconds timeout = io_timeout) const {
    return eventually([&] { return contains(text); }, timeout);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }
  /// Every line, separated by " | " (for a failure's message).
  std::string joined() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& line : lines_) all += (all.empty() ? "" : " | ") + line;
    return all;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// What a Recording server has besides its base: reachable from a BaseServer& by dynamic_cast.
struct HasLog {
  virtual ~HasLog() = default;
  const std::shared_ptr<Log> log = std::make_shared<Log>();
};

/// @p Base whose log lines are recorded instead of written to stderr.
template <class Base>
class Recording : public Base, public HasLog {
public:
  using Base::Base;
  void log_message(std::string_view text) noexcept override {
    try {
      log->add(std::string(text));
    } catch (...) {
    }
  }
};

Log& log_of(BaseServer& server) { return *dynamic_cast<HasLog&>(server).log; }
StreamServer& stream(BaseServer& server) { return dynamic_cast<StreamServer&>(server); }

/// A recording server whose verify_request() notes what it saw of the TLS session and
/// refuses the client whose certificate names "alice".
template <class Base>
class RefusingAlice : public Recording<Base> {
public:
  using Recording<Base>::Recording;
  bool verify_request(const Request& request) override {
    std::string tls = !request.tls ? "none" : request.tls->established() ? "established" : "not established";
    std::string cn = request.tls ? request.tls->peer_common_name() : "";
    this->log->add("verify: tls " + tls + ", cn '" + cn + "', thread " +
                   (std::this_thread::get_id() == serving_thread.load() ? "serving" : "other"));
    if (cn == "alice") {
      this->log_message("refused " + request.client_address.to_string() + ": alice is not welcome");
      return false;
    }
    return Recording<Base>::verify_request(request);
  }
  /// serve_forever() calls it on the serving thread: so we learn which thread that is.
  void service_actions() override {
    serving_thread = std::this_thread::get_id();
    Recording<Base>::service_actions();
  }
  std::atomic<std::thread::id> serving_thread{};
};

std::shared_ptr<TLSContext> server_context(bool mutual = false, std::vector<std::string> alpn = {}) {
  return TLSContext::server({.certificate_chain = certs().server,
                             .private_key = certs().server_key,
                             .client_ca = mutual ? std::filesystem::path(certs().ca) : std::filesystem::path(),
                             .alpn_protocols = std::move(alpn)});
}

enum class Identity { none, alice, expired, other };

std::shared_ptr<TLSContext> client_context(Identity identity = Identity::none, std::vector<std::string> alpn = {},
                                           int max_version = 0) {
  TLSClientOptions options;
  options.ca = certs().ca;
  options.alpn_protocols = std::move(alpn);
  switch (identity) {
  case Identity::none: break;
  case Identity::alice: options.certificate_chain = certs().client, options.private_key = certs().client_key; break;
  case Identity::expired: options.certificate_chain = certs().expired, options.private_key = certs().expired_key; break;
  case Identity::other: options.certificate_chain = certs().other, options.private_key = certs().other_key; break;
  }
  auto context = TLSContext::client(options);
  if (max_version != 0) {
    BOOST_REQUIRE(SSL_CTX_set_min_proto_version(context->native().native_handle(), max_version) == 1);
    BOOST_REQUIRE(SSL_CTX_set_max_proto_version(context->native().native_handle(), max_version) == 1);
  }
  return context;
}

ServerConfig config_for(const ModeCase& mode, std::shared_ptr<TLSContext> tls, double request_timeout = 5) {
  ServerConfig config;
  config.mode = mode.mode;
  config.threads = mode.threads;
  config.workers = 2;  // pool: few workers, so a waiting handshake that pinned one would show
  config.request_timeout = Seconds(request_timeout);
  config.drain_timeout = Seconds(2);
  config.tls = std::move(tls);
  return config;
}

// --- Handlers ---------------------------------------------------------------------------------

/// What the handshake settled, as one line: `key=value;key=value...`.
std::string describe(const TLSSession& session) {
  std::string alt;
  for (const auto& name : session.peer_alt_names()) alt += (alt.empty() ? "" : ",") + name;
  return "subject=" + session.peer_subject() + ";cn=" + session.peer_common_name() + ";alt=" + alt +
         ";version=" + session.version() + ";cipher=" + session.cipher() + ";alpn=" + session.alpn_protocol() +
         ";established=" + (session.established() ? "1" : "0");
}

std::map<std::string, std::string> parse_info(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::string text = line.substr(0, line.find('\n'));
  std::istringstream in(text);
  std::string field;
  while (std::getline(in, field, ';')) {
    auto equals = field.find('=');
    if (equals != std::string::npos) fields[field.substr(0, equals)] = field.substr(equals + 1);
  }
  return fields;
}

/// Line echo; the line `info` is answered with describe() of the connection's session.
struct InfoEcho : StreamRequestHandler {
  void handle() override {
    for (const std::string& line : rfile.lines()) {
      if (line == "info\n") wfile.write(tls() ? describe(*tls()) + "\n" : std::string("plain\n"));
      else wfile.write(line);
    }
  }
};

/// Says the TLS version first, then echoes bytes until end of stream.
struct VersionEcho : StreamRequestHandler {
  VersionEcho() { rbufsize = 64 * 1024; }
  void handle() override {
    wfile.write(tls()->version() + "\n");
    for (;;) {
      std::string_view bytes = rfile.peek();
      if (bytes.empty()) return;
      wfile.write(bytes);
      rfile.consume(bytes.size());
    }
  }
};

/// Reads a number N on a line, then sends N MiB.
struct Spew : StreamRequestHandler {
  void handle() override {
    std::size_t mebibytes = std::stoul(rfile.readline());
    static const std::string block(1 << 20, 'x');
    for (std::size_t i = 0; i < mebibytes; ++i) wfile.write(block);
  }
};

/// Writes `bye` and returns: the server then ends the stream with close_notify.
struct Bye : StreamRequestHandler {
  void handle() override { wfile.write("bye\n"); }
};

/// What Observe handlers saw: the bytes up to end of stream, and close_notify_received().
struct Observations {
  std::mutex mutex;
  std::vector<std::pair<std::string, bool>> seen;
  std::size_t size() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
  std::pair<std::string, bool> at(std::size_t i) {
    std::lock_guard lock(mutex);
    return seen.at(i);
  }
};

struct Observe : StreamRequestHandler {
  explicit Observe(std::shared_ptr<Observations> observations) : observations_(std::move(observations)) {}
  void handle() override {
    std::string data = rfile.read_all(1 << 20);
    bool notified = tls()->close_notify_received();
    std::lock_guard lock(observations_->mutex);
    observations_->seen.emplace_back(std::move(data), notified);
  }

private:
  std::shared_ptr<Observations> observations_;
};

// --- Clients ----------------------------------------------------------------------------------

/// A TLS client: connects at construction, handshakes in handshake() (or at once, given a
/// context), then reads and writes through rfile and wfile. The server's certificate must
/// be for 127.0.0.1 (a Unix socket: only its issuer is checked).
class TLSClient {
public:
  explicit TLSClient(const Address& address, Seconds timeout = io_timeout)
      : address_(address), timeout_(timeout), client_(address, timeout) {}
  TLSClient(const Address& address, std::shared_ptr<TLSContext> context, Seconds timeout = io_timeout)
      : TLSClient(address, timeout) {
    handshake(std::move(context));
  }

  void handshake(std::shared_ptr<TLSContext> context) {
    session_ = std::make_unique<TLSSession>(std::move(context), socket(), address_.is_unix() ? "" : "127.0.0.1");
    session_->handshake(socket(), timeout_);
    rfile.timeout = timeout_;
    rfile.max_line_length = 1 << 30;
    rfile.attach(socket(), *session_);
    wfile.timeout = timeout_;
    wfile.attach(socket(), *session_, 0);
  }

  TLSSession& session() { return *session_; }
  StreamSocket& socket() { return client_.socket(); }
  int fd() { return socket().native_handle(); }
  /// How the server names this client in its log lines (`127.0.0.1:PORT`).
  std::string name() const { return client_.local_address().to_string(); }

  /// One line there and back.
  std::string exchange(const std::string& line) {
    wfile.write(line);
    return rfile.readline();
  }
  /// Sends close_notify.
  void close_notify() { session_->close(socket(), timeout_); }
  /// shutdown(SHUT_WR) on the socket, with no close_notify.
  void shutdown_send() { socket().shutdown(boost::asio::socket_base::shutdown_send); }
  /// Closes with RST.
  void reset() { client_.reset(); }

private:
  Address address_;
  Seconds timeout_;
  Client client_;
  std::unique_ptr<TLSSession> session_;

public:
  SocketReader rfile;
  SocketWriter wfile;
};

/// Sends all of @p data on the raw socket (under any TLS); false when the peer is gone.
bool send_raw(int fd, std::string_view data, Seconds timeout = io_timeout) {
  auto deadline = after(timeout);
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    pollfd entry{fd, POLLOUT, 0};
    if (::poll(&entry, 1, milliseconds_until(deadline)) == 0) return false;
  }
  return true;
}

/// True when the peer closes @p fd (end of stream or reset) within @p timeout; whatever
/// arrives before is read and discarded.
bool closed_within(int fd, Seconds timeout) {
  auto deadline = after(timeout);
  char buffer[16 * 1024];
  for (int round = 0; round < 100000; ++round) {
    pollfd entry{fd, POLLIN, 0};
    int ready = ::poll(&entry, 1, milliseconds_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t received = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (received == 0) return true;
    if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
  }
  return false;
}

/// True while nothing says @p fd was closed by the peer (polls without waiting).
bool still_open(int fd) { return !closed_within(fd, Seconds(0)); }

/// The first flight of a real TLS client (its ClientHello), made over memory BIOs.
std::string client_hello() {
  auto context = client_context();
  SSL* ssl = SSL_new(context->native().native_handle());
  BOOST_REQUIRE(ssl);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_set_tlsext_host_name(ssl, "localhost");
  int result = SSL_do_handshake(ssl);
  int error = SSL_get_error(ssl, result);
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(std::max(size, 0L)));
  SSL_free(ssl);
  ERR_clear_error();
  BOOST_REQUIRE(result <= 0);
  BOOST_REQUIRE(error == SSL_ERROR_WANT_READ);
  BOOST_REQUIRE(hello.size() > 100u);
  BOOST_REQUIRE(hello[0] == '\x16');  // a handshake record
  return hello;
}

/// @p size bytes of every value, in no short period.
std::string payload(std::size_t size) {
  std::string data(size, '\0');
  std::uint32_t state = 12345;
  for (auto& byte : data) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<char>(state >> 24);
  }
  return data;
}

/// Sends @p data through @p client's session while reading the echo back, on one thread
/// (an SSL object is not for two threads at once): OpenSSL's own calls on the non-blocking
/// socket, writing whenever there is room and reading whenever bytes came, as a streaming
/// client does. Returns what came back, at most data.size() bytes, within @p timeout.
std::string streamed_echo(TLSSession& session, int fd, std::string_view data, Seconds timeout = io_timeout) {
  SSL* ssl = session.native_handle();
  auto deadline = after(timeout);
  std::string echoed;
  echoed.reserve(data.size());
  std::size_t sent = 0;
  std::vector<char> buffer(64 * 1024);
  for (long round = 0; round < 10'000'000 && echoed.size() < data.size() && Clock::now() < deadline; ++round) {
    bool progress = false;
    short events = POLLIN;
    if (sent < data.size()) {
      std::size_t written = 0;
      ERR_clear_error();
      if (SSL_write_ex(ssl, data.data() + sent, std::min<std::size_t>(data.size() - sent, 64 * 1024), &written) == 1) {
        sent += written;
        progress = true;
      } else {
        int error = SSL_get_error(ssl, 0);
        if (error == SSL_ERROR_WANT_WRITE) events |= POLLOUT;
        else if (error != SSL_ERROR_WANT_READ) break;
      }
    }
    std::size_t received = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl, buffer.data(), buffer.size(), &received) == 1) {
      echoed.append(buffer.data(), received);
      progress = true;
    } else if (SSL_get_error(ssl, 0) != SSL_ERROR_WANT_READ) {
      break;
    }
    if (!progress) {
      pollfd entry{fd, events, 0};
      ::poll(&entry, 1, milliseconds_until(deadline));
    }
  }
  ERR_clear_error();
  return echoed;
}

/// What one client attempt came to: the echo of "ping" (good), "" (closed), or the error.
struct Attempt {
  std::string client;  // as the server's log names it
  std::string reply;
  bool served() const { return reply == "ping\n"; }
};

Attempt attempt(const Address& address, std::shared_ptr<TLSContext> context) {
  Attempt result;
  try {
    TLSClient client(address);
    result.client = client.name();
    client.handshake(std::move(context));
    result.reply = client.exchange("ping\n");
  } catch (const std::exception& e) {
    result.reply = std::string("error: ") + e.what();
  }
  return result;
}

/// A good client is served: handshake, one line echoed (the server must be an InfoEcho or
/// echo of lines). Returns the seconds it took.
double served(const Address& address, std::shared_ptr<TLSContext> context = client_context()) {
  auto start = Clock::now();
  try {
    TLSClient client(address, std::move(context));
    BOOST_TEST(client.exchange("good client\n") == "good client\n");
  } catch (const std::exception& e) {  // a failure, not an exception past running threads
    BOOST_TEST(false, "the good client was not served: " << e.what());
    return 1e9;
  }
  return seconds_since(start);
}

} // namespace

// 1 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(four_MiB_echo_over_TLS_1_2_and_1_3_in_every_mode) {
  constexpr std::size_t size = 4 << 20;
  const std::string data = payload(size);
  for (const ModeCase& mode : in_process_modes) {
    for (auto [version, name] : {std::pair{TLS1_2_VERSION, "TLSv1.2"}, std::pair{TLS1_3_VERSION, "TLSv1.3"}}) {
      BOOST_TEST_CONTEXT("mode " << mode << ", " << name) {
        auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<VersionEcho>());
        ServerThread running(*server);
        TLSClient client(server->server_address(), client_context(Identity::none, {}, version));
        BOOST_TEST(client.session().version() == name);
        BOOST_TEST(client.rfile.readline() == std::string(name) + "\n");  // the server's view
        std::string echoed = streamed_echo(client.session(), client.fd(), data);
        BOOST_TEST(echoed.size() == size);
        BOOST_TEST((echoed == data));
        client.close_notify();
        client.shutdown_send();
        BOOST_TEST(client.rfile.read_all(1 << 20) == "");
        BOOST_TEST(client.session().close_notify_received());
        BOOST_TEST(log_of(*server).size() == 0u, log_of(*server).joined());
      }
    }
  }
}

// Each TLS record goes out in a send() of its own. With Nagle's algorithm on, a reply of
// three records or more (48 KiB and up) had its later records held until the client's
// delayed ACK, about 40 ms a reply, where the same exchange in plain TCP takes well under a
// millisecond: TLS connections are TCP_NODELAY for that (and for TLS 1.3's session tickets).
BOOST_AUTO_TEST_CASE(replies_of_several_TLS_records_are_not_held_back_by_nagle) {
  constexpr std::size_t size = 64 * 1024;
  constexpr int exchanges = 20;
  // Held back, an exchange takes the delayed-ACK timer's 40 ms at least; a busy machine
  // may make a few exchanges that slow, never most of them.
  constexpr double held_back = 0.035;
  const std::string data = payload(size);
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain")) {
      auto server = make_server<Recording<TCPServer>>(config_for(Mode::threading, tls ? server_context() : nullptr),
                                                      handler<handlers::EchoHandler>(std::size_t(1) << 20));
      ServerThread running(*server);
      std::optional<TLSClient> tls_client;
      std::optional<Client> plain_client;
      if (tls) tls_client.emplace(server->server_address(), client_context());
      else plain_client.emplace(server->server_address());
      int slow_exchanges = 0;
      for (int i = 0; i < exchanges; ++i) {
        auto start = Clock::now();
        std::string echoed;
        if (tls) {
          tls_client->wfile.write(data);
          echoed = tls_client->rfile.read_exactly(size);
        } else {
          plain_client->send(data);
          echoed = plain_client->read_exactly(size);
        }
        BOOST_TEST_REQUIRE((echoed == data));
        if (seconds_since(start) >= held_back) ++slow_exchanges;
      }
      BOOST_TEST_MESSAGE((tls ? "TLS: " : "plain: ") << slow_exchanges << " of " << exchanges
                                                     << " exchanges took 35 ms or more");
      BOOST_TEST(slow_exchanges < exchanges / 2);
    }
  }
}

// 2 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_handler_sees_the_peer_certificate_version_cipher_and_alpn) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context(true, {"h2", "http/1.1"})),
                                                      handler<InfoEcho>());
      ServerThread running(*server);
      TLSClient client(server->server_address(), client_context(Identity::alice, {"http/1.1"}));
      auto info = parse_info(client.exchange("info\n"));
      BOOST_TEST(info["subject"] == "CN=alice");
      BOOST_TEST(info["cn"] == "alice");
      BOOST_TEST(info["alt"] == "email:alice@example.com");
      BOOST_TEST(info["version"] == "TLSv1.3");
      BOOST_TEST(info["cipher"] == client.session().cipher());
      BOOST_TEST(info["cipher"].rfind("TLS_", 0) == 0u);
      BOOST_TEST(info["alpn"] == "http/1.1");
      BOOST_TEST(info["established"] == "1");
      // And the client's side of the same handshake.
      BOOST_TEST(client.session().alpn_protocol() == "http/1.1");
      BOOST_TEST(client.session().peer_common_name() == "localhost");
      BOOST_TEST(client.session().peer_subject() == "CN=localhost");
      auto names = client.session().peer_alt_names();
      BOOST_TEST((names == std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1", "IP:::1"}));
      BOOST_TEST(client.exchange("after info\n") == "after info\n");

      // TLS 1.2, no client certificate, an ALPN the server does not speak: nothing agreed.
      auto plain_server = make_server<Recording<TCPServer>>(config_for(mode, server_context(false, {"h2"})),
                                                            handler<InfoEcho>());
      ServerThread plain_running(*plain_server);
      TLSClient anonymous(plain_server->server_address(), client_context(Identity::none, {"http/1.1"}, TLS1_2_VERSION));
      auto anonymous_info = parse_info(anonymous.exchange("info\n"));
      BOOST_TEST(anonymous_info["subject"] == "");
      BOOST_TEST(anonymous_info["cn"] == "");
      BOOST_TEST(anonymous_info["alt"] == "");
      BOOST_TEST(anonymous_info["version"] == "TLSv1.2");
      BOOST_TEST(anonymous_info["cipher"] == anonymous.session().cipher());
      BOOST_TEST(!anonymous_info["cipher"].empty());
      BOOST_TEST(anonymous_info["alpn"] == "");
      BOOST_TEST(anonymous.session().alpn_protocol() == "");
      BOOST_TEST(anonymous.session().has_peer_certificate());  // the server's, seen by the client
    }
  }
}

// 3 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mutual_TLS_serves_the_CA_s_client_and_refuses_the_others_at_the_handshake) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context(true)), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      Log& log = log_of(*server);

      BOOST_TEST(attempt(address, client_context(Identity::alice)).served());
      struct Case {
        Identity identity;
        const char* what;
        const char* reason;
      };
      for (auto [identity, what, reason] : {Case{Identity::none, "no certificate", "peer did not return a certificate"},
                                            Case{Identity::expired, "an expired certificate", "certificate verify failed"},
                                            Case{Identity::other, "another CA's client", "certificate verify failed"}}) {
        BOOST_TEST_CONTEXT("a client with " << what) {
          Attempt refused = attempt(address, client_context(identity));
          BOOST_TEST(!refused.served(), refused.reply);
          BOOST_TEST_MESSAGE(what << ": the client saw '" << refused.reply << "'");
          const std::string line = "dropped " + refused.client + ": TLS handshake";
          BOOST_TEST(log.wait_for(line), log.joined());
          BOOST_TEST(log.count(refused.client) == 1u, log.joined());
          BOOST_TEST(log.count(line + " failed: " + reason) == 1u, log.joined());
          BOOST_TEST(attempt(address, client_context(Identity::alice)).served());  // the server goes on
          BOOST_TEST(log.count(refused.client) == 1u, log.joined());
        }
      }
      BOOST_TEST(log.size() == 3u, log.joined());
    }
  }
}

BOOST_AUTO_TEST_CASE(verify_request_judges_the_client_by_its_certificate_after_the_handshake) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<RefusingAlice<TCPServer>>(config_for(mode, server_context(true)), handler<InfoEcho>());
      auto& refusing = dynamic_cast<RefusingAlice<TCPServer>&>(*server);
      Log& log = log_of(*server);
      {
        ServerThread running(*server, 0.02s);
        BOOST_TEST(eventually([&] { return refusing.serving_thread.load() != std::thread::id(); }));
        // Alice completes her handshake (her certificate is good), then is refused.
        TLSClient alice(server->server_address(), client_context(Identity::alice));
        const std::string name = alice.name();
        alice.wfile.write("info\n");
        std::string reply;
        try {
          reply = alice.rfile.read_all(1 << 20);
        } catch (const std::exception& e) {
          BOOST_TEST_MESSAGE("alice's read ended with " << e.what());
        }
        BOOST_TEST(reply == "");  // no handler ran
        BOOST_TEST(log.wait_for("refused " + name + ": alice is not welcome"), log.joined());
        BOOST_TEST(log.count("verify: tls established, cn 'alice'") == 1u, log.joined());
        // Verified in the request's own thread (fibers of one loop run on the serving thread).
        if (mode == Mode::threading || mode == Mode::pool)
          BOOST_TEST(log.count("cn 'alice', thread other") == 1u, log.joined());
        if (mode == Mode::sync || (mode == Mode::async && mode.threads == 1))
          BOOST_TEST(log.count("cn 'alice', thread serving") == 1u, log.joined());
        BOOST_TEST(!alice.session().close_notify_received());
      }

      // Without mutual TLS the same override lets a client without certificate through.
      auto open_server = make_server<RefusingAlice<TCPServer>>(config_for(mode, server_context()), handler<InfoEcho>());
      ServerThread open_running(*open_server);
      TLSClient anonymous(open_server->server_address(), client_context());
      auto info = parse_info(anonymous.exchange("info\n"));
      BOOST_TEST(info["established"] == "1");
      BOOST_TEST(info["cn"] == "");
      BOOST_TEST(log_of(*open_server).count("verify: tls established, cn ''") == 1u, log_of(*open_server).joined());
    }
  }
}

// 4 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(plain_text_to_the_TLS_port_is_dropped_and_logged) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      Log& log = log_of(*server);
      Client plain(address);
      const std::string name = plain.local_address().to_string();
      auto start = Clock::now();
      BOOST_TEST(send_raw(plain.socket().native_handle(), "GET / HTTP/1.0\r\n\r\n"));
      BOOST_TEST(closed_within(plain.socket().native_handle(), Seconds(2 * slow)));
      BOOST_TEST(seconds_since(start) < 2 * slow);  // at once, not at the timeout
      BOOST_TEST(log.wait_for("dropped " + name + ": TLS handshake failed: "), log.joined());
      BOOST_TEST(log.count(name) == 1u, log.joined());
      BOOST_TEST_MESSAGE(log.joined());
      BOOST_TEST(served(address) < 5);
    }
  }
}

BOOST_AUTO_TEST_CASE(silent_and_dribbling_handshakes_are_dropped_at_the_timeout_while_others_are_served) {
  const std::string hello = client_hello();
  constexpr double timeout = 1.5;
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context(), timeout), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      Log& log = log_of(*server);
      BOOST_TEST(served(address) < 5);  // warm up (the pool starts its workers)

      auto start = Clock::now();
      Client silent(address);
      Client dribbler(address);
      const std::string silent_name = silent.local_address().to_string();
      const std::string dribbler_name = dribbler.local_address().to_string();
      // One byte of the ClientHello every 100 ms, never the whole of it, until dropped.
      std::atomic<double> dribbler_dropped_after{-1};
      std::atomic<std::size_t> dribbled{0};
      std::thread dribble([&] {
        int fd = dribbler.socket().native_handle();
        for (std::size_t i = 0; i + 1 < hello.size(); ++i) {
          if (!send_raw(fd, hello.substr(i, 1), 1s) || closed_within(fd, 100ms)) {
            dribbler_dropped_after = seconds_since(start);
            return;
          }
          ++dribbled;
        }
        if (closed_within(fd, Seconds(2 * timeout + slack))) dribbler_dropped_after = seconds_since(start);
      });

      std::atomic<double> silent_dropped_after{-1};
      std::thread watch_silent([&] {
        if (closed_within(silent.socket().native_handle(), Seconds(2 * timeout + slack)))
          silent_dropped_after = seconds_since(start);
      });

      // Meanwhile a good client is served: at once, except in sync mode, where it waits its turn.
      double good = served(address);
      if (mode == Mode::sync) {
        BOOST_TEST(good >= timeout * 0.9);
      } else {
        BOOST_TEST(good < prompt);
        BOOST_TEST(silent_dropped_after.load() < 0);  // still waiting
      }
      watch_silent.join();
      dribble.join();
      BOOST_TEST_MESSAGE("good client served in " << good << " s; silent client dropped after "
                                                  << silent_dropped_after.load() << " s, dribbler after " << dribbler_dropped_after.load() << " s ("
                                                  << dribbled.load() << " of " << hello.size() << " bytes)");
      BOOST_TEST(silent_dropped_after.load() >= timeout * 0.95);
      BOOST_TEST(silent_dropped_after.load() < timeout + slack);
      // Sync mode begins the dribbler's handshake only once the silent one is over.
      const double dribbler_deadline = mode == Mode::sync ? 2 * timeout : timeout;
      BOOST_TEST(dribbler_dropped_after.load() >= dribbler_deadline * 0.95);
      BOOST_TEST(dribbler_dropped_after.load() < dribbler_deadline + slack);
      BOOST_TEST(dribbled.load() + 1 < hello.size());

      BOOST_TEST(log.wait_for("dropped " + dribbler_name + ": TLS handshake not finished within 1.5 s"), log.joined());
      BOOST_TEST(log.wait_for(silent_name), log.joined());
      BOOST_TEST(log.count(silent_name) == 1u, log.joined());
      BOOST_TEST(log.count(dribbler_name) == 1u, log.joined());
      BOOST_TEST_MESSAGE(log.joined());
      BOOST_TEST(served(address) < 5);
    }
  }
}

BOOST_AUTO_TEST_CASE(three_hundred_abandoned_handshakes_leak_nothing) {
  const std::string hello = client_hello();
  constexpr int abandoned = 300;
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      BOOST_TEST(served(address) < 5);  // warm up
      BOOST_TEST(eventually([&] { return server->open_connections() == 0u; }));
      const std::size_t fds_before = test_support::count_open_fds();

      auto start = Clock::now();
      for (int i = 0; i < abandoned; ++i) {
        Client client(address);
        BOOST_TEST_REQUIRE(send_raw(client.socket().native_handle(), hello));
        if (i % 2) client.reset();  // else closed by the destructor, with FIN
      }
      BOOST_TEST_MESSAGE(abandoned << " handshakes abandoned in " << seconds_since(start) << " s");
      BOOST_TEST(served(address) < 5);
      BOOST_TEST(eventually([&] { return server->open_connections() == 0u; }), server->open_connections());
      std::size_t fds_after = 0;
      BOOST_TEST(eventually([&] { return (fds_after = test_support::count_open_fds()) <= fds_before; }),
                 fds_before << " descriptors before, " << fds_after << " after");
      Log& log = log_of(*server);
      BOOST_TEST(eventually([&] { return log.count("dropped ") == std::size_t(abandoned); }), log.size());
      BOOST_TEST(log.count("dropped ") == log.size());
      BOOST_TEST(served(address) < 5);
    }
  }
}

BOOST_AUTO_TEST_CASE(resets_mid_handshake_and_mid_transfer_cost_only_that_connection) {
  ::signal(SIGPIPE, SIG_DFL);  // the server must protect itself, not rely on the test
  const std::string hello = client_hello();
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<Spew>());
      ServerThread running(*server);
      const Address address = server->server_address();
      Log& log = log_of(*server);
      auto served_spew = [&] {
        TLSClient client(address, client_context());
        client.wfile.write("1\n");
        client.shutdown_send();
        return client.rfile.read_all(4 << 20).size();
      };
      BOOST_TEST(served_spew() == std::size_t(1) << 20);
      const std::size_t fds_before = test_support::count_open_fds();

      for (int round = 0; round < 3; ++round) {
        {  // mid-handshake: the ClientHello, the server's first flight, then RST
          Client client(address);
          const std::string name = client.local_address().to_string();
          int fd = client.socket().native_handle();
          BOOST_TEST(send_raw(fd, hello));
          pollfd entry{fd, POLLIN, 0};
          BOOST_TEST(::poll(&entry, 1, milliseconds_until(after(io_timeout))) == 1);  // the ServerHello
          client.reset();
          BOOST_TEST(log.wait_for("dropped " + name + ": TLS handshake failed: "), log.joined());
        }
        {  // mid-transfer: ask for 32 MiB, read 64 KiB, then RST
          TLSClient client(address, client_context());
          const std::string name = client.name();
          client.wfile.write("32\n");
          BOOST_TEST(client.rfile.read_exactly(64 * 1024).size() == 64u * 1024);
          client.reset();
          BOOST_TEST(log.wait_for("error handling request from " + name + ": "), log.joined());
        }
        BOOST_TEST(served_spew() == std::size_t(1) << 20);
      }
      BOOST_TEST_MESSAGE(log.joined());
      BOOST_TEST(log.size() == 6u, log.joined());
      BOOST_TEST(eventually([&] { return server->open_connections() == 0u; }));
      BOOST_TEST(eventually([&] { return test_support::count_open_fds() <= fds_before; }));
    }
  }
}

BOOST_AUTO_TEST_CASE(garbage_under_the_TLS_session_ends_the_connection_only) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      Log& log = log_of(*server);
      for (std::string garbage : {std::string("this is no TLS record\n"),  // a bad record header
                                  std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, 'g')}) {  // a bad MAC
        TLSClient client(address, client_context());
        const std::string name = client.name();
        BOOST_TEST(client.exchange("hello\n") == "hello\n");
        BOOST_TEST(send_raw(client.fd(), garbage));
        BOOST_TEST(closed_within(client.fd(), Seconds(2 * slow)));
        BOOST_TEST(log.wait_for("error handling request from " + name + ": TLS read: "), log.joined());
        BOOST_TEST(served(address) < 5);
      }
      BOOST_TEST_MESSAGE(log.joined());
      BOOST_TEST(log.size() == 2u, log.joined());
    }
  }
}

// 5 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fifty_half_done_handshakes_do_not_block_a_new_client) {
  const std::string hello = client_hello();
  for (const ModeCase& mode : in_process_modes) {
    if (mode == Mode::sync) continue;  // one connection at a time: the first holder holds it
    BOOST_TEST_CONTEXT("mode " << mode) {
      // Pool: two workers only (config_for), against fifty handshakes that wait.
      ServerConfig config = config_for(mode, server_context(), 4);
      config.drain_timeout = Seconds(0.5);
      auto server = make_server<Recording<TCPServer>>(config, handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();
      BOOST_TEST(served(address) < 5);  // warm up
      BOOST_TEST(eventually([&] { return server->open_connections() == 0u; }));

      std::vector<std::unique_ptr<Client>> holders;
      for (int i = 0; i < 50; ++i) {
        holders.push_back(std::make_unique<Client>(address));
        if (i % 2 == 0) BOOST_TEST_REQUIRE(send_raw(holders.back()->socket().native_handle(), hello));
      }
      BOOST_TEST(eventually([&] { return server->open_connections() == 50u; }, 5s), server->open_connections());

      for (int i = 0; i < 3; ++i) {
        auto start = Clock::now();
        TLSClient client(address, client_context());
        BOOST_TEST(client.exchange("through the crowd\n") == "through the crowd\n");
        double elapsed = seconds_since(start);
        BOOST_TEST_MESSAGE("served in " << elapsed << " s past 50 half-done handshakes");
        BOOST_TEST(elapsed < prompt);
      }
      std::size_t open = 0;
      for (auto& holder : holders) open += still_open(holder->socket().native_handle());
      BOOST_TEST(open == 50u);  // all of them were still waiting meanwhile
      BOOST_TEST(log_of(*server).size() == 0u, log_of(*server).joined());

      // Closing the server ends the waiting handshakes at the drain timeout, not theirs.
      running.stop();
      auto closing = Clock::now();
      server->server_close();
      double close_took = seconds_since(closing);
      std::size_t closed = 0;
      for (auto& holder : holders) closed += closed_within(holder->socket().native_handle(), Seconds(slack));
      BOOST_TEST_MESSAGE("server_close() took " << close_took << " s with 50 handshakes waiting");
      BOOST_TEST(close_took < 0.5 + slack);
      BOOST_TEST(closed == 50u);
      BOOST_TEST(seconds_since(closing) < 0.5 + slack);
    }
  }
}

// 6 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(set_tls_context_changes_the_certificate_for_new_connections_only) {
  // A renewed server certificate, signed by the same CA, for another name.
  test_support::TempDir folder;
  const std::string key = folder.file("renewed.key"), pem = folder.file("renewed.pem");
  std::string commands = "cd '" + folder.path() + "' && " +
                         "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out renewed.key && "
                         "openssl req -new -key renewed.key -subj /CN=renewed -out renewed.csr && "
                         "printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\\nextendedKeyUsage = serverAuth\\n' "
                         "> renewed.ext && "
                         "openssl x509 -req -in renewed.csr -CA '" + certs().ca + "' -CAkey '" + certs().dir +
                         "/ca.key' -set_serial 4242 -days 2 -extfile renewed.ext -out renewed.pem";
  BOOST_REQUIRE(std::system(("(" + commands + ") >/dev/null 2>&1").c_str()) == 0);
  auto renewed = [&] {
    TLSServerOptions options;
    options.certificate_chain = pem;
    options.private_key = key;
    options.alpn_protocols = {"h2"};
    return TLSContext::server(options);
  };
  auto offer = [] { return client_context(Identity::none, {"h2", "http/1.1"}); };

  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto server =
          make_server<Recording<TCPServer>>(config_for(mode, server_context(false, {"http/1.1"})), handler<InfoEcho>());
      ServerThread running(*server);
      const Address address = server->server_address();

      auto old_connection = std::make_unique<TLSClient>(address, offer());
      BOOST_TEST(old_connection->session().peer_common_name() == "localhost");
      BOOST_TEST(parse_info(old_connection->exchange("info\n"))["alpn"] == "http/1.1");

      stream(*server).set_tls_context(renewed());
      BOOST_TEST(stream(*server).tls_context()->alpn_protocols() == std::vector<std::string>{"h2"});

      auto check_old = [&] {
        BOOST_TEST(old_connection->exchange("still here\n") == "still here\n");
        BOOST_TEST(parse_info(old_connection->exchange("info\n"))["alpn"] == "http/1.1");
        BOOST_TEST(old_connection->session().peer_common_name() == "localhost");
      };
      if (mode == Mode::sync) {  // one connection at a time: the old one goes first
        check_old();
        old_connection.reset();
      }
      {
        TLSClient fresh(address, offer());
        BOOST_TEST(fresh.session().peer_common_name() == "renewed");
        BOOST_TEST(fresh.session().alpn_protocol() == "h2");
        BOOST_TEST(parse_info(fresh.exchange("info\n"))["alpn"] == "h2");
      }
      if (old_connection) check_old();
      old_connection.reset();

      // No context: plain again, for new connections.
      stream(*server).set_tls_context(nullptr);
      {
        Client plain(address);
        plain.send("info\n");
        BOOST_TEST(plain.readline() == "plain\n");
      }
      BOOST_TEST(log_of(*server).size() == 0u, log_of(*server).joined());
    }
  }
}

// 7 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_server_ends_the_stream_with_close_notify) {
  for (const ModeCase& mode : in_process_modes) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      BOOST_TEST_CONTEXT("mode " << mode << ", version " << std::hex << version) {
        auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<Bye>());
        ServerThread running(*server);
        TLSClient client(server->server_address(), client_context(Identity::none, {}, version));
        BOOST_TEST(client.rfile.readline() == "bye\n");
        // OpenSSL itself, past our reader: the next SSL_read ends with a clean close.
        SSL* ssl = client.session().native_handle();
        int error = SSL_ERROR_NONE;
        auto deadline = after(io_timeout);
        for (int round = 0; round < 1000 && Clock::now() < deadline; ++round) {
          char byte;
          ERR_clear_error();
          int result = SSL_read(ssl, &byte, 1);
          error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, result);
          if (error != SSL_ERROR_WANT_READ) break;
          pollfd entry{client.fd(), POLLIN, 0};
          ::poll(&entry, 1, milliseconds_until(deadline));
        }
        ERR_clear_error();
        BOOST_TEST(error == SSL_ERROR_ZERO_RETURN);
        BOOST_TEST(client.session().close_notify_received());
        BOOST_TEST(log_of(*server).size() == 0u, log_of(*server).joined());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_handler_tells_a_close_notify_from_a_bare_close) {
  for (const ModeCase& mode : in_process_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      auto observations = std::make_shared<Observations>();
      auto server = make_server<Recording<TCPServer>>(config_for(mode, server_context()), handler<Observe>(observations));
      ServerThread running(*server);
      const Address address = server->server_address();
      {  // a bare close: the end of the stream all the same, but no close_notify
        TLSClient client(address, client_context());
        client.wfile.write("cut short");
        client.shutdown_send();
        BOOST_TEST(eventually([&] { return observations->size() == 1u; }));
        BOOST_TEST(closed_within(client.fd(), io_timeout));
      }
      {  // close_notify, then the close
        TLSClient client(address, client_context());
        client.wfile.write("complete");
        client.close_notify();
        client.shutdown_send();
        BOOST_TEST(eventually([&] { return observations->size() == 2u; }));
        BOOST_TEST(client.rfile.read_all(1024) == "");
        BOOST_TEST(client.session().close_notify_received());  // the server's own, after the handler
      }
      BOOST_TEST_REQUIRE(observations->size() == 2u);
      BOOST_TEST(observations->at(0).first == "cut short");
      BOOST_TEST(observations->at(0).second == false);
      BOOST_TEST(observations->at(1).first == "complete");
      BOOST_TEST(observations->at(1).second == true);
      BOOST_TEST(log_of(*server).size() == 0u, log_of(*server).joined());
    }
  }
}

// 8 -------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(TLS_over_a_Unix_stream_socket) {
  test_support::TempDir folder;
  ServerConfig config = config_for(ModeCase(Mode::async, 2), server_context(true, {"http/1.1"}));
  config.address = Address::unix_socket(folder.file("tls.sock"));
  auto server = make_server<Recording<UnixStreamServer>>(config, handler<InfoEcho>());
  ServerThread running(*server);
  const std::string data = payload(1 << 20);
  for (int i = 0; i < 3; ++i) {
    TLSClient client(server->server_address(), client_context(Identity::alice, {"http/1.1"}));
    auto info = parse_info(client.exchange("info\n"));
    BOOST_TEST(info["cn"] == "alice");
    BOOST_TEST(info["alpn"] == "http/1.1");
    BOOST_TEST(info["version"] == "TLSv1.3");
    // Lines of 32 KiB (below the reader's line limit; hex, so no newline inside).
    for (std::size_t offset = 0; offset < data.size(); offset += 16 * 1024) {
      std::string line;
      for (unsigned char byte : std::string_view(data).substr(offset, 16 * 1024)) {
        static const char digits[] = "0123456789abcdef";
        line += digits[byte >> 4];
        line += digits[byte & 15];
      }
      line += '\n';
      BOOST_TEST_REQUIRE(client.exchange(line) == line);
    }
  }
  Attempt anonymous = attempt(server->server_address(), client_context());
  BOOST_TEST(!anonymous.served(), anonymous.reply);
  BOOST_TEST(log_of(*server).wait_for("dropped unix:"), log_of(*server).joined());
  BOOST_TEST(log_of(*server).size() == 1u, log_of(*server).joined());
}
