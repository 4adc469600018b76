#include "example_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>

extern char** environ;

namespace examples_test {
namespace {

// Locale-independent output is part of the contract: children run without LANG/LC_*.
struct CleanEnvironment {
  CleanEnvironment() {
    for (const char* name : {"LANG", "LC_ALL", "LC_CTYPE", "LC_TIME", "LANGUAGE"}) ::unsetenv(name);
    ::setenv("PYTHONIOENCODING", "utf-8", 1);
    ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
  }
} clean_environment;

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

} // namespace

Result run(const std::string& program, const std::vector<std::string>& args, const std::string& input,
           Seconds timeout) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  std::vector<std::string> storage{program};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  Result result;
  std::size_t written = 0;
  int stdin_fd = in[1];
  if (input.empty()) {
    ::close(stdin_fd);
    stdin_fd = -1;
  }
  int out_fd = out[0], err_fd = err[0];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
    int ready = ::poll(fds, 3, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      for (int fd : {out_fd, err_fd, stdin_fd})
        if (fd >= 0) ::close(fd);
      throw std::runtime_error(program + " did not finish in time; stdout so far: " + result.out +
                               "; stderr so far: " + result.err);
    }
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[65536];
      ssize_t count = ::read(fds[i].fd, chunk, sizeof chunk);
      if (count > 0) {
        (i == 0 ? result.out : result.err).append(chunk, static_cast<std::size_t>(count));
      } else if (count == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        (i == 0 ? out_fd : err_fd) = -1;
      }
    }
    if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t count = ::write(stdin_fd, input.data() + written, input.size() - written);
      if (count > 0) written += static_cast<std::size_t>(count);
      if ((count < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        ::close(stdin_fd);
        stdin_fd = -1;
      }
    }
  }
  if (stdin_fd >= 0) ::close(stdin_fd);
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw std::runtime_error(program + " closed its output but did not exit in time");
    }
    pollfd none{-1, 0, 0};
    ::poll(&none, 0, 2);  // the child closed its output: it is exiting
  }
}

std::string example(const std::string& name) { return test_support::binary("examples/" + name); }

Result python(const std::string& script, const std::vector<std::string>& args, const std::string& input,
              Seconds timeout) {
  std::vector<std::string> all{"-c", script};
  all.insert(all.end(), args.begin(), args.end());
  return run("python3", all, input, timeout);
}

std::string host_of(const Address& address) { return address.host().empty() ? "127.0.0.1" : address.host(); }
std::string port_of(const Address& address) { return std::to_string(address.port()); }

std::vector<std::string> client_args(const Address& address) {
  if (address.is_unix()) return {"--unix", address.path()};
  return {"--host", host_of(address), "--port", port_of(address)};
}

Server::Server(const std::string& name, std::vector<std::string> args, bool capture_stderr) {
  bool has_address = false;
  for (const auto& arg : args) has_address = has_address || arg == "--unix" || arg == "--port";
  if (!has_address) {
    args.push_back("--port");
    args.push_back("0");
  }
  process_ = std::make_unique<test_support::ChildProcess>(example(name), args, "", capture_stderr);
  std::optional<std::string> first = process_->read_line();
  if (!first) throw std::runtime_error(name + " printed no 'listening on' line" +
                                       (capture_stderr ? ": " + process_->stderr_text() : std::string()));
  address_ = test_support::parse_listening_line(*first);
}

Server::~Server() {
  if (!stopped_) stop(SIGKILL);
}

std::string Server::line(Seconds timeout) {
  std::optional<std::string> text = process_->read_line(timeout);
  if (!text) throw std::runtime_error("the server printed no further line");
  return *text;
}

int Server::stop(int signal_number, Seconds timeout) {
  stopped_ = true;
  process_->send_signal(signal_number);
  return process_->wait(timeout).value_or(-1);
}

bool have_ipv6() {
  static const bool available = [] {
    boost::asio::io_context context;
    boost::asio::ip::tcp::acceptor acceptor(context);
    boost::system::error_code error;
    acceptor.open(boost::asio::ip::tcp::v6(), error);
    if (!error) acceptor.bind({boost::asio::ip::address_v6::loopback(), 0}, error);
    return !error;
  }();
  return available;
}

std::string sha256(const std::string& path) {
  Result result = run("sha256sum", {path});
  if (result.status != 0) throw std::runtime_error("sha256sum failed: " + result.err);
  return result.out.substr(0, result.out.find(' '));
}

void write_random_file(const std::string& path, std::size_t size, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t value = random();
    for (std::size_t j = 0; j < 8 && i + j < size; ++j) data[i + j] = static_cast<char>(value >> (8 * j));
  }
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

} // namespace examples_test
