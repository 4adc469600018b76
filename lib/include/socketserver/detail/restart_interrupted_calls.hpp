/// @file
/// @brief detail::restart_interrupted_calls(): SA_RESTART for a signal Asio handles.
#pragma once

namespace socketserver::detail {

/// Adds SA_RESTART to the handler Asio installed for @p signal_number: Asio installs its
/// handlers without it, so a SIGCHLD would make blocking calls on other threads fail with
/// EINTR instead of simply resuming.
void restart_interrupted_calls(int signal_number) noexcept;

} // namespace socketserver::detail
