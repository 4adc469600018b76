#include "socketserver/handlers/uppercase.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include <unicode/ucasemap.h>

namespace socketserver::handlers {
namespace {

// Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for invalid leads).
std::size_t sequence_length(unsigned char lead) noexcept {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 1;
}

bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }

// Root-locale case mapping: the same result in every environment. Thread-safe when const.
const UCaseMap* root_case_map() {
  static const UCaseMap* map = [] {
    UErrorCode status = U_ZERO_ERROR;
    UCaseMap* created = ucasemap_open("", 0, &status);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU: ") + u_errorName(status));
    return created;
  }();
  return map;
}

} // namespace

std::string to_upper_utf8(std::string_view utf8) {
  if (utf8.empty()) return {};
  if (utf8.size() > INT32_MAX / 3) throw std::length_error("to_upper_utf8: text too long");
  auto length = static_cast<std::int32_t>(utf8.size());
  std::string result(utf8.size() + utf8.size() / 2 + 16, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    std::int32_t size = ucasemap_utf8ToUpper(root_case_map(), result.data(), static_cast<std::int32_t>(result.size()),
                                             utf8.data(), length, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      result.assign(static_cast<std::size_t>(size), '\0');
      continue;
    }
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU upper-casing failed: ") + u_errorName(status));
    result.resize(static_cast<std::size_t>(size));
    return result;
  }
  throw std::runtime_error("ICU upper-casing failed: the result kept growing");
}

std::size_t complete_utf8_prefix(std::string_view data) noexcept {
  // Find the last byte that is not a continuation byte, among the last four.
  std::size_t size = data.size();
  for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
    auto byte = static_cast<unsigned char>(data[size - back]);
    if (is_continuation(byte)) continue;
    return sequence_length(byte) > back ? size - back : size;
  }
  return size;
}

void UppercaseHandler::handle() {
  std::string held;  // the first bytes of a character whose rest has not arrived yet
  for (std::string data = rfile.read(piece_size_); !data.empty(); data = rfile.read(piece_size_)) {
    held += data;
    std::size_t whole = complete_utf8_prefix(held);
    if (whole == 0) continue;
    std::string text = held.substr(0, whole);
    held.erase(0, whole);
    if (!answer(text)) return;
  }
  if (!held.empty()) answer(held);  // a broken character at the end: answer it as it is
}

bool UppercaseHandler::answer(std::string_view text) {
  std::string line = client_address().to_string() + " wrote: " + std::string(without_newline(text));
  if (!console_) {
    log_(line);
    wfile.write(to_upper_utf8(text));
    return true;
  }
  std::optional<std::string> reply = console_->ask(line);
  if (!reply) return false;
  wfile.write(*reply);
  return true;
}

void UppercaseDatagramHandler::handle() {
  const std::string& text = request().packet;
  std::string line = client_address().to_string() + " wrote: " + std::string(without_newline(text));
  if (!console_) {
    log_(line);
    wfile.write(to_upper_utf8(text));
  } else if (std::optional<std::string> reply = console_->ask(line)) {
    wfile.write(*reply);
  }
}

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

std::optional<std::string> OperatorConsole::ask(std::string_view line) {
  ConsoleLock lock(shared_->mutex);
  print_line(line);
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

} // namespace socketserver::handlers
