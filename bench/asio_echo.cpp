// asio_echo: the raw-Asio reference of the benchmarks — what a seasoned Asio developer
// writes by hand. One io_context on one thread; each connection is async_read_some ->
// async_write of the same bytes -> again. With --udp: async_receive_from -> async_send_to.
//
//   asio_echo [--host 127.0.0.1] [--port 0] [--udp] [--threads N]
//
// --threads N (TCP): N io_contexts, one per thread, each run by its own thread (the
// io_context-per-core design); the acceptor lives on context 0, the main thread, and
// hands accepted connections to the contexts in turn, where they stay for their life —
// the layout of echo_server --mode async --threads N. Default 1: one io_context, one thread.
//
// Prints `listening on HOST:PORT` first; SIGINT/SIGTERM stop it.
#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }
  asio::any_io_executor executor() { return socket_.get_executor(); }

private:
  void read() {
    socket_.async_read_some(asio::buffer(data_), [self = shared_from_this()](boost::system::error_code error, std::size_t n) {
      if (!error) self->write(n);
    });
  }
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(data_.data(), n),
                      [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                        if (!error) self->read();
                      });
  }

  tcp::socket socket_;
  std::array<char, 64 * 1024> data_;
};

// Accepts on @p acceptor forever; connection k goes to loops[k % loops.size()].
class Acceptor {
public:
  Acceptor(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& loops)
      : acceptor_(acceptor), loops_(loops) {}

  void accept() {
    asio::io_context& target = *loops_[next_++ % loops_.size()];
    acceptor_.async_accept(target, [this](boost::system::error_code error, tcp::socket socket) {
      // The socket belongs to its loop: start its first read there (at once when that
      // is this thread's loop, as with one thread).
      if (!error) {
        auto session = std::make_shared<Session>(std::move(socket));
        asio::dispatch(session->executor(), [session] { session->start(); });
      }
      if (error != asio::error::operation_aborted) accept();
    });
  }

private:
  tcp::acceptor& acceptor_;
  std::vector<std::unique_ptr<asio::io_context>>& loops_;
  std::size_t next_ = 0;
};

struct DatagramEcho {
  explicit DatagramEcho(udp::socket& s) : socket(s) {}
  void receive() {
    socket.async_receive_from(asio::buffer(data), sender, [this](boost::system::error_code error, std::size_t n) {
      if (error == asio::error::operation_aborted) return;
      if (error) return receive();
      socket.async_send_to(asio::buffer(data.data(), n), sender,
                           [this](boost::system::error_code, std::size_t) { receive(); });
    });
  }
  udp::socket& socket;
  udp::endpoint sender;
  std::array<char, 65536> data;
};

} // namespace

int main(int argc, char* argv[]) {
  std::string host = "127.0.0.1";
  unsigned long port = 0;
  unsigned long threads = 1;
  bool datagram = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--udp") {
      datagram = true;
    } else if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if ((arg == "--port" || arg == "--threads") && i + 1 < argc) {
      std::string value = argv[++i];
      char* end = nullptr;
      unsigned long number = std::strtoul(value.c_str(), &end, 10);
      bool valid = !value.empty() && *end == '\0' &&
                   (arg == "--port" ? number <= 65535 : number >= 1 && number <= 1024);
      if (!valid) {
        std::cerr << "asio_echo: " << arg << ": invalid value '" << value << "'\n";
        return 2;
      }
      (arg == "--port" ? port : threads) = number;
    } else {
      std::cerr << "usage: asio_echo [--host ADDRESS] [--port N] [--udp] [--threads N]\n";
      return 2;
    }
  }
  if (datagram && threads != 1) {
    std::cerr << "asio_echo: --threads applies to TCP only\n";
    return 2;
  }
  try {
    // One io_context per thread, each told it is run by one thread (no locking inside).
    std::vector<std::unique_ptr<asio::io_context>> loops;
    for (unsigned long i = 0; i < threads; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
    asio::io_context& io = *loops[0];
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&loops](boost::system::error_code, int) {
      for (auto& loop : loops) loop->stop();
    });
    auto address = asio::ip::make_address(host);
    if (datagram) {
      udp::socket socket(io, udp::endpoint(address, static_cast<unsigned short>(port)));
      std::cout << "listening on " << host << ':' << socket.local_endpoint().port() << std::endl;
      DatagramEcho echo(socket);
      echo.receive();
      io.run();
    } else {
      tcp::acceptor acceptor(io, tcp::endpoint(address, static_cast<unsigned short>(port)));
      std::cout << "listening on " << host << ':' << acceptor.local_endpoint().port() << std::endl;
      Acceptor accepting(acceptor, loops);
      accepting.accept();
      // Loops 1..N-1 on their own threads, kept running while they have no connection.
      std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
      std::vector<std::thread> workers;
      for (std::size_t i = 1; i < loops.size(); ++i) {
        keep.push_back(asio::make_work_guard(*loops[i]));
        workers.emplace_back([&loop = *loops[i]] { loop.run(); });
      }
      io.run();
      for (auto& worker : workers) worker.join();
    }
  } catch (const std::exception& e) {
    std::cerr << "asio_echo: " << e.what() << '\n';
    return 1;
  }
}
