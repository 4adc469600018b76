#include "hardening_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace hardening {
namespace asio = boost::asio;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

namespace {

int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

Clock::time_point after(Seconds timeout) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
}

// The fields of /proc/PID/stat after the parenthesised command name; none when the
// process is gone. (Plain read(): libstdc++'s filebuf throws when a read fails with ESRCH,
// which happens when the process exits while we read.)
std::vector<std::string> stat_fields(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buffer[4096];
  ssize_t count = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (count <= 0) return {};
  std::string text(buffer, static_cast<std::size_t>(count));
  auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

std::size_t entries(const std::string& directory) {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) ++count;
  return count;
}

} // namespace

ExampleServer::ExampleServer(const std::string& name, std::vector<std::string> args, const std::string& shell_prefix,
                             bool capture_stderr) {
  bool has_unix = false;
  for (const auto& arg : args) has_unix |= arg == "--unix";
  if (!has_unix) {
    args.push_back("--port");
    args.push_back("0");
  }
  std::string program = test_support::binary("examples/" + name);
  if (shell_prefix.empty()) {
    process_ = std::make_unique<test_support::ChildProcess>(program, args, "", capture_stderr);
  } else {
    std::vector<std::string> shell_args{"-c", shell_prefix + " && exec \"$0\" \"$@\"", program};
    shell_args.insert(shell_args.end(), args.begin(), args.end());
    process_ = std::make_unique<test_support::ChildProcess>("/bin/sh", shell_args, "", capture_stderr);
  }
  address_ = test_support::parse_listening_line(process_->wait_for_line("listening on ", 20s));
}

std::optional<int> ExampleServer::stop(int signal_number, Seconds timeout) {
  process_->send_signal(signal_number);
  return process_->wait(timeout);
}

double cpu_seconds(pid_t pid) {
  auto fields = stat_fields(pid);
  // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name and state.
  if (fields.size() < 13) return 0;
  return double(std::stoull(fields[11]) + std::stoull(fields[12])) / double(::sysconf(_SC_CLK_TCK));
}

std::size_t fd_count(pid_t pid) { return entries("/proc/" + std::to_string(pid) + "/fd"); }

std::size_t thread_count(pid_t pid) { return entries("/proc/" + std::to_string(pid) + "/task"); }

namespace {

// Calls visit(pid, state) for each child of @p parent.
template <class Visit>
void for_each_child(pid_t parent, Visit visit) {
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
    auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    auto fields = stat_fields(pid);
    if (fields.size() > 1 && std::stoi(fields[1]) == parent) visit(pid, fields[0]);
  }
}

} // namespace

std::size_t zombie_children_of(pid_t parent) {
  std::size_t count = 0;
  for_each_child(parent, [&](pid_t, const std::string& state) { count += state == "Z"; });
  return count;
}

std::vector<pid_t> live_children_of(pid_t parent) {
  std::vector<pid_t> children;
  for_each_child(parent, [&](pid_t pid, const std::string& state) {
    if (state != "Z") children.push_back(pid);
  });
  return children;
}

std::size_t rss_bytes(pid_t pid) {
  // Field 24 of stat: resident pages.
  auto fields = stat_fields(pid);
  if (fields.size() < 22) return 0;
  return std::stoull(fields[21]) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

bool signal_pending(pid_t pid, int signal_number) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  unsigned long long mask = 0;
  while (std::getline(status, line))
    if (line.starts_with("ShdPnd:") || line.starts_with("SigPnd:")) mask |= std::stoull(line.substr(7), nullptr, 16);
  return (mask >> (signal_number - 1)) & 1;
}

bool echoes(const Address& address, const std::string& data) {
  RawClient client(address);
  if (!client.send_all(data)) return false;
  client.half_close();
  auto reply = client.receive_all(10s);
  return reply.closed && reply.data == data;
}

RawClient::RawClient(const Address& server, const std::string& local_host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (server.is_unix()) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    std::strncpy(un->sun_path, server.path().c_str(), sizeof un->sun_path - 1);
    length = sizeof(sockaddr_un);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(server.port());
    std::string host = server.host().empty() ? "127.0.0.1" : server.host();
    if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) throw std::runtime_error("not IPv4: " + host);
    length = sizeof(sockaddr_in);
  }
  fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  if (!local_host.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, local_host.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      throw std::system_error(errno, std::generic_category(), "bind " + local_host);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "connect " + server.to_string());
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

RawClient::~RawClient() {
  // shutdown() first: a server forked from this test process holds copies of our
  // descriptors, so close() alone would not end the connection for it.
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
  }
}

std::size_t RawClient::send_some(std::string_view data, Seconds timeout) {
  auto deadline = after(timeout);
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t count = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count > 0) {
      sent += static_cast<std::size_t>(count);
      continue;
    }
    if (count < 0 && errno != EAGAIN && errno != EINTR) break;
    pollfd entry{fd_, POLLOUT, 0};
    if (::poll(&entry, 1, millis_left(deadline)) <= 0 && Clock::now() >= deadline) break;
  }
  return sent;
}

bool RawClient::send_all(std::string_view data, Seconds timeout) { return send_some(data, timeout) == data.size(); }

RawClient::Received RawClient::receive(Seconds timeout, std::size_t max) {
  Received result;
  pollfd entry{fd_, POLLIN, 0};
  auto deadline = after(timeout);
  for (;;) {
    int ready = ::poll(&entry, 1, millis_left(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return result;
    std::string chunk(max, '\0');
    ssize_t count = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (count < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (count <= 0) {
      result.closed = true;
      return result;
    }
    chunk.resize(static_cast<std::size_t>(count));
    result.data = std::move(chunk);
    return result;
  }
}

RawClient::Received RawClient::receive_exactly(std::size_t size, Seconds timeout) {
  Received result;
  auto deadline = after(timeout);
  while (result.data.size() < size && !result.closed && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<Seconds>(deadline - Clock::now());
    Received piece = receive(left, size - result.data.size());
    result.data += piece.data;
    result.closed = piece.closed;
  }
  return result;
}

RawClient::Received RawClient::receive_all(Seconds timeout) {
  Received result;
  auto deadline = after(timeout);
  while (!result.closed && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<Seconds>(deadline - Clock::now());
    Received piece = receive(left);
    result.data += piece.data;
    result.closed = piece.closed;
  }
  return result;
}

bool RawClient::wait_closed(Seconds timeout) {
  auto deadline = after(timeout);
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<Seconds>(deadline - Clock::now());
    if (receive(left).closed) return true;
  }
  return false;
}

void RawClient::half_close() { ::shutdown(fd_, SHUT_WR); }

void RawClient::reset() {
  linger option{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  ::close(fd_);
  fd_ = -1;
}

namespace {

// One connection of a flood: connect, send a line, half-close, read to the end, compare.
class FloodConnection : public std::enable_shared_from_this<FloodConnection> {
public:
  FloodConnection(asio::io_context& context, std::string line, Seconds timeout, std::function<void(int, std::string)> done)
      : socket_(context), timer_(context), line_(std::move(line)), timeout_(timeout), done_(std::move(done)) {}

  void start(const socketserver::StreamSocket::endpoint_type& endpoint) {
    auto self = shared_from_this();
    timer_.expires_after(std::chrono::duration_cast<Clock::duration>(timeout_));
    timer_.async_wait([self](const boost::system::error_code& error) {
      if (!error) self->finish(2, "timed out after receiving '" + self->received_ + "'");
    });
    socket_.async_connect(endpoint, [self](const boost::system::error_code& error) {
      if (error) return self->finish(1, "connect: " + error.message());
      asio::async_write(self->socket_, asio::buffer(self->line_), [self](const boost::system::error_code& error, std::size_t) {
        if (error) return self->finish(self->received_.empty() ? 1 : 2, "write: " + error.message());
        boost::system::error_code ignored;
        self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
        self->read();
      });
    });
  }

private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(chunk_), [self](const boost::system::error_code& error, std::size_t size) {
      self->received_.append(self->chunk_, size);
      if (!error) return self->read();
      if (error == asio::error::eof) {
        if (self->received_ == self->line_) return self->finish(0, "");
        if (self->received_.empty()) return self->finish(1, "closed without a reply");
        return self->finish(2, "got '" + self->received_ + "'");
      }
      self->finish(self->received_.empty() ? 1 : 2, "read: " + error.message());
    });
  }

  void finish(int outcome, std::string what) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    done_(outcome, std::move(what));
  }

  socketserver::StreamSocket socket_;
  asio::steady_timer timer_;
  std::string line_;
  Seconds timeout_;
  std::function<void(int, std::string)> done_;
  std::string received_;
  char chunk_[256];
  bool finished_ = false;
};

} // namespace

FloodResult flood_echo(const Address& server, std::size_t connections, std::size_t in_flight,
                       Seconds per_connection_timeout) {
  asio::io_context context;
  socketserver::StreamSocket::endpoint_type endpoint;
  if (server.is_unix()) {
    endpoint = asio::local::stream_protocol::endpoint(server.path());
  } else {
    std::string host = server.host().empty() ? "127.0.0.1" : server.host();
    endpoint = asio::ip::tcp::endpoint(asio::ip::make_address(host), server.port());
  }
  FloodResult result;
  std::size_t started = 0;
  auto start = Clock::now();
  std::function<void()> launch;
  auto done = [&](int outcome, std::string what) {
    if (outcome == 0) ++result.answered;
    else if (outcome == 1) ++result.refused;
    else ++result.wrong;
    if (outcome != 0 && result.samples.size() < 5) result.samples.push_back(what);
    launch();
  };
  launch = [&] {
    if (started >= connections) return;
    std::string line = "flood " + std::to_string(started++) + "\n";
    std::make_shared<FloodConnection>(context, std::move(line), per_connection_timeout, done)->start(endpoint);
  };
  for (std::size_t i = 0; i < in_flight; ++i) launch();
  context.run();
  result.seconds = seconds_since(start);
  return result;
}

} // namespace hardening
