#include "socketserver/stop_on_signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "socketserver/detail/deadline.hpp"

namespace socketserver {
namespace {

std::atomic<BaseServer*> signalled_server{nullptr};
std::atomic<int> signal_pipe{-1};

// What the signal handler tells the watching thread, one byte each.
constexpr char signal_byte = 's';
constexpr char quit_byte = 'q';

extern "C" void stop_signalled_server(int) {
  int saved_errno = errno;
  if (BaseServer* server = signalled_server.load()) server->request_shutdown();
  if (int fd = signal_pipe.load(); fd >= 0) [[maybe_unused]] auto ignored = ::write(fd, &signal_byte, 1);
  errno = saved_errno;
}

// Waits for one byte from @p fd until @p deadline; 0 when the deadline passed first.
char next_byte(int fd, const detail::Deadline& deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - detail::Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
    }
    pollfd entry{fd, POLLIN, 0};
    int ready = ::poll(&entry, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (deadline && detail::Clock::now() >= *deadline) return 0;
      continue;
    }
    char byte = 0;
    ssize_t got = ::read(fd, &byte, 1);
    if (got == 1) return byte;
    if (got < 0 && errno == EINTR) continue;
    return quit_byte;  // the pipe broke: nothing more will come
  }
}

} // namespace

StopOnSignals::StopOnSignals(BaseServer& server, std::initializer_list<int> signals) {
  BaseServer* expected = nullptr;
  if (!signalled_server.compare_exchange_strong(expected, &server))
    throw std::logic_error("StopOnSignals: another instance is active");
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    signalled_server = nullptr;
    throw std::system_error(errno, std::system_category(), "StopOnSignals: pipe");
  }
  ::fcntl(pipe_[0], F_SETFL, 0);  // the watcher blocks on the read end; the handler never blocks
  signal_pipe = pipe_[1];
  watcher_ = std::thread([this, &server] { watch(server); });
  for (int signal_number : signals) {
    struct sigaction action {};
    action.sa_handler = stop_signalled_server;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    Saved saved{signal_number, {}};
    if (::sigaction(signal_number, &action, &saved.previous) == 0) saved_.push_back(saved);
  }
}

StopOnSignals::~StopOnSignals() {
  for (const Saved& saved : saved_) ::sigaction(saved.signal_number, &saved.previous, nullptr);
  signal_pipe = -1;
  [[maybe_unused]] auto ignored = ::write(pipe_[1], &quit_byte, 1);
  watcher_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
  signalled_server = nullptr;
}

// The first signal starts the drain clock; its deadline, or a second signal, cuts.
void StopOnSignals::watch(BaseServer& server) {
  detail::Deadline drain_deadline;
  bool draining = false;
  for (;;) {
    char byte = next_byte(pipe_[0], drain_deadline);
    if (byte == quit_byte) return;
    if (byte == signal_byte && !draining) {
      draining = true;
      drain_deadline = detail::deadline_after(server.drain_timeout);
      continue;
    }
    const char* why = byte == signal_byte ? "a second stop signal" : "the drain timeout passed";
    drain_deadline.reset();
    if (std::size_t cut = server.cut_requests(); cut > 0 || byte == signal_byte)
      server.log_message(std::string(why) + ": cut " + std::to_string(cut) + " request(s) still being served");
  }
}

} // namespace socketserver
