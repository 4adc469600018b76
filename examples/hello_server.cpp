// hello_server: the greeting tutorial. Each client gets "Olá!" — text sent as UTF-8
// bytes, no newline — and the server prints the client's answer (one recv(2048)).
//
//   hello_server --port 1234        then: hello_client --port 1234
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("hello_server", "Greets each client with 'Olá!' and prints its answer.", 1234);
  ServerOptions options = command_line.parse_or_exit(argc, argv);
  options.config.wait_for_data = false;  // the server speaks first

  return example::serve("hello_server", options.config, handler<GreetingHandler>("Olá!"));
}
