// The udp workload: datagrams in lock step against a UDP echo server.
#include "workloads.hpp"

namespace loadgen {
namespace {

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

} // namespace

std::unique_ptr<Run> make_udp(const Options& options, asio::io_context& io) {
  return std::make_unique<Udp>(options, io);
}

} // namespace loadgen
