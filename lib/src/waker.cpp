#include "waker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

struct PipeEnds {
  int read = -1;
  int write = -1;
};

PipeEnds make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0)
    throw boost::system::system_error(errno, boost::system::system_category(), "pipe2");
  return {ends[0], ends[1]};
}

} // namespace

Waker::Waker(boost::asio::io_context& context) : reader_(context) {
  PipeEnds ends = make_pipe();
  reader_.assign(ends.read);
  reader_.non_blocking(true);  // or Asio turns EAGAIN into a blocking poll() when draining
  writer_ = ends.write;
}

Waker::~Waker() {
  if (writer_ >= 0) ::close(writer_);
}

void Waker::notify() noexcept {
  int saved_errno = errno;  // signal handlers must leave errno as they found it
  char byte = 1;
  // A full pipe already holds a pending wake-up, so EAGAIN is fine to ignore.
  [[maybe_unused]] auto ignored = ::write(writer_, &byte, 1);
  errno = saved_errno;
}

void Waker::async_wait(std::function<void()> done) {
  reader_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                     [this, done = std::move(done)](const boost::system::error_code& error) {
                       if (error == boost::asio::error::operation_aborted) return;
                       char drain[64];
                       boost::system::error_code ignored;
                       while (reader_.read_some(boost::asio::buffer(drain), ignored) > 0) {
                       }
                       done();
                     });
}

void Waker::cancel() { reader_.cancel(); }

} // namespace socketserver::detail
