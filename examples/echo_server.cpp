// echo_server: sends back every byte it receives (RFC 862), over TCP, UDP or Unix sockets.
// Its main() shows the whole run sequence that the other examples leave to example::serve().
//
//   echo_server --port 7007 --mode threading       then: nc 127.0.0.1 7007
//   echo_server --port 7007 --udp                  then: nc -u 127.0.0.1 7007
#include <exception>
#include <iostream>
#include <memory>
#include <utility>

#include <socketserver/command_line.hpp>
#include <socketserver/handlers.hpp>
#include <socketserver/socketserver.hpp>

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("echo_server", "Echoes every byte back (RFC 862).", 7007);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // A stream handler reads rfile until the client closes; a datagram handler answers one
  // datagram. handler<H>() makes a fresh H for every request.
  HandlerFactory factory = options.config.datagram ? handler<EchoDatagramHandler>() : handler<EchoHandler>();
  try {
    // The server class follows --udp/--unix and --mode: TCPServer, ThreadingMixIn<UDPServer>...
    std::unique_ptr<BaseServer> server = make_server(options.config, std::move(factory));
    StopOnSignals stop{*server};  // Ctrl+C and SIGTERM make serve_forever() return
    // Flushed at once: with --port 0 this is how a script learns the port.
    // With --tls-cert the line says so: "listening on 127.0.0.1:7007 tls".
    std::cout << "listening on " << server->server_address() << (options.config.tls ? " tls" : "") << std::endl;
    server->serve_forever();
    server->server_close();  // lets requests in flight finish, for at most --drain-timeout
    return 0;
  } catch (const std::exception& error) {  // e.g. the address is in use
    std::cerr << "echo_server: " << error.what() << std::endl;
    return 1;
  }
}
