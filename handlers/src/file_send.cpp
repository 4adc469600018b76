#include "socketserver/handlers/file_send.hpp"

#include <algorithm>
#include <string>

#include <boost/asio/socket_base.hpp>

#include <socketserver/base_server.hpp>
#include <socketserver/printable.hpp>

namespace socketserver::handlers {
namespace {

constexpr std::size_t max_request = 1024;     // FileSendHandler's one read of the request
constexpr std::size_t drain_limit = 64 * 1024;  // the most bytes read after a reply

// After the reply: stop sending, then read what the client may still send (its request's
// tail, its own close) for a short while, so that closing with unread input does not
// reset the connection and destroy the reply while it is still in flight.
void finish_reply(StreamRequestHandler& handler) {
  try {
    handler.wfile.flush();
    handler.connection().shutdown(boost::asio::socket_base::shutdown_send);
    handler.rfile.timeout = std::min(handler.rfile.timeout.value_or(Seconds(2)), Seconds(2));
    std::size_t drained = 0;
    for (std::string data = handler.rfile.read(drain_limit); !data.empty() && drained < drain_limit;
         data = handler.rfile.read(drain_limit))
      drained += data.size();
  } catch (const std::exception&) {
    // The client is gone or silent: nothing more to protect.
  }
}

// A request line without its ending (`\n`, `\r\n`, or a `\r` left before the end of stream).
std::string_view without_line_ending(std::string_view line) noexcept {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// Leaves one line in the server's log naming the client, what it asked for (the start of
// it, made printable: the client chose those bytes) and why it was refused; then answers
// `ERR REASON`.
void refuse_request(StreamRequestHandler& handler, std::string_view name, std::string_view reason) {
  constexpr std::size_t shown = 100;
  handler.server().log_message(handler.client_address().to_string() + ": refused '" +
                               printable(name.substr(0, shown)) + (name.size() > shown ? "'...: " : "': ") +
                               std::string(reason));
  handler.wfile.write("ERR " + std::string(reason) + "\n");  // (may fail: the client may be gone)
}

} // namespace

void FileSendHandler::handle() {
  wfile.min_rate = min_rate_;
  rfile.read(max_request);  // the request's content does not matter
  open_regular_file(path_).send_to(wfile);
  finish_reply(*this);
}

void FileRootHandler::handle() {
  wfile.min_rate = min_rate_;
  std::string line = rfile.readline(max_name_length + 2);
  std::string_view name = without_line_ending(line);
  try {
    if (!line.ends_with('\n') && !rfile.at_eof()) throw FileRefused("name too long");  // no end in sight
    OpenFile file = open_beneath(root_, name);
    file.send_to(wfile, "OK " + std::to_string(file.size()) + "\n");
  } catch (const FileRefused& refused) {
    refuse_request(*this, name, refused.what());
  }
  finish_reply(*this);
}

} // namespace socketserver::handlers
