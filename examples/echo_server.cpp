// echo_server: sends back every byte it receives (RFC 862), over TCP, UDP or Unix sockets.
//
//   echo_server --port 7007 --mode threading       then: nc 127.0.0.1 7007
//   echo_server --port 7007 --udp                  then: nc -u 127.0.0.1 7007
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("echo_server", "Echoes every byte back (RFC 862).", 7007);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // A stream handler reads rfile until the client closes; a datagram handler answers one
  // datagram. make_server() picks the server class from --udp/--unix and --mode.
  HandlerFactory factory = options.config.datagram ? handler<EchoDatagramHandler>() : handler<EchoHandler>();
  return example::serve("echo_server", options.config, factory);
}
