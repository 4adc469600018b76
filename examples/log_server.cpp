// log_server: the "SocketBasico" tutorial's servers. Over TCP it prints
// "Connected by HOST:PORT", then "HOST:PORT MESSAGE" for each piece of data, then
// "Closing connection from HOST:PORT"; with --udp, "HOST:PORT MESSAGE" per datagram.
// The tutorial's fork and thread versions are --mode forking and --mode threading.
//
//   log_server --port 5000 --mode forking     then: log_client --port 5000
//   log_server --port 5000 --udp              then: log_client --port 5000 --udp
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("log_server", "Prints every message received, with the client's address.", 5000);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // Every line goes through print_line(): written whole and flushed at once, so lines of
  // concurrent clients never mix, and forked children's lines are never lost.
  HandlerFactory factory =
      options.config.datagram ? handler<MessageLogDatagramHandler>() : handler<MessageLogHandler>();
  return example::serve("log_server", options.config, factory);
}
