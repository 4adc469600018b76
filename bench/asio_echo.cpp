// asio_echo: the raw-Asio reference of the benchmarks — what a seasoned Asio developer
// writes by hand. One io_context on one thread; each connection is async_read_some ->
// async_write of the same bytes -> again. With --udp: async_receive_from -> async_send_to.
//
//   asio_echo [--host 127.0.0.1] [--port 0] [--udp]
//
// Prints `listening on HOST:PORT` first; SIGINT/SIGTERM stop it.
#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
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

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code error, tcp::socket socket) {
    if (!error) std::make_shared<Session>(std::move(socket))->start();
    if (error != asio::error::operation_aborted) accept(acceptor);
  });
}

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
  bool datagram = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--udp") {
      datagram = true;
    } else if ((arg == "--port" || arg == "--host") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--host") {
        host = value;
      } else {
        char* end = nullptr;
        port = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || port > 65535) {
          std::cerr << "asio_echo: --port: invalid value '" << value << "'\n";
          return 2;
        }
      }
    } else {
      std::cerr << "usage: asio_echo [--host ADDRESS] [--port N] [--udp]\n";
      return 2;
    }
  }
  try {
    asio::io_context io(1);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
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
      accept(acceptor);
      io.run();
    }
  } catch (const std::exception& e) {
    std::cerr << "asio_echo: " << e.what() << '\n';
    return 1;
  }
}
