// hello_server: the greeting tutorial. Each client gets "Olá!" — text sent as UTF-8
// bytes, no newline — and the server prints "HOST:PORT ANSWER" (one recv(2048)).
//
//   hello_server --port 1234        then: hello_client --port 1234
#include <string>

#include <socketserver/command_line.hpp>
#include <socketserver/socketserver.hpp>

#include "common/example.hpp"
#include "common/print_lines.hpp"

using namespace socketserver;

// A handler is a class with handle(), made anew for each client: rfile reads what the
// client sends, wfile writes to it, client_address() says who it is.
class GreetingHandler : public StreamRequestHandler {
public:
  void handle() override {
    wfile.write("Olá!");                    // conn.send("Olá!".encode("utf-8"))
    std::string answer = rfile.read(2048);  // dados = conn.recv(2048)
    // Printed after the client's address, line by line, control bytes escaped: the
    // client's text can neither forge a log line nor drive the operator's terminal.
    if (!answer.empty()) example::print_line(example::client_lines(client_address().to_string() + " ", answer));
  }
};

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("hello_server", "Greets each client with 'Olá!' and prints its answer.", 1234);
  ServerOptions options = command_line.parse_or_exit(argc, argv);
  options.config.wait_for_data = false;  // the server speaks first

  return example::serve("hello_server", options.config, handler<GreetingHandler>());
}
