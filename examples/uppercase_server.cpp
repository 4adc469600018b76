// uppercase_server: the tutorials' chat server. Each piece of text a client sends is printed as
// "HOST:PORT wrote: TEXT" and answered at once, upper-cased by the Unicode rules ("olá, ação" ->
// "OLÁ, AÇÃO") — the tutorial's clients send no newline, so the server answers each recv(1024).
//
//   uppercase_server --port 5001 --mode threading    then: line_client --port 5001
//   uppercase_server --port 5001 --interactive       the operator types every reply
//   uppercase_server --port 5001 --udp               one answer per datagram
#include <memory>
#include <optional>
#include <string>

#include <socketserver/command_line.hpp>
#include <socketserver/socketserver.hpp>

#include "common/example.hpp"
#include "common/operator_console.hpp"
#include "common/print_lines.hpp"
#include "common/unicode_text.hpp"

using namespace socketserver;
using example::OperatorConsole;

// What both handlers do with a piece of text: print it, then reply with it upper-cased
// or, with a console, with what the operator types. False once the operator's input ended.
template <class Handler>
bool answer(Handler& handler, OperatorConsole* console, std::string_view text) {
  std::string line = example::client_lines(handler.client_address().to_string() + " wrote: ", text);
  if (!console) {
    example::print_line(line);
    handler.wfile.write(example::to_upper_utf8(text));
    return true;
  }
  std::optional<std::string> reply = console->ask(line);
  if (reply) handler.wfile.write(*reply);
  return reply.has_value();
}

// Over a connection: each piece of data is answered as it arrives (one read of up to 1024
// bytes, like recv(1024)). A UTF-8 character cut between two reads waits until it is whole.
class UppercaseHandler : public StreamRequestHandler {
public:
  explicit UppercaseHandler(std::shared_ptr<OperatorConsole> console) : console_(std::move(console)) {}
  void handle() override {
    std::string held;  // the first bytes of a character whose rest has not arrived yet
    for (std::string data = rfile.read(1024); !data.empty(); data = rfile.read(1024)) {
      held += data;
      std::size_t whole = example::complete_utf8_prefix(held);
      if (whole > 0 && !answer(*this, console_.get(), std::string_view(held).substr(0, whole))) return;
      held.erase(0, whole);
    }
    if (!held.empty()) answer(*this, console_.get(), held);  // a broken character at the end
  }
private:
  std::shared_ptr<OperatorConsole> console_;
};

// Over datagrams: each datagram is answered.
class UppercaseDatagramHandler : public DatagramRequestHandler {
public:
  explicit UppercaseDatagramHandler(std::shared_ptr<OperatorConsole> console) : console_(std::move(console)) {}
  void handle() override { answer(*this, console_.get(), request().packet); }
private:
  std::shared_ptr<OperatorConsole> console_;
};

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("uppercase_server", "Answers each piece of text upper-cased (the chat tutorial).", 5001);
  command_line.allow_datagram();
  command_line.add_options()("interactive", boost::program_options::bool_switch(),
                             "ask the operator for each reply on stdin (prompt 'type message: ')");
  ServerOptions options = command_line.parse_or_exit(argc, argv);

  // With --interactive, one console shared by every handler (threads and forked children
  // alike) asks the operator one question at a time. handler<H>(args) passes args to H.
  std::shared_ptr<OperatorConsole> console;
  if (options.values["interactive"].as<bool>()) {
    // The prompt blocks its thread on the terminal: in async mode that would stall every
    // other connection of the loop, so the combination is refused. Without --mode the
    // server is the tutorial's sync one: one client at a time, the operator answering it.
    if (options.values["mode"].defaulted()) {
      options.config.mode = Mode::sync;
      if (!options.values.count("max-connections"))
        options.config.max_connections = ServerCommandLine::default_max_connections;
    }
    if (options.config.mode == Mode::async)
      example::usage_error("uppercase_server", "--interactive blocks on the terminal: use it with --mode sync, threading, forking or pool, not async");
    console = std::make_shared<OperatorConsole>();
  }
  HandlerFactory factory = options.config.datagram ? handler<UppercaseDatagramHandler>(console)
                                                   : handler<UppercaseHandler>(console);
  return example::serve("uppercase_server", options.config, factory);
}
