// daytime_server: the first tutorial's time server (RFC 867). Each client gets the local
// time in C's ctime format and a newline, then the server closes the connection:
//
//   cli_socket.send(time.ctime(time.time()) + '\n'); cli_socket.close()
//
//   daytime_server --port 9999            then: daytime_client --port 9999  (or nc)
//   daytime_server --port 9999 --udp      each datagram, even empty, gets the time back
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("daytime_server", "Sends the local time in ctime format, then closes (RFC 867).",
                                 9999);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // The server speaks first and the client may send nothing at all: in pool mode, hand
  // each connection to a worker at once instead of waiting for it to become readable.
  options.config.wait_for_data = false;

  HandlerFactory factory =
      options.config.datagram ? handler<DaytimeDatagramHandler>() : handler<DaytimeHandler>();
  return example::serve("daytime_server", options.config, factory);
}
