// framed_echo_server: the socket HOWTO's "exercise for the reader". A stream has no
// message boundaries, so each message carries its length: a 4-byte big-endian prefix
// (or, with --fixed N, every message is N bytes). Each message is echoed as a message.
// A prefix announcing more than --max-message bytes closes that connection with a logged
// error — before any of it is buffered.
//
//   framed_echo_server --port 5003               then: framed_client --port 5003
//   framed_echo_server --port 5003 --fixed 64    then: framed_client --port 5003 --fixed 64
#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;
namespace po = boost::program_options;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("framed_echo_server", "Echoes length-prefixed (or fixed-length) messages.", 5003);
  command_line.add_options()("fixed", po::value<long long>()->value_name("N"), "fixed-length messages of N bytes")(
      "max-message", po::value<long long>()->default_value(default_max_message_size)->value_name("BYTES"),
      "largest length-prefixed message accepted");
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  auto max_message = options.values["max-message"].as<long long>();
  if (max_message < 0 || max_message > 0xFFFFFFFF)
    example::usage_error("framed_echo_server", "--max-message: must be between 0 and 4294967295");
  Framing framing = Framing::length_prefixed(std::size_t(max_message));
  if (options.values.count("fixed")) {
    auto size = options.values["fixed"].as<long long>();
    if (size < 1 || size > max_message)
      example::usage_error("framed_echo_server", "--fixed: must be between 1 and --max-message");
    framing = Framing::fixed(std::size_t(size));
  }
  return example::serve("framed_echo_server", options.config, handler<FramedEchoHandler>(framing));
}
