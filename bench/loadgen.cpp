// loadgen: a bounded, validating load generator for echo-style servers (bench/ only).
//
//   loadgen pingpong  --port P [-c 16] [-s 64]      C connections, request/reply in lock step
//   loadgen connrate  --port P [-c 8]  [-s 64]      connect, send, read the reply, close; repeat
//   loadgen connrate  --port P --read-until-close   ... send, half-close, read until the server closes
//   loadgen bulk      --port P [-c 1]  [-s 65536]   stream; --discard for a discard server
//   loadgen idle      --port P -c 1000 --pid PID    hold idle connections, report server RSS
//   loadgen udp       --port P [-c 16] [-s 64]      datagrams in lock step against a UDP echo
//
// Every workload is bounded in time (--warmup then --duration; connection setup and idle
// pings by --io-timeout), every echoed byte is compared with what was sent, and the result
// is printed as a small table followed by one JSON line. The exit status is 1 when any
// error (connection failure, wrong or missing bytes) occurred, 2 on a usage error.
//
// One thread, one io_context: pin it with taskset to keep it off the server's core.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/program_options.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// ---------------------------------------------------------------------------------------
// Latency histogram: log-linear buckets (64 per power of two, < 1.6% error), nanoseconds.
class Histogram {
public:
  void record(std::uint64_t ns) {
    ++counts_[index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }
  std::uint64_t total() const { return total_; }
  std::uint64_t max() const { return max_; }
  // The value at quantile q (0..1), in nanoseconds; 0 when empty.
  std::uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(value_of(i), max_);
    }
    return max_;
  }

private:
  static std::size_t index(std::uint64_t v) {
    if (v < 128) return v;
    int e = 63 - std::countl_zero(v);  // >= 7
    int shift = e - 6;
    return 128 + static_cast<std::size_t>(e - 7) * 64 + static_cast<std::size_t>((v >> shift) - 64);
  }
  static std::uint64_t value_of(std::size_t i) {
    if (i < 128) return i;
    std::size_t k = i - 128;
    int e = static_cast<int>(k / 64) + 7;
    std::uint64_t mantissa = k % 64 + 64;
    int shift = e - 6;
    return (mantissa << shift) + ((std::uint64_t{1} << shift) / 2);  // bucket midpoint
  }
  std::array<std::uint64_t, 128 + 57 * 64> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

std::uint64_t nanoseconds_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

// ---------------------------------------------------------------------------------------
// Options and results.
struct Options {
  std::string workload;
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::size_t connections = 0;  // 0: workload default
  std::size_t size = 0;         // 0: workload default
  double duration = 3;
  double warmup = 0.5;
  double io_timeout = 5;
  double udp_loss_timeout = 0.2;
  long pid = 0;
  bool read_until_close = false;
  bool discard = false;
  bool no_ping = false;
  std::string label;
};

struct Result {
  std::uint64_t ops = 0;        // completed requests / connections / datagrams
  std::uint64_t bytes = 0;      // payload bytes echoed back (or written, for --discard)
  std::uint64_t errors = 0;
  double seconds = 0;
  Histogram latency;
  std::vector<std::string> error_samples;
  std::map<std::string, double> extra;  // workload-specific numbers
  std::map<std::string, std::uint64_t> error_kinds;

  void error(const std::string& what) {
    ++errors;
    ++error_kinds[what];
    if (error_samples.size() < 5) error_samples.push_back(what);
  }
};

// The bytes every workload sends: a random block repeated with period kPeriod, so that
// any window [offset, offset + length) with offset < kPeriod is contiguous in memory.
constexpr std::size_t kPeriod = 65521;  // prime: never lines up with chunk sizes

std::vector<char> make_pattern(std::size_t longest_window) {
  std::vector<char> pattern(kPeriod + longest_window);
  std::mt19937 random(12345);
  for (std::size_t i = 0; i < kPeriod; ++i) pattern[i] = static_cast<char>(random() & 0xff);
  for (std::size_t i = kPeriod; i < pattern.size(); ++i) pattern[i] = pattern[i - kPeriod];
  return pattern;
}

// ---------------------------------------------------------------------------------------
// The common frame: a run of warmup + duration, after which every socket is closed.
class Run {
public:
  Run(const Options& options, asio::io_context& io)
      : options_(options), io_(io), phase_timer_(io) {}
  virtual ~Run() = default;

  Result& result() { return result_; }

  // Starts the measured window after the warmup, ends it after the duration; stop() then.
  void start_clock() {
    phase_timer_.expires_after(to_duration(options_.warmup));
    phase_timer_.async_wait([this](const error_code& error) {
      if (error) return;
      measuring_ = true;
      window_start_ = Clock::now();
      phase_timer_.expires_after(to_duration(options_.duration));
      phase_timer_.async_wait([this](const error_code& error2) {
        if (error2) return;
        measuring_ = false;
        result_.seconds = std::chrono::duration<double>(Clock::now() - window_start_).count();
        stop();
      });
    });
  }

  virtual void begin() = 0;

protected:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // Ends the run: no new operations; every socket closed so pending ones complete.
  virtual void stop() {
    stopping_ = true;
    phase_timer_.cancel();
    close_all();
  }
  virtual void close_all() = 0;

  // Records an error unless it is only the end of the run aborting an operation.
  void fail(const error_code& error, const char* where) {
    if (stopping_) return;
    result_.error(std::string(where) + ": " + error.message());
  }

  const Options& options_;
  asio::io_context& io_;
  asio::steady_timer phase_timer_;
  Result result_;
  bool measuring_ = false;
  bool stopping_ = false;
  Clock::time_point window_start_;
};

tcp::endpoint server_endpoint(const Options& options) {
  return {asio::ip::make_address(options.host), static_cast<unsigned short>(options.port)};
}

// Connects @p count sockets at once; calls @p done when all have connected or failed, or
// after io_timeout (the rest are then closed and counted as errors).
class Connector {
public:
  Connector(asio::io_context& io, tcp::endpoint endpoint, double timeout)
      : endpoint_(endpoint), timer_(io), timeout_(timeout) {}

  void connect(std::vector<tcp::socket*> sockets, std::function<void(std::size_t failed)> done) {
    sockets_ = std::move(sockets);
    done_ = std::move(done);
    pending_ = sockets_.size();
    if (pending_ == 0) return finish();
    timer_.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_)));
    timer_.async_wait([this](const error_code& error) {
      if (error) return;
      for (auto* socket : sockets_) {
        error_code ignored;
        if (!socket->is_open() || !connected(*socket)) socket->close(ignored);
      }
    });
    for (auto* socket : sockets_) {
      socket->async_connect(endpoint_, [this, socket](const error_code& error) {
        if (error) {
          ++failed_;
          error_code ignored;
          socket->close(ignored);  // callers skip closed sockets
        }
        if (--pending_ == 0) finish();
      });
    }
  }

private:
  static bool connected(tcp::socket& socket) {
    error_code error;
    socket.remote_endpoint(error);
    return !error;
  }
  void finish() {
    timer_.cancel();
    if (done_) done_(failed_);
  }

  tcp::endpoint endpoint_;
  asio::steady_timer timer_;
  double timeout_;
  std::vector<tcp::socket*> sockets_;
  std::function<void(std::size_t)> done_;
  std::size_t pending_ = 0;
  std::size_t failed_ = 0;
};

// ---------------------------------------------------------------------------------------
// pingpong: each connection sends S bytes and waits for all S back before the next.
class PingPong : public Run {
public:
  PingPong(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(options.size)), connector_(io, server_endpoint(options), options.io_timeout) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto conn = std::make_unique<Conn>(io);
      conn->id = i;
      conn->reply.resize(options.size);
      conns_.push_back(std::move(conn));
    }
  }

  void begin() override {
    std::vector<tcp::socket*> sockets;
    for (auto& conn : conns_) sockets.push_back(&conn->socket);
    connector_.connect(sockets, [this](std::size_t failed) {
      for (std::size_t i = 0; i < failed; ++i) result_.error("connect failed");
      for (auto& conn : conns_) {
        if (!conn->socket.is_open()) {
          conn->failed = true;
          continue;
        }
        error_code error;
        conn->socket.set_option(tcp::no_delay(true), error);
        if (!error) conn->socket.non_blocking(true, error);
        if (error) {
          conn->failed = true;
          continue;
        }
        issue(*conn);
      }
      start_clock();
    });
  }

  void stop() override {
    Run::stop();
    std::uint64_t stalled = 0;
    for (auto& conn : conns_)
      if (conn->measured_ops == 0) ++stalled;
    result_.extra["stalled_connections"] = static_cast<double>(stalled);
  }

private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::vector<char> reply;
    std::size_t id = 0;
    std::uint64_t seq = 0;
    std::size_t offset = 0;
    std::size_t received = 0;
    int pending = 0;
    bool failed = false;
    Clock::time_point sent_at;
    std::uint64_t measured_ops = 0;
  };

  void close_all() override {
    for (auto& conn : conns_) {
      error_code ignored;
      conn->socket.close(ignored);
    }
  }

  void conn_failed(Conn& conn, const error_code& error, const char* where) {
    if (conn.failed || stopping_) return;
    conn.failed = true;
    fail(error, where);
    error_code ignored;
    conn.socket.close(ignored);
  }

  // Write and read at once, so that a reply larger than the socket buffers cannot deadlock.
  void issue(Conn& conn) {
    if (stopping_ || conn.failed) return;
    conn.offset = (conn.seq++ * 7919 + conn.id * 104729) % kPeriod;
    conn.pending = 2;
    conn.sent_at = Clock::now();
    Conn* c = &conn;
    asio::async_write(conn.socket, asio::buffer(pattern_.data() + conn.offset, options_.size),
                      [this, c](const error_code& error, std::size_t) {
                        if (error) return conn_failed(*c, error, "write");
                        if (--c->pending == 0) complete(*c);
                      });
    conn.received = 0;
    await_reply(conn);
  }

  // Waits for readability, then reads what is there without blocking, until the whole
  // reply is in (about three system calls per request, as many as the servers spend).
  void await_reply(Conn& conn) {
    Conn* c = &conn;
    conn.socket.async_wait(tcp::socket::wait_read, [this, c](const error_code& error) {
      if (error) return conn_failed(*c, error, "read");
      while (c->received < c->reply.size()) {
        error_code read_error;
        std::size_t n = c->socket.read_some(
            asio::buffer(c->reply.data() + c->received, c->reply.size() - c->received), read_error);
        if (read_error == asio::error::would_block || read_error == asio::error::try_again)
          return await_reply(*c);
        if (read_error) return conn_failed(*c, read_error, "read");
        c->received += n;
      }
      if (std::memcmp(c->reply.data(), pattern_.data() + c->offset, c->reply.size()) != 0) {
        if (!c->failed && !stopping_) result_.error("echoed bytes differ");
        c->failed = true;
        error_code ignored;
        c->socket.close(ignored);
        return;
      }
      if (--c->pending == 0) complete(*c);
    });
  }

  void complete(Conn& conn) {
    if (measuring_) {
      result_.latency.record(nanoseconds_since(conn.sent_at));
      ++result_.ops;
      result_.bytes += options_.size;
      ++conn.measured_ops;
    }
    issue(conn);
  }

  std::vector<char> pattern_;
  Connector connector_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// ---------------------------------------------------------------------------------------
// connrate: C workers, each looping connect -> send S -> read reply -> close.
class ConnRate : public Run {
public:
  ConnRate(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(std::max<std::size_t>(options.size, 1))), endpoint_(server_endpoint(options)) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto worker = std::make_unique<Worker>(io);
      worker->id = i;
      // Until close: room for the whole reply plus one byte, to notice a longer one.
      worker->reply.resize(options.read_until_close ? std::max<std::size_t>(options.size, 64 * 1024) + 1
                                                    : options.size);
      workers_.push_back(std::move(worker));
    }
  }

  void begin() override {
    start_clock();
    for (auto& worker : workers_) cycle(*worker);
  }

private:
  struct Worker {
    explicit Worker(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::vector<char> reply;
    std::size_t id = 0;
    std::uint64_t seq = 0;
    std::size_t offset = 0;
    int pending = 0;
    bool failed = false;
    Clock::time_point started_at;
  };

  void close_all() override {
    for (auto& worker : workers_) {
      error_code ignored;
      worker->socket.close(ignored);
    }
  }

  void worker_failed(Worker& worker, const std::string& what) {
    if (worker.failed || stopping_) return;
    worker.failed = true;
    result_.error(what);
    error_code ignored;
    worker.socket.close(ignored);
    // Carry on with a new connection after a short pause, so a refused server does not spin.
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(10));
    Worker* w = &worker;
    timer->async_wait([this, w, timer](const error_code&) { cycle(*w); });
  }

  void cycle(Worker& worker) {
    if (stopping_) return;
    error_code ignored;
    worker.socket.close(ignored);
    worker.failed = false;
    worker.offset = (worker.seq++ * 7919 + worker.id * 104729) % kPeriod;
    worker.started_at = Clock::now();
    Worker* w = &worker;
    worker.socket.async_connect(endpoint_, [this, w](const error_code& error) {
      if (error) return worker_failed(*w, "connect: " + error.message());
      if (options_.read_until_close) return send_then_half_close(*w);
      w->pending = options_.size > 0 ? 2 : 1;
      if (options_.size > 0)
        asio::async_write(w->socket, asio::buffer(pattern_.data() + w->offset, options_.size),
                          [this, w](const error_code& e, std::size_t) {
                            if (e) return worker_failed(*w, "write: " + e.message());
                            if (--w->pending == 0) done(*w);
                          });
      asio::async_read(w->socket, asio::buffer(w->reply), [this, w](const error_code& e, std::size_t) {
        if (e) return worker_failed(*w, "read: " + e.message());
        if (std::memcmp(w->reply.data(), pattern_.data() + w->offset, w->reply.size()) != 0)
          return worker_failed(*w, "echoed bytes differ");
        if (--w->pending == 0) done(*w);
      });
    });
  }

  // For servers that close when they are done (daytime) or when the client has (echo).
  void send_then_half_close(Worker& worker) {
    Worker* w = &worker;
    auto read_to_end = [this, w] {
      error_code ignored;
      w->socket.shutdown(tcp::socket::shutdown_send, ignored);
      asio::async_read(w->socket, asio::buffer(w->reply), [this, w](const error_code& e, std::size_t n) {
        if (!e) return worker_failed(*w, "reply longer than expected");
        if (e != asio::error::eof) return worker_failed(*w, "read: " + e.message());
        if (options_.size > 0 &&
            (n != options_.size || std::memcmp(w->reply.data(), pattern_.data() + w->offset, n) != 0))
          return worker_failed(*w, "echoed bytes differ");
        if (options_.size == 0 && n == 0) return worker_failed(*w, "empty reply");
        done(*w);
      });
    };
    if (options_.size == 0) return read_to_end();
    asio::async_write(w->socket, asio::buffer(pattern_.data() + w->offset, options_.size),
                      [this, w, read_to_end](const error_code& e, std::size_t) {
                        if (e) return worker_failed(*w, "write: " + e.message());
                        read_to_end();
                      });
  }

  void done(Worker& worker) {
    error_code ignored;
    worker.socket.close(ignored);
    if (measuring_) {
      result_.latency.record(nanoseconds_since(worker.started_at));
      ++result_.ops;
      result_.bytes += options_.size;
    }
    cycle(worker);
  }

  std::vector<char> pattern_;
  tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// ---------------------------------------------------------------------------------------
// bulk: stream S-byte chunks; read the echo back and check it, or (--discard) only write.
class Bulk : public Run {
public:
  static constexpr std::size_t kReadBuffer = 64 * 1024;
  static constexpr std::uint64_t kWindow = 4 * 1024 * 1024;  // most bytes in flight per connection

  Bulk(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(std::max(options.size, kReadBuffer))),
        connector_(io, server_endpoint(options), options.io_timeout) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto conn = std::make_unique<Conn>(io);
      conn->buffer.resize(kReadBuffer);
      conn->written = conn->received = (i * 104729) % kPeriod;  // stream offsets
      conns_.push_back(std::move(conn));
    }
  }

  void begin() override {
    std::vector<tcp::socket*> sockets;
    for (auto& conn : conns_) sockets.push_back(&conn->socket);
    connector_.connect(sockets, [this](std::size_t failed) {
      for (std::size_t i = 0; i < failed; ++i) result_.error("connect failed");
      for (auto& conn : conns_) {
        if (!conn->socket.is_open()) continue;
        write_more(*conn);
        if (!options_.discard) read_more(*conn);
      }
      start_clock();
    });
  }

private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::vector<char> buffer;
    std::uint64_t written = 0;
    std::uint64_t received = 0;
    bool writing = false;
    bool failed = false;
  };

  void close_all() override {
    for (auto& conn : conns_) {
      error_code ignored;
      conn->socket.close(ignored);
    }
  }

  void conn_failed(Conn& conn, const std::string& what) {
    if (conn.failed || stopping_) return;
    conn.failed = true;
    result_.error(what);
    error_code ignored;
    conn.socket.close(ignored);
  }

  void write_more(Conn& conn) {
    if (stopping_ || conn.failed || conn.writing) return;
    if (!options_.discard && conn.written - conn.received >= kWindow) return;  // read_more resumes
    conn.writing = true;
    Conn* c = &conn;
    asio::async_write(conn.socket, asio::buffer(pattern_.data() + conn.written % kPeriod, options_.size),
                      [this, c](const error_code& error, std::size_t n) {
                        c->writing = false;
                        if (error) return conn_failed(*c, "write: " + error.message());
                        c->written += n;
                        if (options_.discard && measuring_) {
                          result_.bytes += n;
                          ++result_.ops;
                        }
                        write_more(*c);
                      });
  }

  void read_more(Conn& conn) {
    if (stopping_ || conn.failed) return;
    Conn* c = &conn;
    conn.socket.async_read_some(asio::buffer(conn.buffer), [this, c](const error_code& error, std::size_t n) {
      if (error) return conn_failed(*c, "read: " + error.message());
      if (c->received + n > c->written) return conn_failed(*c, "more bytes echoed than sent");
      if (std::memcmp(c->buffer.data(), pattern_.data() + c->received % kPeriod, n) != 0)
        return conn_failed(*c, "echoed bytes differ");
      c->received += n;
      if (measuring_) {
        result_.bytes += n;
        ++result_.ops;
      }
      write_more(*c);
      read_more(*c);
    });
  }

  std::vector<char> pattern_;
  Connector connector_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// ---------------------------------------------------------------------------------------
// Memory of a process and its descendants, from /proc.
struct Memory {
  double rss_kib = 0;  // sum of VmRSS
  double pss_kib = 0;  // sum of Pss (shares pages fairly between forked processes)
  std::size_t processes = 0;
};

double proc_field_kib(const std::string& path, const std::string& field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + field.size(), nullptr);
  return 0;
}

long parent_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  long ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

Memory memory_of_tree(long root) {
  std::map<long, std::vector<long>> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    long pid = std::stol(name);
    children[parent_of(pid)].push_back(pid);
  }
  Memory memory;
  std::vector<long> todo{root};
  while (!todo.empty()) {
    long pid = todo.back();
    todo.pop_back();
    std::string base = "/proc/" + std::to_string(pid);
    memory.rss_kib += proc_field_kib(base + "/status", "VmRSS:");
    memory.pss_kib += proc_field_kib(base + "/smaps_rollup", "Pss:");
    ++memory.processes;
    for (long child : children[pid]) todo.push_back(child);
  }
  return memory;
}

// idle: hold C connections (each pinged once, so the server has surely taken it), then
// measure the server's memory growth per connection.
class Idle : public Run {
public:
  Idle(const Options& options, asio::io_context& io)
      : Run(options, io), connector_(io, server_endpoint(options), options.io_timeout), ping_timer_(io) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto conn = std::make_unique<Conn>(io);
      conn->byte = static_cast<char>('A' + i % 26);
      conns_.push_back(std::move(conn));
    }
  }

  void begin() override {
    if (options_.pid > 0) before_ = memory_of_tree(options_.pid);
    start_ = Clock::now();
    std::vector<tcp::socket*> sockets;
    for (auto& conn : conns_) sockets.push_back(&conn->socket);
    connector_.connect(sockets, [this](std::size_t failed) {
      for (std::size_t i = 0; i < failed; ++i) result_.error("connect failed");
      result_.extra["connect_seconds"] = std::chrono::duration<double>(Clock::now() - start_).count();
      if (options_.no_ping) return settle();
      for (auto& conn : conns_)
        if (conn->socket.is_open()) ping(*conn);
      if (pings_pending_ == 0) return settle();
      ping_timer_.expires_after(to_duration(options_.io_timeout));
      ping_timer_.async_wait([this](const error_code& error) {
        if (error) return;
        result_.extra["unanswered_pings"] = static_cast<double>(pings_pending_);
        settle();
      });
    });
  }

private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    char byte = 0;
    char reply = 0;
  };

  void ping(Conn& conn) {
    ++pings_pending_;
    Conn* c = &conn;
    asio::async_write(conn.socket, asio::buffer(&conn.byte, 1), [this](const error_code& error, std::size_t) {
      if (error) fail(error, "ping write");
    });
    asio::async_read(conn.socket, asio::buffer(&conn.reply, 1), [this, c](const error_code& error, std::size_t) {
      if (settled_) return;
      if (error) fail(error, "ping read");
      else if (c->reply != c->byte) result_.error("echoed bytes differ");
      else ++result_.ops;
      if (--pings_pending_ == 0) settle();
    });
  }

  // Lets the server settle for the duration, then measures and ends.
  void settle() {
    if (settled_) return;
    settled_ = true;
    ping_timer_.cancel();
    result_.extra["setup_seconds"] = std::chrono::duration<double>(Clock::now() - start_).count();
    phase_timer_.expires_after(to_duration(options_.duration));
    phase_timer_.async_wait([this](const error_code& error) {
      if (error) return;
      std::size_t open = 0;
      for (auto& conn : conns_) open += conn->socket.is_open() ? 1 : 0;
      result_.extra["connections_open"] = static_cast<double>(open);
      if (options_.pid > 0) {
        Memory after = memory_of_tree(options_.pid);
        double n = static_cast<double>(std::max<std::size_t>(open, 1));
        result_.extra["rss_before_kib"] = before_.rss_kib;
        result_.extra["rss_after_kib"] = after.rss_kib;
        result_.extra["rss_per_conn_kib"] = (after.rss_kib - before_.rss_kib) / n;
        result_.extra["pss_per_conn_kib"] = (after.pss_kib - before_.pss_kib) / n;
        result_.extra["server_processes"] = static_cast<double>(after.processes);
      }
      result_.seconds = options_.duration;
      stop();
    });
  }

  void close_all() override {
    ping_timer_.cancel();
    for (auto& conn : conns_) {
      error_code ignored;
      conn->socket.close(ignored);
    }
  }

  Connector connector_;
  asio::steady_timer ping_timer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::size_t pings_pending_ = 0;
  bool settled_ = false;
  Memory before_;
  Clock::time_point start_;
};

// ---------------------------------------------------------------------------------------
// udp: C sockets, each sends a datagram and waits for its echo (or a loss timeout).
class Udp : public Run {
public:
  Udp(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(options.size)),
        endpoint_(asio::ip::make_address(options.host), static_cast<unsigned short>(options.port)) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto conn = std::make_unique<Conn>(io);
      conn->id = i;
      conn->sent.resize(options.size);
      conn->reply.resize(options.size + 1);  // one more, to notice a longer datagram
      conns_.push_back(std::move(conn));
    }
  }

  void begin() override {
    for (auto& conn : conns_) {
      error_code error;
      conn->socket.open(udp::v4(), error);
      if (!error) conn->socket.connect(endpoint_, error);
      if (error) {
        fail(error, "udp connect");
        continue;
      }
      receive(*conn);
      send(*conn);
    }
    start_clock();
  }

private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io), timer(io) {}
    udp::socket socket;
    asio::steady_timer timer;
    std::vector<char> sent;
    std::vector<char> reply;
    std::size_t id = 0;
    std::uint64_t seq = 0;
    Clock::time_point sent_at;
  };

  void close_all() override {
    for (auto& conn : conns_) {
      error_code ignored;
      conn->timer.cancel();
      conn->socket.close(ignored);
    }
  }

  void send(Conn& conn) {
    if (stopping_) return;
    ++conn.seq;
    std::size_t offset = (conn.seq * 7919 + conn.id * 104729) % kPeriod;
    std::memcpy(conn.sent.data(), pattern_.data() + offset, conn.sent.size());
    std::memcpy(conn.sent.data(), &conn.seq, std::min(sizeof conn.seq, conn.sent.size()));
    conn.sent_at = Clock::now();
    Conn* c = &conn;
    conn.socket.async_send(asio::buffer(conn.sent), [this](const error_code& error, std::size_t) {
      if (error) fail(error, "send");
    });
    std::uint64_t seq = conn.seq;
    conn.timer.expires_after(to_duration(options_.udp_loss_timeout));
    conn.timer.async_wait([this, c, seq](const error_code& error) {
      if (error || stopping_ || c->seq != seq) return;
      if (measuring_) result_.extra["lost"] += 1;
      send(*c);
    });
  }

  void receive(Conn& conn) {
    if (stopping_) return;
    Conn* c = &conn;
    conn.socket.async_receive(asio::buffer(conn.reply), [this, c](const error_code& error, std::size_t n) {
      if (stopping_) return;
      if (error) {
        fail(error, "receive");
        if (error == asio::error::operation_aborted) return;
      } else if (n == c->sent.size() && std::memcmp(c->reply.data(), c->sent.data(), n) == 0) {
        if (measuring_) {
          result_.latency.record(nanoseconds_since(c->sent_at));
          ++result_.ops;
          result_.bytes += n;
        }
        c->timer.cancel();
        receive(*c);
        send(*c);
        return;
      } else {
        std::uint64_t seq = 0;
        std::memcpy(&seq, c->reply.data(), std::min(sizeof seq, n));
        if (n == c->sent.size() && seq < c->seq) {
          if (measuring_) result_.extra["late"] += 1;  // the echo of a datagram counted lost
        } else {
          result_.error("echoed datagram differs");
        }
      }
      receive(*c);
    });
  }

  std::vector<char> pattern_;
  udp::endpoint endpoint_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// ---------------------------------------------------------------------------------------
// Output.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

void report(const Options& options, Result& result) {
  const double seconds = result.seconds > 0 ? result.seconds : 1;
  const double rate = static_cast<double>(result.ops) / seconds;
  const double mbps = static_cast<double>(result.bytes) / seconds / 1e6;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const bool timed = result.latency.total() > 0;
  const char* unit = options.workload == "connrate" ? "connections/s"
                     : options.workload == "udp"    ? "datagrams/s"
                     : options.workload == "bulk"   ? "chunks/s"
                                                    : "requests/s";

  std::cout << std::fixed << std::setprecision(1);
  std::cout << "loadgen " << options.workload << "  " << options.host << ':' << options.port
            << "  connections=" << options.connections << " size=" << options.size
            << (options.read_until_close ? " read-until-close" : "") << (options.discard ? " discard" : "")
            << (options.label.empty() ? "" : "  [" + options.label + "]") << '\n';
  std::cout << "  " << std::left << std::setw(22) << "measured seconds" << std::setprecision(3) << seconds
            << std::setprecision(1) << '\n';
  if (options.workload != "idle") {
    std::cout << "  " << std::setw(22) << unit << rate << '\n';
    std::cout << "  " << std::setw(22) << "MB/s" << std::setprecision(2) << mbps << std::setprecision(1) << '\n';
  }
  if (timed) {
    std::cout << "  " << std::setw(22) << "latency p50/p99/p999" << us(result.latency.quantile(0.5)) << " / "
              << us(result.latency.quantile(0.99)) << " / " << us(result.latency.quantile(0.999))
              << " us (max " << us(result.latency.max()) << ")\n";
  }
  for (const auto& [name, value] : result.extra)
    std::cout << "  " << std::setw(22) << name << value << '\n';
  std::cout << "  " << std::setw(22) << "errors" << result.errors << '\n';
  for (const auto& [kind, count] : result.error_kinds) std::cout << "    " << count << " x " << kind << '\n';

  std::ostringstream json;
  json << std::setprecision(6) << "{\"workload\":" << json_string(options.workload)
       << ",\"label\":" << json_string(options.label) << ",\"host\":" << json_string(options.host)
       << ",\"port\":" << options.port << ",\"connections\":" << options.connections
       << ",\"size\":" << options.size << ",\"read_until_close\":" << (options.read_until_close ? "true" : "false")
       << ",\"discard\":" << (options.discard ? "true" : "false") << ",\"seconds\":" << seconds
       << ",\"ops\":" << result.ops << ",\"rate\":" << rate << ",\"bytes\":" << result.bytes
       << ",\"mbps\":" << mbps << ",\"p50_us\":" << us(result.latency.quantile(0.5))
       << ",\"p99_us\":" << us(result.latency.quantile(0.99))
       << ",\"p999_us\":" << us(result.latency.quantile(0.999)) << ",\"max_us\":" << us(result.latency.max())
       << ",\"errors\":" << result.errors;
  for (const auto& [name, value] : result.extra) json << ",\"" << name << "\":" << value;
  json << ",\"error_samples\":[";
  for (std::size_t i = 0; i < result.error_samples.size(); ++i)
    json << (i ? "," : "") << json_string(result.error_samples[i]);
  json << "]}";
  std::cout << json.str() << std::endl;
}

void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "loadgen: " << message << " (try --help)\n";
  std::exit(2);
}

Options parse(int argc, char* argv[]) {
  namespace po = boost::program_options;
  Options o;
  po::options_description visible("loadgen WORKLOAD [options]   (pingpong | connrate | bulk | idle | udp)");
  visible.add_options()
      ("help", "show this help")
      ("host", po::value(&o.host)->default_value(o.host), "server address (numeric)")
      ("port", po::value(&o.port)->required(), "server port")
      ("connections,c", po::value(&o.connections), "connections / workers / sockets (default 16; connrate 8; bulk 1; idle 1000)")
      ("size,s", po::value(&o.size), "bytes per request, or per chunk for bulk (default 64; bulk 65536)")
      ("duration,d", po::value(&o.duration)->default_value(o.duration), "measured seconds (idle: settle time)")
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds run before measuring")
      ("io-timeout", po::value(&o.io_timeout)->default_value(o.io_timeout), "limit for connecting (and idle pings)")
      ("loss-timeout", po::value(&o.udp_loss_timeout)->default_value(o.udp_loss_timeout), "udp: seconds before a datagram counts as lost")
      ("pid", po::value(&o.pid), "idle: the server's pid (its children are counted too)")
      ("read-until-close", po::bool_switch(&o.read_until_close), "connrate: half-close after sending, read until the server closes")
      ("discard", po::bool_switch(&o.discard), "bulk: only write (for a discard server)")
      ("no-ping", po::bool_switch(&o.no_ping), "idle: do not send the one-byte ping on each connection")
      ("label", po::value(&o.label), "free text copied into the output");
  po::options_description all;
  all.add(visible).add_options()("workload", po::value(&o.workload));
  po::positional_options_description positional;
  positional.add("workload", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
    if (values.count("help")) {
      std::cout << visible << '\n';
      std::exit(0);
    }
    po::notify(values);
  } catch (const po::error& e) {
    usage_error(e.what());
  }
  static const std::map<std::string, std::pair<std::size_t, std::size_t>> defaults{
      {"pingpong", {16, 64}}, {"connrate", {8, 64}}, {"bulk", {1, 65536}}, {"idle", {1000, 1}}, {"udp", {16, 64}}};
  auto found = defaults.find(o.workload);
  if (found == defaults.end()) usage_error("unknown or missing workload '" + o.workload + "'");
  if (!values.count("connections")) o.connections = found->second.first;
  if (!values.count("size")) o.size = found->second.second;
  if (o.connections == 0 || o.connections > 100000) usage_error("--connections must be 1..100000");
  if (o.size > 16 * 1024 * 1024) usage_error("--size must be at most 16 MiB");
  if (o.size == 0 && o.workload != "connrate") usage_error("--size must be positive");
  if (o.size == 0 && !o.read_until_close) usage_error("--size 0 needs --read-until-close");
  if (o.workload == "udp" && (o.size < 8 || o.size > 65507)) usage_error("udp: --size must be 8..65507");
  if (o.duration <= 0 || o.duration > 600 || o.warmup < 0 || o.warmup > 600) usage_error("--duration/--warmup out of range");
  if (o.port == 0 || o.port > 65535) usage_error("--port must be 1..65535");
  try {
    auto address = asio::ip::make_address(o.host);
    if (!address.is_loopback()) usage_error("--host must be a loopback address");
  } catch (const std::exception&) {
    usage_error("--host must be a numeric address");
  }
  return o;
}

} // namespace

int main(int argc, char* argv[]) {
  Options options = parse(argc, argv);
  raise_descriptor_limit();
  try {
    asio::io_context io(1);
    std::unique_ptr<Run> run;
    if (options.workload == "pingpong") run = std::make_unique<PingPong>(options, io);
    else if (options.workload == "connrate") run = std::make_unique<ConnRate>(options, io);
    else if (options.workload == "bulk") run = std::make_unique<Bulk>(options, io);
    else if (options.workload == "idle") run = std::make_unique<Idle>(options, io);
    else run = std::make_unique<Udp>(options, io);
    run->begin();
    io.run();
    report(options, run->result());
    return run->result().errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << '\n';
    return 1;
  }
}
