// echo_server: sends back every byte it receives (RFC 862), over TCP, UDP or Unix sockets.
#include <iostream>

#include <socketserver/socketserver.hpp>

using namespace socketserver;

struct StreamEcho : StreamRequestHandler {
  void handle() override {
    for (std::string data = rfile.read(64 * 1024); !data.empty(); data = rfile.read(64 * 1024))
      wfile.write(data);
  }
};

struct DatagramEcho : DatagramRequestHandler {
  void handle() override { wfile.write(rfile.read_all(request().packet.size())); }
};

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("echo_server", "Echoes every byte back (RFC 862).", 7007);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);
  try {
    auto factory = options.config.datagram ? handler<DatagramEcho>() : handler<StreamEcho>();
    auto server = make_server(options.config, factory);
    StopOnSignals stop{*server};
    std::cout << "listening on " << server->server_address() << std::endl;
    server->serve_forever();
    server->server_close();
  } catch (const std::exception& e) {
    std::cerr << "echo_server: " << e.what() << std::endl;
    return 1;
  }
}
