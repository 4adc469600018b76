#include "socketserver/handlers/file_send.hpp"

#include <algorithm>
#include <string>

#include <boost/asio/socket_base.hpp>

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

} // namespace

void FileSendHandler::handle() {
  rfile.read(max_request);  // the request's content does not matter
  open_regular_file(path_).send_to(wfile);
  finish_reply(*this);
}

void FileRootHandler::handle() {
  std::string line = rfile.readline(max_name_length + 2);
  std::string reply;
  if (!line.ends_with('\n') && !rfile.at_eof()) {
    wfile.write("ERR name too long\n");
  } else {
    if (line.ends_with('\n')) line.pop_back();
    if (line.ends_with('\r')) line.pop_back();
    try {
      OpenFile file = open_beneath(root_, line);
      file.send_to(wfile, "OK " + std::to_string(file.size()) + "\n");
    } catch (const FileRefused& refused) {
      wfile.write("ERR " + std::string(refused.what()) + "\n");
    }
  }
  finish_reply(*this);
}

} // namespace socketserver::handlers
