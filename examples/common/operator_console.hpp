// OperatorConsole: the operator at the server's terminal, typing the replies of
// uppercase_server --interactive (the tutorial's `input("type message: ")`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace example {

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

  /// Prints @p question (whole lines), then the prompt (no newline), and reads one line of
  /// input; returns it without its line ending, or nothing when the input has ended.
  std::optional<std::string> ask(std::string_view question);

private:
  struct Shared;
  int input_fd_;
  std::string prompt_;
  Shared* shared_;
};

} // namespace example
