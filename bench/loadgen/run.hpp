// loadgen's shared parts: options, results and their latency histogram, the measured
// window every workload runs in (Run), and the connector the TCP workloads share.
#pragma once

#include <sys/resource.h>
#include <sys/time.h>
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
#include <future>
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

#include "proc.hpp"

namespace loadgen {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

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

inline std::uint64_t nanoseconds_since(Clock::time_point start) {
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
  bool tls = false;     // pingpong and connrate: TLS 1.3 over each connection (tls_client.hpp)
  std::string tls_ca;   // the CA certificates that verify the server's
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

inline std::vector<char> make_pattern(std::size_t longest_window) {
  std::vector<char> pattern(kPeriod + longest_window);
  std::mt19937 random(12345);
  for (std::size_t i = 0; i < kPeriod; ++i) pattern[i] = static_cast<char>(random() & 0xff);
  for (std::size_t i = kPeriod; i < pattern.size(); ++i) pattern[i] = pattern[i - kPeriod];
  return pattern;
}

inline tcp::endpoint server_endpoint(const Options& options) {
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
// The common frame: a run of warmup + duration, after which every socket is closed.
class Run {
public:
  Run(const Options& options, asio::io_context& io)
      : options_(options), io_(io), phase_timer_(io) {}
  virtual ~Run() = default;

  Result& result() { return result_; }

  // Starts the measured window after the warmup, ends it after the duration; stop() then.
  // With --pid, the server's CPU time is read as the window opens and as it closes, each
  // time on a thread of its own while the load goes on (at 1,000 forked children a reading
  // takes tens of milliseconds, and pausing the load meanwhile would let the server idle or
  // drain its backlog inside the reading): server_cpu_us_per_op is the CPU time between
  // the two readings over the operations of the window.
  void start_clock() {
    phase_timer_.expires_after(to_duration(options_.warmup));
    phase_timer_.async_wait([this](const error_code& error) {
      if (error) return;
      if (options_.pid > 0) cpu_at_start_ = read_server_cpu();
      measuring_ = true;
      window_start_ = Clock::now();
      own_cpu_at_start_ = own_cpu_seconds();
      phase_timer_.expires_after(to_duration(options_.duration));
      phase_timer_.async_wait([this](const error_code& error2) {
        if (error2) return;
        measuring_ = false;
        result_.seconds = std::chrono::duration<double>(Clock::now() - window_start_).count();
        // How busy loadgen itself was: near 1, and the server not, and loadgen is the limit.
        const double own = own_cpu_seconds() - own_cpu_at_start_;
        result_.extra["loadgen_cpu_seconds"] = own;
        result_.extra["loadgen_busy"] = result_.seconds > 0 ? own / result_.seconds : 0.0;
        if (options_.pid <= 0) return stop();
        cpu_at_end_ = read_server_cpu();
        await_cpu_readings();
      });
    });
  }
  virtual void begin() = 0;

protected:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // CPU seconds (user + system) of loadgen's own I/O thread (not of the threads that read
  // the server's CPU time).
  static double own_cpu_seconds() {
    rusage usage{};
    if (::getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  std::future<double> read_server_cpu() {
    return std::async(std::launch::async, [pid = options_.pid] { return cpu_seconds_of_tree(pid); });
  }

  // Keeps the load going until both CPU readings are in; then records them and stops.
  void await_cpu_readings() {
    using namespace std::chrono_literals;
    if (cpu_at_start_.wait_for(0s) != std::future_status::ready || cpu_at_end_.wait_for(0s) != std::future_status::ready) {
      phase_timer_.expires_after(1ms);
      phase_timer_.async_wait([this](const error_code& error) {
        if (!error) await_cpu_readings();
      });
      return;
    }
    const double cpu = cpu_at_end_.get() - cpu_at_start_.get();
    result_.extra["server_cpu_seconds"] = cpu;
    result_.extra["server_busy"] = result_.seconds > 0 ? cpu / result_.seconds : 0.0;
    result_.extra["server_cpu_us_per_op"] = result_.ops > 0 ? cpu * 1e6 / static_cast<double>(result_.ops) : 0.0;
    stop();
  }

  // Ends the run: no new operations; every socket closed so pending ones complete.
  virtual void stop() {
    stopping_ = true;
    phase_timer_.cancel();
    close_all();
  }
  virtual void close_all() = 0;

  // Closes the socket of each of @p holders (pointers to structs with a `socket`).
  template <class Holders>
  static void close_sockets(Holders& holders) {
    for (auto& holder : holders) {
      error_code ignored;
      holder->socket.close(ignored);
    }
  }

  // Connects the socket of every one of @p holders (structs with `socket` and `failed`)
  // with @p connector and reports the connections that failed; then calls
  // @p connected(holder) for each open socket, marks the others failed, and starts the clock.
  template <class Holders, class Connected>
  void connect_all(Connector& connector, Holders& holders, Connected connected) {
    std::vector<tcp::socket*> sockets;
    for (auto& holder : holders) sockets.push_back(&holder->socket);
    connector.connect(sockets, [this, &holders, connected](std::size_t failed) {
      for (std::size_t i = 0; i < failed; ++i) result_.error("connect failed");
      for (auto& holder : holders) {
        if (holder->socket.is_open()) connected(*holder);
        else holder->failed = true;
      }
      start_clock();
    });
  }

  // Records @p what once for @p holder (a struct with `failed` and `socket`) and closes its
  // socket; false when it had failed already or the run is ending.
  template <class Holder>
  bool fail_once(Holder& holder, const std::string& what) {
    if (holder.failed || stopping_) return false;
    holder.failed = true;
    result_.error(what);
    error_code ignored;
    holder.socket.close(ignored);
    return true;
  }

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
  std::future<double> cpu_at_start_;
  std::future<double> cpu_at_end_;
  double own_cpu_at_start_ = 0;
};


} // namespace loadgen
