// Shared pieces of the concurrency suites (issue 3): a scripted handler that can echo,
// report its pid, hold until released, throw or abort; counters in memory shared with
// forked children; and one client interface over the four transports.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace concurrency {

using socketserver::Address;
using socketserver::Mode;
using socketserver::Seconds;
using test_support::ModeCase;
using test_support::TempDir;

/// True in a ThreadSanitizer build.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool under_tsan = true;
#else
inline constexpr bool under_tsan = false;
#endif

/// True in an AddressSanitizer build.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_asan = true;
#else
inline constexpr bool under_asan = false;
#endif

/// Whether a test may fork from this multi-threaded test process. Under GCC 12's ASan and
/// TSan runtimes it may not: a child forked while another thread holds a runtime lock can
/// hang (seen in CI: a child still alive at the drain deadline). So the in-process forking
/// cases run in the normal build only; under ASan, forking mode is still exercised by the
/// suites that fork from the real, single-threaded example servers (hardening, examples).
inline constexpr bool can_fork_in_process = !under_asan && !under_tsan;

/// The four transports of issue 3.
enum class Transport { tcp, udp, unix_stream, unix_datagram };

inline constexpr Transport all_transports[] = {Transport::tcp, Transport::udp, Transport::unix_stream,
                                               Transport::unix_datagram};
inline constexpr Transport stream_transports[] = {Transport::tcp, Transport::unix_stream};

const char* to_string(Transport transport);
inline bool is_datagram(Transport t) { return t == Transport::udp || t == Transport::unix_datagram; }
inline bool is_unix(Transport t) { return t == Transport::unix_stream || t == Transport::unix_datagram; }

/// What the handlers report, in memory shared with forked children (MAP_SHARED), so the
/// same numbers are right in every mode.
struct Gauge {
  std::atomic<int> active{0};   ///< handlers running now
  std::atomic<int> peak{0};     ///< most handlers ever running at once
  std::atomic<int> started{0};  ///< handlers begun
  std::atomic<int> held{0};     ///< handlers inside a "hold" now

  void enter();
  void leave();
};
static_assert(std::atomic<int>::is_always_lock_free, "the gauge must work across processes");

/// A Gauge in an anonymous shared mapping; children forked later see the same counters.
class SharedGauge {
public:
  SharedGauge();
  ~SharedGauge();
  SharedGauge(const SharedGauge&) = delete;
  SharedGauge& operator=(const SharedGauge&) = delete;
  Gauge* get() const { return gauge_; }
  Gauge* operator->() const { return gauge_; }

private:
  Gauge* gauge_;
};

/// The scripted handlers. One request line (stream) or datagram each:
///   `pid`        -> `pid <getpid()>`
///   `hold NAME`  -> `started NAME <pid> <port>` at once, then waits for `go` (the next line
///                   on a stream; a datagram to <port> for datagrams), then `done NAME`
///   `throw`      -> the handler throws
///   `abort`      -> the handler calls std::abort() (no core file)
///   anything     -> `ok ` + the same text
/// A stream handler serves lines until end of stream. A held datagram handler blocks its
/// thread until `go`, unless @p yield_while_held: then it waits in socketserver::sleep_for()
/// steps (async mode, where a blocked thread would hold every datagram of loop 0).
socketserver::HandlerFactory scripted_handler(Transport transport, Gauge* gauge, bool yield_while_held = false);

/// A server config for @p mode (with its async threads) and @p transport (a socket file in
/// @p dir for Unix transports), with a 10 s request_timeout so nothing can hang for ever.
socketserver::ServerConfig config_for(const ModeCase& mode, Transport transport, const TempDir& dir);

/// make_server() with the scripted handler (yielding while held in async mode).
std::unique_ptr<socketserver::BaseServer> make_scripted_server(const socketserver::ServerConfig& config,
                                                               Transport transport, Gauge* gauge);

/// What a handler says when a hold starts.
struct Started {
  std::string name;
  pid_t pid = 0;
  std::uint16_t port = 0;  ///< datagram handlers: where to send `go`
};

/// One client of the scripted handler over any transport, with deadlines everywhere.
class Peer {
public:
  /// Connects (stream) or opens a socket (datagram; bound to a file in @p dir for Unix).
  static std::unique_ptr<Peer> open(Transport transport, const Address& server, const TempDir& dir,
                                    const std::string& name);
  virtual ~Peer() = default;

  /// Sends one request and returns its reply, without the line end.
  virtual std::string request(const std::string& text) = 0;
  /// Sends `hold NAME` (the name given to open()).
  virtual void start_hold() = 0;
  /// Waits for `started NAME PID PORT`; throws after @p timeout.
  virtual Started wait_started(Seconds timeout = test_support::io_timeout) = 0;
  /// Lets the held handler go on.
  virtual void release() = 0;
  /// Waits for `done NAME`; returns the line.
  virtual std::string wait_done(Seconds timeout = test_support::io_timeout) = 0;
  /// Sends a request to which no reply is expected (`throw`, `abort`).
  virtual void send_only(const std::string& text) = 0;
  /// Stream: half-closes and waits for the server's end of stream (true if it came, with no
  /// extra bytes). Datagram: nothing to do, true.
  virtual bool finish() = 0;

  /// The client socket's descriptor (to wait for several peers at once).
  virtual int fd() = 0;

  const std::string& name() const { return name_; }

protected:
  explicit Peer(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::optional<Started> started_;
};

/// Waits until one of @p peers (which have sent `hold`) gets its `started`, reads it and
/// returns that peer; throws after @p timeout. For servers that may start held requests in
/// another order than they were sent.
Peer* wait_any_started(const std::vector<Peer*>& peers, Seconds timeout = test_support::io_timeout);

/// Runs @p body(i) for i in [0, count) on @p count threads that start together; rethrows
/// the first exception. Returns the wall time from the start signal to the last thread.
std::chrono::milliseconds run_together(int count, const std::function<void(int)>& body);

/// A payload of varying length (up to @p max_extra bytes past its unique prefix) unique to
/// (client, round).
std::string payload(int client, int round, std::size_t max_extra = 3000);

/// payload() sized for @p transport. Datagrams stay under 1 KiB: a server that is not
/// reading for a while (all workers or children busy) leaves them in its socket's receive
/// buffer, and UDP drops what does not fit there (50 datagrams of 3 KB do not).
std::string payload_for(Transport transport, int client, int round);

/// Milliseconds since @p start.
inline long long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace concurrency
