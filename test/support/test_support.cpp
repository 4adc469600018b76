#include "test_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#ifndef SOCKETSERVER_BINARY_DIR
#error "SOCKETSERVER_BINARY_DIR must be defined by the build"
#endif

namespace test_support {
namespace asio = boost::asio;

namespace {

asio::generic::stream_protocol::endpoint stream_endpoint(const Address& address) {
  if (address.is_unix()) return asio::local::stream_protocol::endpoint(address.path());
  std::string host = address.host().empty() ? "127.0.0.1" : address.host();
  if (host == "localhost") host = "127.0.0.1";
  return asio::ip::tcp::endpoint(asio::ip::make_address(host), address.port());
}

int poll_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

} // namespace

Client::Client(const Address& address, Seconds timeout) : socket_(context_) {
  auto endpoint = stream_endpoint(address);
  socket_.open(endpoint.protocol());
  socket_.non_blocking(true);
  boost::system::error_code error;
  socket_.connect(endpoint, error);
  if (error == asio::error::in_progress || error == asio::error::would_block) {
    pollfd entry{socket_.native_handle(), POLLOUT, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    int ready;
    while ((ready = ::poll(&entry, 1, poll_ms(deadline))) < 0 && errno == EINTR) {
    }
    if (ready != 1) throw std::runtime_error("connect timed out");
    int so_error = 0;
    socklen_t length = sizeof so_error;
    ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &so_error, &length);
    if (so_error != 0) throw boost::system::system_error(so_error, boost::system::system_category(), "connect");
  } else if (error) {
    throw boost::system::system_error(error, "connect " + address.to_string());
  }
  reader_.timeout = timeout;
  reader_.max_line_length = 1 << 30;
  reader_.attach(socket_);
  writer_.timeout = timeout;
  writer_.attach(socket_, 0);
}

Client::~Client() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void Client::send(std::string_view data) { writer_.write(data); }
std::string Client::recv(std::size_t max) { return reader_.read(max); }
std::string Client::read_exactly(std::size_t size) { return reader_.read_exactly(size); }
std::string Client::readline() { return reader_.readline(); }
std::string Client::read_all() { return reader_.read_all(std::size_t(1) << 34); }

void Client::half_close() { socket_.shutdown(asio::socket_base::shutdown_send); }

void Client::reset() {
  socket_.set_option(asio::socket_base::linger(true, 0));
  socket_.close();
}

Address Client::local_address() const {
  auto endpoint = socket_.local_endpoint();
  if (endpoint.protocol().family() == AF_UNIX) return Address::unix_socket("");
  const auto* raw = reinterpret_cast<const sockaddr*>(endpoint.data());
  char host[128] = {};
  std::uint16_t port = 0;
  if (raw->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(raw);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
  } else {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(raw);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
  }
  return Address::inet(host, port);
}

std::string datagram_exchange(const Address& server, std::string_view data, Seconds timeout,
                              const std::string& unix_client_path) {
  asio::io_context context;
  socketserver::DatagramSocket socket(context);
  socketserver::DatagramEndpoint destination;
  if (server.is_unix()) {
    destination = asio::local::datagram_protocol::endpoint(server.path());
    socket.open(destination.protocol());
    if (unix_client_path.empty()) throw std::logic_error("a Unix datagram client needs its own path");
    ::unlink(unix_client_path.c_str());
    socket.bind(asio::local::datagram_protocol::endpoint(unix_client_path));
  } else {
    std::string host = server.host().empty() ? "127.0.0.1" : server.host();
    destination = asio::ip::udp::endpoint(asio::ip::make_address(host), server.port());
    socket.open(destination.protocol());
  }
  socket.send_to(asio::buffer(data.data(), data.size()), destination);
  pollfd entry{socket.native_handle(), POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  int ready;
  // A signal (SIGCHLD of a forking server's child, which Boost.Test catches) interrupts
  // poll(): wait again for what is left of the deadline.
  while ((ready = ::poll(&entry, 1, poll_ms(deadline))) < 0 && errno == EINTR) {
  }
  if (ready != 1) {
    if (!unix_client_path.empty()) ::unlink(unix_client_path.c_str());
    throw std::runtime_error("no datagram reply within the timeout");
  }
  std::string reply(70000, '\0');
  std::size_t size = socket.receive(asio::buffer(reply));
  reply.resize(size);
  if (!unix_client_path.empty()) ::unlink(unix_client_path.c_str());
  return reply;
}

ServerThread::ServerThread(socketserver::BaseServer& server, Seconds poll_interval)
    : server_(server), thread_([this, poll_interval] { server_.serve_forever(poll_interval); }) {}

ServerThread::~ServerThread() {
  stop();
  server_.server_close();
}

void ServerThread::stop() {
  if (!thread_.joinable()) return;
  server_.shutdown();
  thread_.join();
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& stdin_data, bool capture_stderr) {
  int out[2], err[2] = {-1, -1}, in[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  if (capture_stderr && ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    if (capture_stderr) ::dup2(err[1], 2);
    ::dup2(in[0], 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(in[0]);
  if (capture_stderr) ::close(err[1]);
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  stdin_fd_ = in[1];
  if (!stdin_data.empty()) write_stdin(stdin_data);
}

ChildProcess::~ChildProcess() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    wait(5s);
  }
  for (int fd : {stdout_fd_, stderr_fd_, stdin_fd_})
    if (fd >= 0) ::close(fd);
}

std::optional<std::string> ChildProcess::read_line(Seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  for (;;) {
    if (auto newline = pending_.find('\n'); newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    pollfd entry{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&entry, 1, poll_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[4096];
    ssize_t count = ::read(stdout_fd_, chunk, sizeof chunk);
    if (count <= 0) {
      if (pending_.empty()) return std::nullopt;
      std::string line;
      line.swap(pending_);
      return line;
    }
    pending_.append(chunk, static_cast<std::size_t>(count));
  }
}

std::string ChildProcess::wait_for_line(const std::string& prefix, Seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  for (;;) {
    auto left = std::chrono::duration_cast<Seconds>(deadline - std::chrono::steady_clock::now());
    auto line = read_line(left.count() > 0 ? left : Seconds(0));
    if (!line) throw std::runtime_error("no line starting with '" + prefix + "' from child");
    if (line->rfind(prefix, 0) == 0) return *line;
  }
}

std::string ChildProcess::read_rest(Seconds timeout) {
  std::string all;
  while (auto line = read_line(timeout)) all += *line + "\n";
  return all;
}

std::string ChildProcess::stderr_text() {
  if (stderr_fd_ < 0) return {};
  std::string text;
  char chunk[4096];
  for (;;) {
    pollfd entry{stderr_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 2000) <= 0) break;
    ssize_t count = ::read(stderr_fd_, chunk, sizeof chunk);
    if (count <= 0) break;
    text.append(chunk, static_cast<std::size_t>(count));
  }
  return text;
}

void ChildProcess::write_stdin(std::string_view data) {
  while (!data.empty()) {
    ssize_t count = ::write(stdin_fd_, data.data(), data.size());
    if (count < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("write to child stdin failed");
    }
    data.remove_prefix(static_cast<std::size_t>(count));
  }
}

void ChildProcess::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void ChildProcess::send_signal(int signal_number) { ::kill(pid_, signal_number); }

std::optional<int> ChildProcess::wait(Seconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  for (;;) {
    int status = 0;
    pid_t result = ::waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(2ms);
  }
}

Address parse_listening_line(const std::string& line) {
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) throw std::runtime_error("not a listening line: " + line);
  std::string rest = line.substr(prefix.size());
  return Address::parse(rest.substr(0, rest.find(' ')));
}

std::string binary(const std::string& relative) {
  return std::string(SOCKETSERVER_BINARY_DIR) + "/" + relative;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "socketserver-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::size_t count_open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

std::vector<std::string> ModeCase::args(const std::vector<std::string>& more) const {
  std::vector<std::string> args{"--mode", std::string(socketserver::to_string(mode))};
  if (threads > 0) {
    args.push_back("--threads");
    args.push_back(std::to_string(threads));
  }
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string to_string(const ModeCase& mode) {
  std::string name(socketserver::to_string(mode.mode));
  if (mode.threads > 0) name += " --threads " + std::to_string(mode.threads);
  return name;
}

std::ostream& operator<<(std::ostream& out, const ModeCase& mode) { return out << to_string(mode); }

std::size_t count_threads() {
  std::size_t count = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

namespace {

// Fields of /proc/PID/stat: state (3rd) and ppid (4th), after the parenthesised name.
// The whole of a /proc file, or less (or nothing) if the process goes away meanwhile.
// Plain read(): libstdc++'s streams throw when a read fails with ESRCH.
std::string read_proc_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char chunk[4096];
  for (ssize_t count; (count = ::read(fd, chunk, sizeof chunk)) > 0;)
    text.append(chunk, static_cast<std::size_t>(count));
  ::close(fd);
  return text;
}

bool read_stat(pid_t pid, char& state, pid_t& parent) {
  std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return false;
  std::istringstream rest(text.substr(close + 2));
  rest >> state >> parent;
  return bool(rest);
}

template <class Visit>
void for_each_process(Visit visit) {
  // Processes come and go while /proc is listed: every step tolerates a vanished entry.
  std::error_code error;
  std::filesystem::directory_iterator entries("/proc", error);
  for (; !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    auto name = entries->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    char state = 0;
    pid_t parent = 0;
    pid_t pid = static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
    if (read_stat(pid, state, parent)) visit(pid, state, parent);
  }
}

} // namespace

std::size_t count_zombie_children() {
  std::size_t count = 0;
  pid_t self = ::getpid();
  for_each_process([&](pid_t, char state, pid_t parent) {
    if (parent == self && state == 'Z') ++count;
  });
  return count;
}

std::vector<pid_t> children_of(pid_t parent_pid) {
  std::vector<pid_t> result;
  for_each_process([&](pid_t pid, char state, pid_t parent) {
    if (parent == parent_pid && state != 'Z') result.push_back(pid);
  });
  return result;
}

std::size_t resident_bytes(pid_t pid) {
  std::istringstream file(read_proc_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(file, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoul(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;  // the process is gone
}

} // namespace test_support
