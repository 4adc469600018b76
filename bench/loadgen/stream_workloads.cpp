// The TCP echo workloads: pingpong, connrate and bulk; pingpong and connrate also over TLS
// (--tls: tls_client.hpp).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tls_client.hpp"
#include "workloads.hpp"

namespace loadgen {
namespace {

// One echo client socket and where its next message starts in the shared pattern: what
// pingpong's connections and connrate's workers have in common.
struct EchoSocket {
  explicit EchoSocket(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::vector<char> reply;
  std::size_t id = 0;
  std::uint64_t seq = 0;
  std::size_t offset = 0;
  int pending = 0;  // operations (write, read) still to complete for this message
  bool failed = false;
  TlsStream tls;    // with --tls only
};

// The run's TLS client context with --tls, else none.
std::unique_ptr<TlsClientContext> tls_context_for(const Options& options) {
  if (!options.tls) return nullptr;
  return std::make_unique<TlsClientContext>(options.tls_ca, options.host);
}

// ---------------------------------------------------------------------------------------
// pingpong: each connection sends S bytes and waits for all S back before the next.
class PingPong : public Run {
public:
  PingPong(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(options.size)), connector_(io, server_endpoint(options), options.io_timeout),
        tls_context_(tls_context_for(options)) {
    for (std::size_t i = 0; i < options.connections; ++i) {
      auto conn = std::make_unique<Conn>(io);
      conn->id = i;
      conn->reply.resize(options.size);
      conns_.push_back(std::move(conn));
    }
  }

  void begin() override {
    connect_all(connector_, conns_, [this](Conn& conn) {
      error_code error;
      conn.socket.set_option(tcp::no_delay(true), error);
      if (!error) conn.socket.non_blocking(true, error);
      if (error) {
        conn.failed = true;
        return;
      }
      if (!tls_context_) return issue(conn);
      // TLS: the handshake first (within the warm-up), then the requests.
      Conn* c = &conn;
      conn.tls.start(*tls_context_, conn.socket.native_handle());
      tls_handshake(conn.socket, conn.tls, [this, c](const std::string& why) {
        if (!why.empty()) return void(fail_once(*c, why));
        issue(*c);
      });
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
  struct Conn : EchoSocket {
    using EchoSocket::EchoSocket;
    std::size_t received = 0;
    Clock::time_point sent_at;
    std::uint64_t measured_ops = 0;
  };

  void close_all() override { close_sockets(conns_); }

  void conn_failed(Conn& conn, const error_code& error, const char* where) {
    fail_once(conn, std::string(where) + ": " + error.message());
  }

  // Write and read at once, so that a reply larger than the socket buffers cannot deadlock.
  void issue(Conn& conn) {
    if (stopping_ || conn.failed) return;
    conn.offset = (conn.seq++ * 7919 + conn.id * 104729) % kPeriod;
    conn.pending = 2;
    conn.sent_at = Clock::now();
    Conn* c = &conn;
    if (tls_context_) return issue_tls(conn);
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

  // The same over TLS: the write and the read go on at once here too.
  void issue_tls(Conn& conn) {
    Conn* c = &conn;
    tls_write_all(conn.socket, conn.tls, pattern_.data() + conn.offset, options_.size, [this, c](const std::string& why) {
      if (!why.empty()) return void(fail_once(*c, "write: " + why));
      if (--c->pending == 0) complete(*c);
    });
    tls_read_exact(conn.socket, conn.tls, conn.reply.data(), conn.reply.size(), [this, c](const std::string& why) {
      if (!why.empty()) return void(fail_once(*c, "read: " + why));
      if (std::memcmp(c->reply.data(), pattern_.data() + c->offset, c->reply.size()) != 0)
        return void(fail_once(*c, "echoed bytes differ"));
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
  std::unique_ptr<TlsClientContext> tls_context_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// ---------------------------------------------------------------------------------------
// connrate: C workers, each looping connect -> send S -> read reply -> close.
class ConnRate : public Run {
public:
  ConnRate(const Options& options, asio::io_context& io)
      : Run(options, io), pattern_(make_pattern(std::max<std::size_t>(options.size, 1))), endpoint_(server_endpoint(options)),
        tls_context_(tls_context_for(options)) {
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
  struct Worker : EchoSocket {
    using EchoSocket::EchoSocket;
    Clock::time_point started_at;
  };

  void close_all() override { close_sockets(workers_); }

  void worker_failed(Worker& worker, const std::string& what) {
    if (!fail_once(worker, what)) return;
    // Carry on with a new connection after a short pause, so a refused server does not spin.
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(10));
    Worker* w = &worker;
    timer->async_wait([this, w, timer](const error_code&) { cycle(*w); });
  }

  void cycle(Worker& worker) {
    if (stopping_) return;
    error_code ignored;
    worker.tls.reset();
    worker.socket.close(ignored);
    worker.failed = false;
    worker.offset = (worker.seq++ * 7919 + worker.id * 104729) % kPeriod;
    worker.started_at = Clock::now();
    Worker* w = &worker;
    worker.socket.async_connect(endpoint_, [this, w](const error_code& error) {
      if (error) return worker_failed(*w, "connect: " + error.message());
      if (tls_context_) return handshake_then_echo(*w);
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

  // The server's session tickets (TLS 1.3 sends two after the client's Finished) and then
  // its echo are two small writes: a server without TCP_NODELAY (echo_server and
  // asio_tls_echo both set it, but a client cannot count on that) holds the echo back (Nagle) until the tickets are acknowledged,
  // and Linux delays that ACK by 40 ms, as the client has just sent. Then each connection
  // took 45 ms, and connrate measured the delayed-ACK timer, not handshakes. So the
  // client leaves delayed-ACK mode once its request is out (TCP_QUICKACK; the kernel
  // re-enters it by itself later): it acknowledges the tickets at once, as it would have
  // after any read that left nothing to send.
  static void acknowledge_at_once(Worker& worker) {
    int one = 1;
    ::setsockopt(worker.socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }

  // TLS (handshakes per second): a full handshake, one echo through it, close_notify, close.
  // The request is written once the handshake is done, and its reply read after it is
  // written (64 bytes: the write completes at once). TCP_NODELAY, so that the request does
  // not wait behind the client's Finished for an ACK.
  void handshake_then_echo(Worker& worker) {
    Worker* w = &worker;
    error_code error;
    w->socket.set_option(tcp::no_delay(true), error);
    if (!error) w->socket.non_blocking(true, error);
    if (error) return worker_failed(*w, "socket options: " + error.message());
    w->tls.start(*tls_context_, w->socket.native_handle());
    tls_handshake(w->socket, w->tls, [this, w](const std::string& why) {
      if (!why.empty()) return worker_failed(*w, why);
      tls_write_all(w->socket, w->tls, pattern_.data() + w->offset, options_.size, [this, w](const std::string& why2) {
        if (!why2.empty()) return worker_failed(*w, "write: " + why2);
        acknowledge_at_once(*w);
        tls_read_exact(w->socket, w->tls, w->reply.data(), w->reply.size(), [this, w](const std::string& why3) {
          if (!why3.empty()) return worker_failed(*w, "read: " + why3);
          if (std::memcmp(w->reply.data(), pattern_.data() + w->offset, w->reply.size()) != 0)
            return worker_failed(*w, "echoed bytes differ");
          w->tls.send_close_notify();
          done(*w);
        });
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
  std::unique_ptr<TlsClientContext> tls_context_;
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
    connect_all(connector_, conns_, [this](Conn& conn) {
      write_more(conn);
      if (!options_.discard) read_more(conn);
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

  void close_all() override { close_sockets(conns_); }

  void conn_failed(Conn& conn, const std::string& what) { fail_once(conn, what); }

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

} // namespace

std::unique_ptr<Run> make_pingpong(const Options& options, asio::io_context& io) {
  return std::make_unique<PingPong>(options, io);
}

std::unique_ptr<Run> make_connrate(const Options& options, asio::io_context& io) {
  return std::make_unique<ConnRate>(options, io);
}

std::unique_ptr<Run> make_bulk(const Options& options, asio::io_context& io) {
  return std::make_unique<Bulk>(options, io);
}

} // namespace loadgen
