#include "operator_console.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "print_lines.hpp"

namespace example {

// The lock lives in anonymous shared memory, so forked children share it with the parent.
struct OperatorConsole::Shared {
  pthread_mutex_t mutex;
};

namespace {

void check(int error, const char* what) {
  if (error != 0) throw std::system_error(error, std::generic_category(), what);
}

class ConsoleLock {
public:
  explicit ConsoleLock(pthread_mutex_t& mutex) : mutex_(mutex) {
    int error = pthread_mutex_lock(&mutex_);
    if (error == EOWNERDEAD) error = pthread_mutex_consistent(&mutex_);  // a child died holding it
    check(error, "operator console lock");
  }
  ~ConsoleLock() { pthread_mutex_unlock(&mutex_); }
  ConsoleLock(const ConsoleLock&) = delete;
  ConsoleLock& operator=(const ConsoleLock&) = delete;

private:
  pthread_mutex_t& mutex_;
};

} // namespace

OperatorConsole::OperatorConsole(int input_fd, std::string prompt)
    : input_fd_(input_fd), prompt_(std::move(prompt)) {
  void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "operator console mmap");
  shared_ = static_cast<Shared*>(memory);
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  int error = pthread_mutex_init(&shared_->mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (error != 0) {
    ::munmap(shared_, sizeof(Shared));
    check(error, "operator console mutex");
  }
}

OperatorConsole::~OperatorConsole() {
  pthread_mutex_destroy(&shared_->mutex);
  ::munmap(shared_, sizeof(Shared));
}

std::optional<std::string> OperatorConsole::ask(std::string_view question) {
  ConsoleLock lock(shared_->mutex);
  print_line(question);
  std::fwrite(prompt_.data(), 1, prompt_.size(), stdout);
  std::fflush(stdout);
  std::string reply;
  for (;;) {
    char byte = 0;
    ssize_t count = ::read(input_fd_, &byte, 1);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      if (reply.empty()) return std::nullopt;
      break;
    }
    if (byte == '\n') break;
    reply.push_back(byte);
  }
  if (!reply.empty() && reply.back() == '\r') reply.pop_back();
  return reply;
}

} // namespace example
