// file_client: the tutorial's file transfer, client side. Sends a request ("Hello
// server!" by default), writes what arrives to --out (recv.txt) until the server closes,
// and prints "received N bytes". With --get NAME it asks a --root server for NAME and
// writes only the body; an "ERR ..." reply is printed on stderr (exit status 1).
//
//   file_client --port 5002 --out copy.bin          file_client --port 5002 --get a/b.txt
#include <stdio.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "common/example.hpp"

namespace po = boost::program_options;

int main(int argc, char* argv[]) {
  socketserver::ClientCommandLine command_line("file_client", "Receives a file from file_server.", 5002);
  command_line.add_options()("get", po::value<std::string>()->value_name("NAME"), "ask a --root server for NAME")(
      "request", po::value<std::string>()->default_value("Hello server!"), "what to send without --get")(
      "out", po::value<std::string>()->default_value("recv.txt"), "file to write");
  socketserver::ClientOptions options = command_line.parse_or_exit(argc, argv);
  std::string out_path = options.values["out"].as<std::string>();

  return example::run_client("file_client", [&]() -> int {
    example::Connection server(options);
    std::uint64_t expected = 0;  // the body's size, with --get
    if (options.values.count("get")) {
      server.wfile.write(options.values["get"].as<std::string>() + "\n");
      std::string header = server.rfile.readline(256);
      if (header.rfind("ERR ", 0) == 0) {
        std::cerr << header.substr(0, header.find_last_not_of("\r\n") + 1) << std::endl;
        return 1;
      }
      if (header.rfind("OK ", 0) != 0 || !header.ends_with('\n'))
        throw std::runtime_error("unexpected reply from the server: '" + header + "'");
      expected = std::stoull(header.substr(3));
    } else {
      server.wfile.write(options.values["request"].as<std::string>());
    }

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(out_path.c_str(), "wb"), std::fclose);
    if (!out) throw std::runtime_error("--out: cannot write '" + out_path + "'");
    // The body moves socket -> kernel pipe -> file (splice), never through this process,
    // so nothing is buffered in `out` itself.
    std::uint64_t received = server.rfile.read_to_file(::fileno(out.get()));
    if (options.values.count("get") && received != expected)
      throw std::runtime_error("connection closed after " + std::to_string(received) + " of " +
                               std::to_string(expected) + " bytes");
    std::cout << "received " << received << " bytes" << std::endl;
    return 0;
  });
}
