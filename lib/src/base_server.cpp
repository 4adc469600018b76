#include "socketserver/base_server.hpp"

#include <csignal>
#include <iostream>
#include <string>

#include "active_connections.hpp"
#include "request_loop.hpp"
#include "socketserver/message_request_handler.hpp"

namespace socketserver {
namespace {

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
    : loop_(std::make_unique<detail::RequestLoop>(
          loop_context_, [this](auto done) { async_wait_for_request(std::move(done)); })),
      server_address_(std::move(address)),
      factory_(std::move(factory)),
      active_connections_(std::make_unique<detail::ActiveConnections>()) {
  ignore_sigpipe();
  // Asio makes a context's reactor (an epoll and an eventfd descriptor) when its first
  // socket is made. Make it now, so that running out of descriptors later under load
  // costs one connection instead of throwing from deep inside the request loop.
  StreamSocket warm_up(connection_context_);
}

BaseServer::~BaseServer() = default;

void BaseServer::serve_forever(Seconds poll_interval) {
  {
    std::lock_guard lock(serving_mutex_);
    serving_ = true;
    serving_thread_ = std::this_thread::get_id();
  }
  // The poll deadline moves only once it has passed: re-arming the loop's timer after
  // every request would cost a timer update per request.
  auto next_service = detail::time_after(poll_interval);
  try {
    while (!shutdown_requested_.load()) {
      auto event = loop_->wait(next_service, ready_to_accept());
      if (shutdown_requested_.load()) break;
      if (event == detail::RequestLoop::Event::request) take_requests();
      if (detail::Clock::now() >= next_service) next_service = detail::time_after(poll_interval);
      service_actions();
    }
  } catch (...) {
    finish_serving();
    throw;
  }
  finish_serving();
}

void BaseServer::finish_serving() {
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
  loop_->notify();
}

void BaseServer::wake_loop() noexcept { loop_->notify(); }

void BaseServer::handle_request() {
  detail::Deadline deadline = detail::deadline_after(timeout);
  for (;;) {
    auto event = loop_->wait(deadline, ready_to_accept());
    if (event == detail::RequestLoop::Event::request) {
      handle_request_noblock();
      return;
    }
    if (deadline && detail::Clock::now() >= *deadline) return handle_timeout();
  }
}

void BaseServer::take_requests() {
  // A bounded batch per wake-up: when the loop also serves many connections (async mode),
  // a wake-up comes only after the loop's turn through its ready fibers, and 16 a turn
  // emptied a queue of 10,000 connects at about 500 a second.
  constexpr int batch = 128;
  for (int taken = 0; taken < batch; ++taken) {
    if (!handle_request_noblock() || shutdown_requested_.load() || !ready_to_accept()) return;
  }
}

bool BaseServer::handle_request_noblock() {
  std::optional<Request> request;
  try {
    request = get_request();
  } catch (const std::exception& e) {
    log_message(server_address_.to_string() + ": " + e.what());
    return false;
  }
  if (!request) return false;
  admit(*request);
  Address client = request->client_address;  // process_request() takes the request away
  try {
    // A request still to be opened is verified once it is open (process_request_inline()).
    if (needs_opening(*request) || verify_request(*request)) {
      process_request(std::move(*request));
    } else {
      shutdown_request(*request);
    }
  } catch (...) {
    request->client_address = client;
    handle_error(*request, std::current_exception());
    shutdown_request(*request);
  }
  return true;
}

void BaseServer::admit(Request& request) {
  if (!request.is_stream()) return;
  // The token goes wherever the request goes (a worker, a child's parent copy, the idle
  // set) and gives the place back when the request is destroyed, whoever does that.
  request.admission = std::shared_ptr<void>(nullptr, [this](void*) {
    if (open_connections_.fetch_sub(1) == max_connections) wake_loop();
  });
  ++open_connections_;
}

std::size_t BaseServer::cut_requests() noexcept { return shutdown_active_connections(); }

void BaseServer::pause_accepting(Seconds pause) { loop_->pause_accepting(pause); }

void BaseServer::server_close() { loop_->cancel(); }

bool BaseServer::verify_request(const Request& request) {
  if (allowed_networks.allows(request.client_address)) return true;
  log_message("refused " + request.client_address.to_string() + ": not in the allowed networks");
  return false;
}

void BaseServer::process_request(Request request) { process_request_inline(request); }

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

bool BaseServer::needs_opening(const Request&) const noexcept { return false; }

bool BaseServer::open_request(Request&) { return true; }

void BaseServer::finish_request(Request& request) {
  factory_()->run(request, *this);
}

void BaseServer::shutdown_request(Request& request) { close_request(request); }

void BaseServer::close_request(Request&) {}

void BaseServer::process_request_on_fiber(Request& request) noexcept {
  if (request.connection) {
    boost::system::error_code ignored;
    request.connection->non_blocking(true, ignored);
  }
  process_request_inline(request);
}

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
    if (!needs_opening(request) || (open_request(request) && verify_request(request))) finish_request(request);
  } catch (...) {
    ok = false;
    try {
      handle_error(request, std::current_exception());
    } catch (...) {  // an override that throws has nobody left to report to
    }
  }
  if (active) active_connections_->remove(*active);
  try {
    shutdown_request(request);
  } catch (...) {  // an override that throws: the connection is closed by its destructor anyway
  }
  return ok;
}

std::size_t BaseServer::shutdown_active_connections() noexcept {
  return active_connections_->shutdown_all();
}

void BaseServer::handle_error(const Request& request, std::exception_ptr error) {
  log_message("error handling request from " + request.client_address.to_string() + ": " +
              describe(error));
}

void BaseServer::log_message(std::string_view text) noexcept {
  try {
    std::string line = "socketserver: ";
    line.append(text);
    line += '\n';
    std::cerr << line << std::flush;  // one write: lines of threads and children do not interleave
  } catch (...) {  // out of memory: the line is lost, the server goes on
  }
}

void BaseServer::handle_timeout() {}

void BaseServer::service_actions() {}

} // namespace socketserver
