// framed_client: sends --count messages of random sizes and contents, each framed with a
// 4-byte big-endian length (or --fixed N bytes each), and checks that every reply is the
// same message. Prints "N messages ok"; any bad reply is an error (exit status 1).
//
//   framed_client --port 5003 --count 100          framed_client --port 5003 --fixed 64
#include <iostream>
#include <random>

#include "common/example.hpp"

using namespace socketserver;
namespace po = boost::program_options;

int main(int argc, char* argv[]) {
  ClientCommandLine command_line("framed_client", "Checks a framed echo server with random messages.", 5003);
  command_line.add_options()("count", po::value<int>()->default_value(100), "messages to send")(
      "fixed", po::value<int>()->value_name("N"), "fixed-length messages of N bytes")(
      "max-size", po::value<int>()->default_value(64 * 1024), "largest random message size");
  ClientOptions options = command_line.parse_or_exit(argc, argv);
  int count = options.values["count"].as<int>();
  int max_size = options.values["max-size"].as<int>();
  int fixed = options.values.count("fixed") ? options.values["fixed"].as<int>() : 0;
  if (count < 0) command_line.usage_error("--count: must be 0 or more");
  if (max_size < 0) command_line.usage_error("--max-size: must be 0 or more");
  if (options.values.count("fixed") && fixed < 1) command_line.usage_error("--fixed: must be at least 1");

  return example::run_client("framed_client", [&] {
    Framing framing = fixed > 0 ? Framing::fixed(std::size_t(fixed)) : Framing::length_prefixed(std::size_t(max_size));
    std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> sizes(0, std::size_t(max_size));
    std::uniform_int_distribution<int> bytes(0, 255);
    example::Connection server(options);
    for (int i = 1; i <= count; ++i) {
      std::string message(framing.kind() == Framing::Kind::fixed ? framing.max_size() : sizes(random), '\0');
      for (char& byte : message) byte = static_cast<char>(bytes(random));
      std::string which = "message " + std::to_string(i) + " of " + std::to_string(count) + " (" +
                          std::to_string(message.size()) + " bytes): ";
      std::optional<std::string> reply;  // stays empty if the server closed the connection
      try {
        framing.write(server.wfile, message);
        reply = framing.read(server.rfile);
      } catch (const std::exception& e) {  // a reply too long or cut short, a reset...
        throw std::runtime_error(which + e.what());
      }
      if (reply != message)
        throw std::runtime_error(which + (reply ? "the reply differs" : "the server closed the connection"));
    }
    std::cout << count << " messages ok" << std::endl;
    return 0;
  });
}
