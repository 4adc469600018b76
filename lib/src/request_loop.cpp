#include "request_loop.hpp"

#include <boost/asio/error.hpp>

namespace socketserver::detail {

RequestLoop::RequestLoop(boost::asio::io_context& context, StartRequestWait start_request_wait)
    : context_(context), start_request_wait_(std::move(start_request_wait)), waker_(context), timer_(context) {}

RequestLoop::Event RequestLoop::wait(Deadline deadline, bool accepting) {
  if (paused_until_ && Clock::now() >= *paused_until_) paused_until_.reset();
  if (paused_until_ && (!deadline || *paused_until_ < *deadline)) deadline = paused_until_;

  arm_request_wait(accepting && !paused_until_);
  arm_wakeup();
  arm_deadline(deadline);

  context_.restart();
  while (!request_ready_ && !woken_ && !deadline_passed_) context_.run_one();

  if (woken_) {
    woken_ = false;
    return Event::wakeup;
  }
  if (request_ready_) {
    request_ready_ = false;
    return Event::request;
  }
  deadline_passed_ = false;
  return Event::deadline;
}

void RequestLoop::arm_request_wait(bool accepting) {
  if (request_wait_armed_ || request_ready_ || !accepting) return;
  request_wait_armed_ = true;
  start_request_wait_([this](const boost::system::error_code& error) {
    request_wait_armed_ = false;
    // On an error, let get_request() meet it and report it.
    if (error != boost::asio::error::operation_aborted) request_ready_ = true;
  });
}

void RequestLoop::arm_wakeup() {
  if (wakeup_armed_) return;
  wakeup_armed_ = true;
  waker_.async_wait([this] {
    wakeup_armed_ = false;
    woken_ = true;
  });
}

void RequestLoop::arm_deadline(Deadline deadline) {
  if (deadline == armed_deadline_ && !deadline_passed_) return;
  armed_deadline_ = deadline;
  deadline_passed_ = false;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*deadline);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;
    armed_deadline_.reset();
    deadline_passed_ = true;
  });
}

void RequestLoop::pause_accepting(Seconds pause) { paused_until_ = time_after(pause); }

void RequestLoop::cancel() {
  timer_.cancel();
  waker_.cancel();
}

} // namespace socketserver::detail
