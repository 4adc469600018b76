// hello_client: the greeting tutorial's client. Prints the server's greeting, then
// answers "Olá também!" (UTF-8) and closes.
//
//   hello_client --port 1234
#include <iostream>

#include "common/example.hpp"

int main(int argc, char* argv[]) {
  socketserver::ClientCommandLine command_line("hello_client", "Prints the greeting, answers 'Olá também!'.", 1234);
  socketserver::ClientOptions options = command_line.parse_or_exit(argc, argv);

  return example::run_client("hello_client", [&] {
    example::Connection server(options);
    std::string greeting = server.rfile.read(2048);  // dados = s.recv(2048)
    std::cout << greeting << std::endl;
    server.wfile.write("Olá também!");
    return 0;
  });
}
