// daytime_client: the first tutorial's client. It connects and prints what arrives until
// the server closes the connection (the tutorial's single recv(255) would stop at 255
// bytes; reading to the end is how a client knows it has everything).
//
//   daytime_client --host 127.0.0.1 --port 9999        (--udp: ask with an empty datagram)
#include "common/example.hpp"

int main(int argc, char* argv[]) {
  socketserver::ClientCommandLine command_line("daytime_client", "Prints the time a daytime server sends.", 9999);
  command_line.allow_datagram();
  socketserver::ClientOptions options = command_line.parse_or_exit(argc, argv);

  return example::run_client("daytime_client", [&] {
    if (options.datagram) {  // a datagram server answers any datagram, even an empty one
      example::DatagramClient client(options.address);
      client.send("");
      example::print_raw(client.receive());
      return 0;
    }
    example::Connection server(options);
    // read() returns what has arrived, at least one byte, and "" once the server closed.
    for (std::string data = server.rfile.read(4096); !data.empty(); data = server.rfile.read(4096))
      example::print_raw(data);
    return 0;
  });
}
