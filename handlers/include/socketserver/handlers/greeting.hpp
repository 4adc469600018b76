/// @file
/// @brief The greeting exchange of the tutorials: the server greets, the client answers.
#pragma once

#include <cstddef>
#include <string>

#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/output.hpp"

namespace socketserver::handlers {

/// Sends a greeting (by default `Olá!` in UTF-8, no newline) in one write, reads the
/// client's answer (one read of up to `max_reply` bytes, like `recv(2048)`) and logs it as
/// it came, trailing newline removed. Logs nothing when the client closes without a word.
class GreetingHandler : public StreamRequestHandler {
public:
  /// @param greeting what to send; @param log where the answer goes; @param max_reply the
  /// most bytes of the answer read.
  explicit GreetingHandler(std::string greeting = "Olá!", LineSink log = stdout_sink(), std::size_t max_reply = 2048)
      : greeting_(std::move(greeting)), log_(std::move(log)), max_reply_(max_reply) {}
  /// Greets and logs the answer.
  void handle() override;

private:
  std::string greeting_;
  LineSink log_;
  std::size_t max_reply_;
};

} // namespace socketserver::handlers
