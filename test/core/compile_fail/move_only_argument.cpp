// Must not compile: handler<H>() with a move-only argument. The test checks that the
// error is the library's one-line remedy.
#include <memory>

#include <socketserver/socketserver.hpp>

struct Holder : socketserver::BaseRequestHandler {
  explicit Holder(std::unique_ptr<int>&) {}
};

int main() {
  auto factory = socketserver::handler<Holder>(std::make_unique<int>(1));
  return factory ? 0 : 1;
}
