// uppercase_server: the tutorials' chat server. Each piece of text a client sends is
// printed as "HOST:PORT wrote: TEXT" and answered at once, upper-cased by the Unicode
// rules ("olá, ação" -> "OLÁ, AÇÃO"), in one write — the tutorial's clients do a single
// recv(1024) and send no newline, so the server answers each recv(), not each line.
//
//   uppercase_server --port 5001 --mode threading    then: line_client --port 5001
//   uppercase_server --port 5001 --interactive       the operator types every reply
//   uppercase_server --port 5001 --udp               one answer per datagram
#include <memory>

#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("uppercase_server", "Answers each piece of text upper-cased (the chat tutorial).",
                                 5001);
  command_line.allow_datagram();
  command_line.add_options()("interactive", boost::program_options::bool_switch(),
                             "ask the operator for each reply on stdin (prompt 'type message: ')");
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // With --interactive, replies come from the operator: one console, shared by every
  // handler (threads and forked children alike), asks one question at a time.
  std::shared_ptr<OperatorConsole> console;
  if (options.values["interactive"].as<bool>()) console = std::make_shared<OperatorConsole>();

  HandlerFactory factory = options.config.datagram ? handler<UppercaseDatagramHandler>(stdout_sink(), console)
                                                   : handler<UppercaseHandler>(stdout_sink(), console);
  return example::serve("uppercase_server", options.config, factory);
}
