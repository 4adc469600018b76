// Must not compile: handler<H>() with an argument that holds a std::mutex (not copyable).
// The test checks that the error is the library's one-line remedy.
#include <mutex>

#include <socketserver/socketserver.hpp>

struct Shared {
  std::mutex lock;
  int visitors = 0;
};

struct Counter : socketserver::BaseRequestHandler {
  explicit Counter(Shared&) {}
};

int main() {
  Shared shared;
  auto factory = socketserver::handler<Counter>(std::move(shared));
  return factory ? 0 : 1;
}
