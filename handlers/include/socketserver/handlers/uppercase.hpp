/// @file
/// @brief Upper-casing of UTF-8 text (with ICU), and the tutorials' chat server that
/// answers each piece of text upper-cased, or with a reply typed by the operator.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/output.hpp"

namespace socketserver::handlers {

/// @p utf8 upper-cased by the full Unicode rules (ICU, root locale, so the result does not
/// depend on the environment): `olá, ação` becomes `OLÁ, AÇÃO`, `ß` becomes `SS`. Bytes
/// that are not well-formed UTF-8 are kept as they are. Line endings are untouched.
std::string to_upper_utf8(std::string_view utf8);

/// How many leading bytes of @p data end on a character boundary: all of them, unless the
/// data ends inside a multi-byte UTF-8 sequence, whose first bytes are then left out (at
/// most 3). A stream reader holds those bytes until the rest of the character arrives.
std::size_t complete_utf8_prefix(std::string_view data) noexcept;

class OperatorConsole;

/// The tutorials' chat server over a connection: each piece of data, as it arrives (up to
/// `piece_size` bytes, like `recv(1024)`), is logged as `HOST:PORT wrote: TEXT` (trailing
/// newline removed) and answered at once, upper-cased, in one write — so a client that
/// sends text without a newline still gets its reply. A UTF-8 character split between two
/// reads is held until it is whole. Ends when the client closes.
///
/// With an OperatorConsole the reply is not upper-cased text but what the operator types
/// (the tutorial's `input("type message: ")`); the connection closes when the operator's
/// input ends.
class UppercaseHandler : public StreamRequestHandler {
public:
  /// @param log where the `wrote:` lines go; @param console the operator, or none to
  /// upper-case; @param piece_size the most bytes read at a time.
  explicit UppercaseHandler(LineSink log = stdout_sink(), std::shared_ptr<OperatorConsole> console = nullptr,
                            std::size_t piece_size = 1024)
      : log_(std::move(log)), console_(std::move(console)), piece_size_(piece_size) {}
  /// Answers each piece until end of stream.
  void handle() override;

private:
  bool answer(std::string_view text);

  LineSink log_;
  std::shared_ptr<OperatorConsole> console_;
  std::size_t piece_size_;
};

/// The chat server over datagrams: each datagram is logged as `HOST:PORT wrote: TEXT` and
/// answered upper-cased (or, with an OperatorConsole, with the operator's reply).
class UppercaseDatagramHandler : public DatagramRequestHandler {
public:
  /// @param log where the `wrote:` lines go; @param console the operator, or none.
  explicit UppercaseDatagramHandler(LineSink log = stdout_sink(), std::shared_ptr<OperatorConsole> console = nullptr)
      : log_(std::move(log)), console_(std::move(console)) {}
  /// Answers the datagram.
  void handle() override;

private:
  LineSink log_;
  std::shared_ptr<OperatorConsole> console_;
};

/// The operator at the server's terminal, asked for replies one client at a time.
///
/// ask() holds a lock shared by every thread and every forked child (a process-shared
/// mutex in shared memory, made before the server forks), so with many clients the
/// operator still sees one question, one prompt and one answer at a time. Input is read
/// from the descriptor byte by byte, so no process buffers lines meant for another.
class OperatorConsole {
public:
  /// Reads replies from @p input_fd (stdin by default) after printing @p prompt.
  explicit OperatorConsole(int input_fd = 0, std::string prompt = "type message: ");
  /// Releases the shared lock.
  ~OperatorConsole();
  OperatorConsole(const OperatorConsole&) = delete;
  OperatorConsole& operator=(const OperatorConsole&) = delete;

  /// Prints @p line (a full line), then the prompt (no newline), and reads one line of
  /// input; returns it without its line ending, or nothing when the input has ended.
  std::optional<std::string> ask(std::string_view line);

private:
  struct Shared;
  int input_fd_;
  std::string prompt_;
  Shared* shared_;
};

} // namespace socketserver::handlers
