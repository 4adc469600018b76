// time_server: the time protocol (RFC 868) that rdate speaks. Each client gets the seconds
// since 1900-01-01 UTC as a 4-byte big-endian integer — binary data in network byte order.
//
//   time_server --port 3737            then: rdate -p -o 3737 127.0.0.1
//   time_server --port 3737 --udp      then: rdate -p -u -o 3737 127.0.0.1
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("time_server", "Sends the time as RFC 868 seconds since 1900, then closes.", 3737);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);
  options.config.wait_for_data = false;  // rdate sends nothing over TCP: the server speaks first

  HandlerFactory factory = options.config.datagram ? handler<TimeDatagramHandler>() : handler<TimeHandler>();
  return example::serve("time_server", options.config, factory);
}
