// The idle workload: hold connections, measure the server's memory from /proc.
#include "proc.hpp"
#include "workloads.hpp"

namespace loadgen {
namespace {

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
    close_sockets(conns_);
  }

  Connector connector_;
  asio::steady_timer ping_timer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::size_t pings_pending_ = 0;
  bool settled_ = false;
  Memory before_;
  Clock::time_point start_;
};

} // namespace

std::unique_ptr<Run> make_idle(const Options& options, asio::io_context& io) {
  return std::make_unique<Idle>(options, io);
}

} // namespace loadgen
