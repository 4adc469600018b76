// line_client: the chat tutorial's client. Each line typed is sent (without its newline,
// as the tutorial sends input()), the server's answer is read with one recv and printed
// as "Received from server: REPLY"; a line "q" quits.
//
//   line_client --port 5001            (--udp for a datagram server, --unix PATH)
#include <unistd.h>

#include <iostream>
#include <memory>

#include "common/example.hpp"

int main(int argc, char* argv[]) {
  socketserver::ClientCommandLine command_line("line_client", "Sends each stdin line, prints each reply; 'q' quits.", 5001);
  command_line.allow_datagram();
  socketserver::ClientOptions options = command_line.parse_or_exit(argc, argv);

  return example::run_client("line_client", [&] {
    std::unique_ptr<example::Connection> stream;
    std::unique_ptr<example::DatagramClient> datagrams;
    if (options.datagram) datagrams = std::make_unique<example::DatagramClient>(options.address);
    else stream = std::make_unique<example::Connection>(options);

    bool terminal = ::isatty(0);
    std::string message;
    for (;;) {
      if (terminal) std::cout << "type message: " << std::flush;
      if (!std::getline(std::cin, message) || message == "q") break;
      if (!message.empty() && message.back() == '\r') message.pop_back();
      if (message.empty()) continue;  // nothing to send, so nothing would come back
      std::string reply;
      if (datagrams) {
        datagrams->send(message);
        reply = datagrams->receive();
      } else {
        stream->wfile.write(message);
        reply = stream->rfile.read(4096);  // like recv(): whatever has arrived
        if (reply.empty()) throw std::runtime_error("the server closed the connection");
      }
      std::cout << "Received from server: " << reply << std::endl;
    }
    return 0;
  });
}
