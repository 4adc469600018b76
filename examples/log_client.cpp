// log_client: the "SocketBasico" tutorial's clients. Sends each line of stdin to the
// server, over TCP or with --udp one datagram per line, until a line holding only Ctrl+X
// ("\x18") or the end of input.
//
//   log_client --port 5000         (--udp, --unix PATH)
#include <unistd.h>

#include <iostream>
#include <memory>

#include "common/example.hpp"

int main(int argc, char* argv[]) {
  socketserver::ClientCommandLine command_line("log_client", "Sends each stdin line to a log server; Ctrl+X quits.", 5000);
  command_line.allow_datagram();
  socketserver::ClientOptions options = command_line.parse_or_exit(argc, argv);

  return example::run_client("log_client", [&] {
    std::unique_ptr<example::Connection> stream;
    std::unique_ptr<example::DatagramClient> datagrams;
    if (options.datagram) datagrams = std::make_unique<example::DatagramClient>(options.address);
    else stream = std::make_unique<example::Connection>(options);
    if (::isatty(0)) std::cout << "To quit, type Ctrl+X and Enter\n" << std::flush;

    std::string line;
    while (std::getline(std::cin, line) && line != "\x18") {
      if (datagrams) datagrams->send(line);  // a datagram is a message: no newline needed
      else stream->wfile.write(line + "\n");  // a stream is not: the newline ends the line
    }
    return 0;
  });
}
