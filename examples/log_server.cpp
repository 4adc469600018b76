// log_server: the "SocketBasico" tutorial's servers. Over TCP it prints
// "Connected by HOST:PORT", then "HOST:PORT MESSAGE" for each piece of data, then
// "Closing connection from HOST:PORT"; with --udp, "HOST:PORT MESSAGE" per datagram.
// The tutorial's fork and thread versions are --mode forking and --mode threading.
//
//   log_server --port 5000 --mode forking     then: log_client --port 5000
//   log_server --port 5000 --udp              then: log_client --port 5000 --udp
#include <string>

#include <socketserver/command_line.hpp>
#include <socketserver/socketserver.hpp>

#include "common/example.hpp"
#include "common/print_lines.hpp"

using namespace socketserver;
using example::client_lines;
using example::print_line;

// Over a connection: each piece of data as it arrives (one read of up to 1024 bytes, like
// recv(1024)), until the client closes. Sends nothing back.
class MessageLogHandler : public StreamRequestHandler {
public:
  void handle() override {
    const std::string client = client_address().to_string();
    print_line("Connected by " + client);
    for (std::string data = rfile.read(1024); !data.empty(); data = rfile.read(1024))
      print_line(client_lines(client + " ", data));
    print_line("Closing connection from " + client);
  }
};

// Over datagrams: request().packet is the datagram.
class MessageLogDatagramHandler : public DatagramRequestHandler {
public:
  void handle() override {
    print_line(client_lines(client_address().to_string() + " ", request().packet));
  }
};

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("log_server", "Prints every message received, with the client's address.", 5000);
  command_line.allow_datagram();
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // Every line goes through print_line(): written whole and flushed at once, so lines of
  // concurrent clients never mix, and forked children's lines are never lost. What a
  // client sent goes through client_lines(): each line starts with the client's address
  // and shows control bytes escaped, so no client can forge a line or drive the terminal.
  HandlerFactory factory =
      options.config.datagram ? handler<MessageLogDatagramHandler>() : handler<MessageLogHandler>();
  return example::serve("log_server", options.config, factory);
}
