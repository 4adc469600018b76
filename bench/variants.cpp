// variants: what-if echo servers for the profiling notes in docs/benchmarks.md. Each one
// changes a single thing in how the framework serves a connection, so that its cost can be
// measured with bench/cost.py beside the real echo_server:
//
//   variants read64k      ThreadingTCPServer, handler loops rfile.read(64 KiB), a copy per piece
//   variants read4k       ... rfile.read(4 KiB): goes through the reader's 16 KiB buffer
//   variants raw          ... poll(), then read_some into a reused stack buffer (no allocation)
//   variants blocking     ... blocking recv() into a reused stack buffer (no poll, no allocation)
//   variants small-stack  a thread per connection with a 256 KiB stack, detached
//   variants thread-cache a thread per connection, but finished threads wait 2 s for the next
//
// All listen on 127.0.0.1 (port 0 unless --port N) and print `listening on HOST:PORT`.
// Not a product: no timeouts, no shutdown, bench use only.
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <array>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <socketserver/socketserver.hpp>

using namespace socketserver;
using namespace std::chrono_literals;

namespace {

std::string variant;

struct Echo : StreamRequestHandler {
  void handle() override {
    if (variant == "read4k") {
      for (std::string d = rfile.read(4096); !d.empty(); d = rfile.read(4096)) wfile.write(d);
    } else if (variant == "raw") {
      std::array<char, 16384> buffer;
      for (;;) {
        pollfd entry{connection().native_handle(), POLLIN, 0};
        ::poll(&entry, 1, -1);
        boost::system::error_code error;
        std::size_t n = connection().read_some(boost::asio::buffer(buffer), error);
        if (error == boost::asio::error::would_block) continue;
        if (error || n == 0) return;
        wfile.write(std::string_view(buffer.data(), n));
      }
    } else if (variant == "blocking") {
      connection().non_blocking(false);
      std::array<char, 16384> buffer;
      for (;;) {
        ssize_t n = ::recv(connection().native_handle(), buffer.data(), buffer.size(), 0);
        if (n <= 0) return;
        wfile.write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      }
    } else {  // read64k: a std::string per piece (echo_server's handler sends from rfile's buffer instead)
      for (std::string d = rfile.read(64 * 1024); !d.empty(); d = rfile.read(64 * 1024)) wfile.write(d);
    }
  }
};

// A detached thread per connection with a small stack: glibc keeps up to 40 MiB of freed
// stacks for reuse, so small stacks are recycled instead of mmap'ed and munmap'ed each time.
class SmallStackServer : public TCPServer {
public:
  using TCPServer::TCPServer;
  void process_request(Request request) override {
    auto* job = new Job{this, std::move(request)};
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (pthread_create(&thread, &attributes, &SmallStackServer::run, job) != 0) {
      shutdown_request(job->request);
      delete job;
    }
    pthread_attr_destroy(&attributes);
  }

private:
  struct Job {
    SmallStackServer* server;
    Request request;
  };
  static void* run(void* argument) {
    std::unique_ptr<Job> job(static_cast<Job*>(argument));
    job->server->process_request_inline(job->request);
    return nullptr;
  }
};

// A thread per connection as far as the handler can tell, but a thread that finishes waits
// a while for the next connection instead of exiting (like Java's cached thread pool).
class ThreadCacheServer : public TCPServer {
public:
  using TCPServer::TCPServer;
  void process_request(Request request) override {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(request));
    if (queue_.size() <= idle_) {
      ready_.notify_one();
      return;
    }
    lock.unlock();
    std::thread([this] { work(); }).detach();
  }

private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      while (queue_.empty()) {
        ++idle_;
        bool got = ready_.wait_for(lock, 2s, [this] { return !queue_.empty(); });
        --idle_;
        if (!got) return;
      }
      Request request = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      process_request_inline(request);
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Request> queue_;
  std::size_t idle_ = 0;
};

} // namespace

int main(int argc, char* argv[]) {
  if (argc < 2) {
    std::cerr << "usage: variants read64k|read4k|raw|blocking|small-stack|thread-cache [--port N]\n";
    return 2;
  }
  variant = argv[1];
  unsigned long port = 0;
  if (argc == 4 && std::string(argv[2]) == "--port") port = std::strtoul(argv[3], nullptr, 10);
  auto address = Address::inet("127.0.0.1", static_cast<std::uint16_t>(port));
  std::unique_ptr<BaseServer> server;
  if (variant == "small-stack") server = std::make_unique<SmallStackServer>(address, handler<Echo>());
  else if (variant == "thread-cache") server = std::make_unique<ThreadCacheServer>(address, handler<Echo>());
  else if (variant == "read64k" || variant == "read4k" || variant == "raw" || variant == "blocking")
    server = std::make_unique<ThreadingTCPServer>(address, handler<Echo>());
  else {
    std::cerr << "variants: unknown variant '" << variant << "'\n";
    return 2;
  }
  std::cout << "listening on " << server->server_address() << std::endl;
  server->serve_forever();
}
