#include "socketserver/base_server.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <sstream>

#include "active_connections.hpp"
#include "multiplexed_connections.hpp"
#include "socketserver/message_request_handler.hpp"

namespace socketserver {
namespace {

using Clock = std::chrono::steady_clock;

// A peer that resets the connection while we write must be an error on that connection,
// not the death of the process. Leave a handler the application installed alone.
void ignore_sigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    std::signal(SIGPIPE, SIG_IGN);
}

std::string describe(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

} // namespace

BaseServer::BaseServer(Address address, HandlerFactory factory)
    : waker_(loop_context_),
      deadline_timer_(loop_context_),
      server_address_(std::move(address)),
      factory_(std::move(factory)),
      active_connections_(std::make_unique<detail::ActiveConnections>()),
      multiplexed_(std::make_unique<detail::MultiplexedConnections>(loop_context_, *this)) {
  ignore_sigpipe();
}

BaseServer::~BaseServer() = default;

void BaseServer::serve_forever(Seconds poll_interval) {
  {
    std::lock_guard lock(serving_mutex_);
    serving_ = true;
    serving_thread_ = std::this_thread::get_id();
  }
  auto interval = std::chrono::duration_cast<Clock::duration>(poll_interval);
  auto next_service = Clock::now() + interval;
  in_serve_forever_ = true;
  try {
    while (!shutdown_requested_.load()) {
      LoopEvent event = wait_for_event(next_service);
      if (shutdown_requested_.load()) break;
      if (event == LoopEvent::request) handle_request_noblock();
      if (Clock::now() >= next_service) next_service = Clock::now() + interval;
      service_actions();
    }
  } catch (...) {
    finish_serving();
    throw;
  }
  finish_serving();
}

void BaseServer::finish_serving() {
  in_serve_forever_ = false;
  std::lock_guard lock(serving_mutex_);
  shutdown_requested_ = false;
  serving_ = false;
  serving_thread_ = {};
  serving_done_.notify_all();
}

void BaseServer::shutdown() {
  request_shutdown();
  std::unique_lock lock(serving_mutex_);
  if (serving_thread_ == std::this_thread::get_id()) return;  // called by a sync handler
  serving_done_.wait(lock, [this] { return !serving_.load(); });
}

void BaseServer::request_shutdown() noexcept {
  shutdown_requested_ = true;
  waker_.notify();
}

void BaseServer::handle_request() {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(*timeout);
  for (;;) {
    LoopEvent event = wait_for_event(deadline);
    if (event == LoopEvent::request) return handle_request_noblock();
    if (deadline && Clock::now() >= *deadline) return handle_timeout();
  }
}

void BaseServer::handle_request_noblock() {
  std::optional<Request> request;
  try {
    request = get_request();
  } catch (const std::exception& e) {
    std::cerr << "socketserver: " << server_address_ << ": " << e.what() << '\n';
    return;
  }
  if (!request) return;
  Address client = request->client_address;  // process_request() takes the request away
  try {
    if (verify_request(*request)) {
      process_request(std::move(*request));
    } else {
      shutdown_request(*request);
    }
  } catch (...) {
    request->client_address = client;
    handle_error(*request, std::current_exception());
    shutdown_request(*request);
  }
}

BaseServer::LoopEvent BaseServer::wait_for_event(std::optional<Clock::time_point> deadline) {
  if (accept_paused_until_ && Clock::now() >= *accept_paused_until_) accept_paused_until_.reset();
  if (accept_paused_until_ && (!deadline || *accept_paused_until_ < *deadline))
    deadline = accept_paused_until_;

  if (!request_wait_armed_ && !request_ready_ && !accept_paused_until_ && ready_to_accept()) {
    request_wait_armed_ = true;
    async_wait_for_request([this](const boost::system::error_code& error) {
      request_wait_armed_ = false;
      // On an error, let get_request() meet it and report it.
      if (error != boost::asio::error::operation_aborted) request_ready_ = true;
    });
  }
  if (!waker_wait_armed_) {
    waker_wait_armed_ = true;
    waker_.async_wait([this] {
      waker_wait_armed_ = false;
      woken_ = true;
    });
  }
  arm_deadline(deadline);

  loop_context_.restart();
  while (!request_ready_ && !woken_ && !deadline_passed_) loop_context_.run_one();

  if (woken_) {
    woken_ = false;
    return LoopEvent::wakeup;
  }
  if (request_ready_) {
    request_ready_ = false;
    return LoopEvent::request;
  }
  deadline_passed_ = false;
  return LoopEvent::deadline;
}

void BaseServer::arm_deadline(std::optional<Clock::time_point> deadline) {
  if (deadline == armed_deadline_ && !deadline_passed_) return;
  armed_deadline_ = deadline;
  deadline_passed_ = false;
  if (!deadline) {
    deadline_timer_.cancel();
    return;
  }
  deadline_timer_.expires_at(*deadline);
  deadline_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;
    armed_deadline_.reset();
    deadline_passed_ = true;
  });
}

void BaseServer::pause_accepting(Seconds pause) {
  accept_paused_until_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(pause);
}

void BaseServer::server_close() {
  if (!serving_.load() && multiplexed_->size() > 0) {
    std::optional<Clock::time_point> deadline;
    if (drain_timeout) deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(*drain_timeout);
    multiplexed_->drain(deadline);
  }
  deadline_timer_.cancel();
  waker_.cancel();
}

bool BaseServer::verify_request(const Request& request) {
  if (allowed_networks.allows(request.client_address)) return true;
  std::ostringstream line;
  line << "socketserver: refused " << request.client_address << ": not in the allowed networks\n";
  std::cerr << line.str() << std::flush;
  return false;
}

void BaseServer::process_request(Request request) {
  // Only here, in serve_forever(), may finish_request() hand a connection to the loop: a
  // mix-in's thread, worker or child serves the whole connection.
  multiplexing_ = in_serve_forever_;
  process_request_inline(request);
  multiplexing_ = false;
}

void BaseServer::bind_and_activate() {
  try {
    server_bind();
    server_activate();
  } catch (...) {
    server_close();
    throw;
  }
}

void BaseServer::after_fork_in_child() {}

void BaseServer::finish_request(Request& request) {
  std::unique_ptr<BaseRequestHandler> handler = factory_();
  if (multiplexing_ && request.is_stream()) {
    if (auto* by_message = dynamic_cast<MessageRequestHandler*>(handler.get())) {
      handler.release();
      multiplexed_->adopt(std::move(request), std::unique_ptr<MessageRequestHandler>(by_message));
      request.connection.reset();
      return;
    }
  }
  handler->run(request, *this);
}

void BaseServer::shutdown_request(Request& request) { close_request(request); }

void BaseServer::close_request(Request&) {}

bool BaseServer::process_request_inline(Request& request) noexcept {
  // Registered while the handler runs, unregistered before shutdown_request() closes the
  // descriptor (see ActiveConnections).
  std::optional<detail::ActiveConnections::Id> active;
  if (request.connection && request.connection->is_open()) {
    try {
      active = active_connections_->add(request.connection->native_handle());
    } catch (...) {  // out of memory: serve it anyway, it just cannot be drained early
    }
  }
  bool ok = true;
  try {
    finish_request(request);
  } catch (...) {
    ok = false;
    try {
      handle_error(request, std::current_exception());
    } catch (...) {
    }
  }
  if (active) active_connections_->remove(*active);
  try {
    shutdown_request(request);
  } catch (...) {
  }
  return ok;
}

std::size_t BaseServer::shutdown_active_connections() noexcept {
  return active_connections_->shutdown_all();
}

void BaseServer::handle_error(const Request& request, std::exception_ptr error) {
  std::ostringstream line;
  line << "socketserver: error handling request from " << request.client_address << ": "
       << describe(error) << '\n';
  std::cerr << line.str() << std::flush;
}

void BaseServer::log_message(std::string_view text) noexcept {
  try {
    std::string line = "socketserver: ";
    line.append(text);
    line += '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
      ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return;
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
  } catch (...) {  // out of memory: the line is lost, the server goes on
  }
}

void BaseServer::handle_timeout() {}

void BaseServer::service_actions() {}

} // namespace socketserver
