// The example programs over TLS, in every mode (forking included), against clients that
// are not ours — openssl s_client, Python's ssl module — and against our own clients:
// TLS 1.2 and 1.3, 64 MiB echoed and sent as a file, mutual TLS with good and bad client
// certificates, confused clients (TLS to a plain port, plain text to a TLS port), a
// ClientHello dribbled a byte a second, 500 abandoned handshakes, and the TLS options'
// command-line errors.
#define BOOST_TEST_MODULE tls_examples
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "../examples/example_support.hpp"
#include "tls_support.hpp"

using namespace examples_test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A write to a client that has gone (s_client exits once its handshake failed) is an
// error to report, not a signal that ends the test process.
const bool sigpipe_ignored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

const tls_test::Certificates& certs() { return tls_test::certificates(); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// ChildProcess runs a program by its path: the path of @p name on $PATH.
std::string on_path(const std::string& name) {
  std::istringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  throw std::runtime_error(name + " is not on $PATH");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of @p text that contain @p part.
std::vector<std::string> lines_with(const std::string& text, const std::string& part) {
  std::vector<std::string> found;
  for (const std::string& line : lines_of(text))
    if (line.find(part) != std::string::npos) found.push_back(line);
  return found;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A server's TLS arguments (the test CA's server certificate), then @p more.
std::vector<std::string> tls_args(const ModeCase& mode, const std::vector<std::string>& more = {}) {
  return mode.args([&] {
    std::vector<std::string> args{"--tls-cert", certs().server, "--tls-key", certs().server_key};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }());
}

// An example server whose stderr goes to a file of its own: its log can be read at any
// moment (no pipe to fill up with 500 lines, no wait for the end of the output).
class LoggedServer {
public:
  LoggedServer(const std::string& name, std::vector<std::string> args, bool tls = true) {
    bool has_address = false;
    for (const auto& arg : args) has_address = has_address || arg == "--unix" || arg == "--port";
    if (!has_address) args.insert(args.end(), {"--port", "0"});
    std::vector<std::string> shell{"-c", "log=$1; shift; exec \"$@\" 2>\"$log\"", "sh", log_path_, example(name)};
    shell.insert(shell.end(), args.begin(), args.end());
    process_ = std::make_unique<test_support::ChildProcess>("/bin/sh", shell);
    std::optional<std::string> first = process_->read_line();
    if (!first) throw std::runtime_error(name + " printed no 'listening on' line: " + log());
    if (tls != first->ends_with(" tls")) throw std::runtime_error(name + ": unexpected first line: " + *first);
    address_ = test_support::parse_listening_line(*first);
  }
  ~LoggedServer() {
    if (!stopped_) stop(SIGKILL);
  }

  const Address& address() const { return address_; }
  std::string port() const { return port_of(address_); }
  pid_t pid() const { return process_->pid(); }
  test_support::ChildProcess& process() { return *process_; }
  /// `--host 127.0.0.1 --port P` (or `--unix PATH`), `--tls --tls-ca ca.pem`, then @p more.
  std::vector<std::string> tls_client(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args = client_args(address_);
    args.insert(args.end(), {"--tls", "--tls-ca", certs().ca});
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  /// Everything on its stderr so far.
  std::string log() const {
    std::ifstream file(log_path_);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }
  /// Its log lines containing @p part, once there are @p count of them (or after 20 s).
  std::vector<std::string> wait_for_log(const std::string& part, std::size_t count) const {
    test_support::eventually([&] { return lines_with(log(), part).size() >= count; }, 20s);
    return lines_with(log(), part);
  }
  /// True while the process runs.
  bool running() { return !process_->wait(0s); }
  /// Open descriptors of the server process.
  std::size_t open_fds() const {
    std::error_code error;
    std::size_t count = 0;
    for (fs::directory_iterator entry("/proc/" + std::to_string(pid()) + "/fd", error);
         !error && entry != fs::directory_iterator(); entry.increment(error))
      ++count;
    return count;
  }
  /// Sends @p signal_number; the exit status, -1 if it did not exit within 15 s.
  int stop(int signal_number = SIGTERM) {
    stopped_ = true;
    process_->send_signal(signal_number);
    return process_->wait(15s).value_or(-1);
  }

private:
  test_support::TempDir dir_;
  std::string log_path_ = dir_.file("stderr.log");
  std::unique_ptr<test_support::ChildProcess> process_;
  Address address_;
  bool stopped_ = false;
};

// What an openssl s_client session left behind.
struct SClient {
  int status = -1;
  std::string out;                   // stdout and stderr (its command's answers, "KEYUPDATE"...)
  std::vector<std::string> missing;  // lines expected on stdout that did not come
};

// Runs `openssl s_client` to 127.0.0.1:@p port with @p options; for each (send, expect)
// pair writes `send` and a newline to its stdin, then reads stdout until the line `expect`
// (10 s at most; its stderr comes on the same pipe, so that `expect` may be the answer
// to one of its commands: "K" for a key update prints "KEYUPDATE"; the next line must not
// be written before, or s_client takes it as part of the command); then closes its stdin
// (s_client sends close_notify and exits).
SClient s_client(const std::string& port, const std::vector<std::string>& options,
                 const std::vector<std::pair<std::string, std::string>>& exchanges) {
  std::vector<std::string> args{"-c", "exec \"$@\" 2>&1", "sh", on_path("openssl"), "s_client", "-connect",
                                "127.0.0.1:" + port};
  args.insert(args.end(), options.begin(), options.end());
  test_support::ChildProcess process("/bin/sh", args);
  SClient result;
  for (const auto& [send, expect] : exchanges) {
    try {
      process.write_stdin(send + "\n");
    } catch (const std::exception&) {  // s_client has exited
      result.missing.push_back(expect);
      break;
    }
    auto deadline = Clock::now() + 10s;
    bool seen = false;
    while (!seen && Clock::now() < deadline) {
      auto line = process.read_line(std::chrono::duration_cast<Seconds>(deadline - Clock::now()));
      if (!line) break;
      result.out += *line + "\n";
      seen = *line == expect;
    }
    if (!seen) {
      result.missing.push_back(expect);
      break;
    }
  }
  process.close_stdin();
  result.out += process.read_rest(10s);
  result.status = process.wait(10s).value_or(-1);
  return result;
}

std::vector<std::string> s_client_verified(const std::string& version) {
  return {"-CAfile", certs().ca, "-verify_return_error", "-verify_ip", "127.0.0.1", "-" + version};
}

// A TLS client in Python (the ssl module, the test CA, TLS 1.2 or 1.3 forced) sending
// argv[5] random bytes and hashing what comes back. One thread, non-blocking: it sends
// while the socket takes more and reads whatever arrives, so that neither side's buffers
// fill up (an SSL object is not to be read and written from two threads at once). Prints
// the version, the byte count and whether the hashes match; then ends with close_notify.
const std::string bulk_echo_py = R"(
import hashlib, os, select, socket, ssl, sys, time
host, port, ca, version, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
context = ssl.create_default_context(cafile=ca)
context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, 'TLSv' + version.replace('.', '_'))
tls = context.wrap_socket(socket.create_connection((host, port), timeout=20), server_hostname=host)
print(tls.version(), flush=True)
data = os.urandom(size)
view = memoryview(data)
received = hashlib.sha256()
sent = count = 0
deadline = time.monotonic() + 100
tls.setblocking(False)
while count < size:
    if time.monotonic() > deadline:
        sys.exit('timed out: %d sent, %d received' % (sent, count))
    readable, writable, _ = select.select([tls], [tls] if sent < size else [], [], 20)
    if not readable and not writable:
        sys.exit('stalled: %d sent, %d received' % (sent, count))
    if writable:
        try:
            sent += tls.send(view[sent:sent + 262144])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            pass
    while True:
        try:
            chunk = tls.recv(1 << 20)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            break
        if not chunk:
            sys.exit('closed by the server: %d sent, %d received' % (sent, count))
        received.update(chunk)
        count += len(chunk)
print(count, flush=True)
print(hashlib.sha256(data).hexdigest() == received.hexdigest(), flush=True)
tls.setblocking(True)
tls.unwrap().close()
)";

// A ClientHello, as a TLS client would first send it (an SSLObject over memory BIOs).
const std::string client_hello_py = R"(
import ssl
def client_hello():
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname='localhost')
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()
)";

// Connects, prints "connected PORT", then sends a ClientHello one byte a second (the
// pause is select()'s, which also sees the server close) for at most argv[3] bytes;
// prints "closed BYTES SECONDS" once the server closed, or "not closed ...".
const std::string dribble_py = client_hello_py + R"(
import select, socket, sys, time
hello = client_hello()
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
print('connected', s.getsockname()[1], flush=True)
start = time.monotonic()
sent, closed = 0, False
while sent < min(int(sys.argv[3]), len(hello)) and not closed:
    try:
        s.send(hello[sent:sent + 1])
        sent += 1
    except OSError:
        closed = True
        break
    readable, _, _ = select.select([s], [], [], 1.0)
    if readable:
        try:
            closed = s.recv(4096) == b''
        except OSError:
            closed = True
print('closed' if closed else 'not closed', sent, round(time.monotonic() - start, 2), flush=True)
)";

// argv[3] times (and 60 s at most): connect, send a ClientHello, close. Prints the count.
const std::string abandon_py = client_hello_py + R"(
import socket, sys, time
hello = client_hello()
start = time.monotonic()
done = 0
for i in range(int(sys.argv[3])):
    if time.monotonic() - start > 60:
        break
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    s.sendall(hello)
    s.close()
    done += 1
print(done, flush=True)
)";

// Plain text to a (TLS) port: sends argv[3], prints the local port and how many bytes
// came back before the server closed ("timeout" if it did not close within 10 s).
const std::string plain_text_py = R"(
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
print(s.getsockname()[1])
s.sendall(sys.argv[3].encode())
data = b''
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(len(data))
except socket.timeout:
    print('timeout')
except ConnectionResetError:
    print('reset', len(data))
)";

// One exchange with line_client over TLS; true when the reply came back.
bool line_client_served(const LoggedServer& server, const std::string& text,
                        const std::vector<std::string>& more = {}) {
  Result result = run(example("line_client"), server.tls_client(more), text + "\n");
  BOOST_TEST(result.status == 0, result.err);
  BOOST_TEST(result.err.empty(), result.err);
  bool served = result.out == "Received from server: " + text + "\n";
  BOOST_TEST(served, "line_client printed '" << result.out << "'");
  return served;
}

// True when @p text has the shape of @p pattern, character by character: 'A' an upper-case
// letter, 'a' a lower-case one, '9' a digit, '_' a space or a digit, anything else itself.
// (No std::regex: at -O1 under ASan, GCC 12 warns about its insides.)
bool shaped_like(const std::string& text, const std::string& pattern) {
  if (text.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i], p = pattern[i];
    bool ok = p == 'A' ? (c >= 'A' && c <= 'Z') : p == 'a' ? (c >= 'a' && c <= 'z')
            : p == '9' ? (c >= '0' && c <= '9') : p == '_' ? (c == ' ' || (c >= '0' && c <= '9')) : c == p;
    if (!ok) return false;
  }
  return true;
}

// True when @p text is "127.0.0.1:PORT" followed by @p rest.
bool client_then(const std::string& text, const std::string& rest) {
  const std::string host = "127.0.0.1:";
  if (!text.starts_with(host) || !text.ends_with(rest) || text.size() <= host.size() + rest.size()) return false;
  std::string port = text.substr(host.size(), text.size() - host.size() - rest.size());
  return port.find_first_not_of("0123456789") == std::string::npos;
}

// True when @p err is exactly one line (a newline at its end, none before).
bool one_line(const std::string& err) {
  return !err.empty() && err.back() == '\n' && std::count(err.begin(), err.end(), '\n') == 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(openssl_s_client_talks_to_echo_server_over_tls_1_2_and_1_3_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode));
      for (std::string version : {"tls1_2", "tls1_3"}) {
        BOOST_TEST_CONTEXT(version) {
          std::string first = "hello over " + version, second = "second line, " + std::string(2000, 'x');
          std::vector<std::pair<std::string, std::string>> exchanges{{first, first}, {second, second}};
          if (version == "tls1_3") {  // a KeyUpdate that asks for the server's in return, then more data
            exchanges.push_back({"K", "KEYUPDATE"});
            exchanges.push_back({"after the key update", "after the key update"});
          }
          SClient session = s_client(server.port(), s_client_verified(version), exchanges);
          BOOST_TEST(session.missing.empty(), "no echo of '" << (session.missing.empty() ? "" : session.missing[0])
                                                              << "'; output: " << session.out);
          BOOST_TEST(session.status == 0, session.out);
          BOOST_TEST(contains(session.out, "Verification: OK"), session.out);
          BOOST_TEST(contains(session.out, "Verify return code: 0 (ok)"), session.out);
          std::string protocol = version == "tls1_2" ? "TLSv1.2" : "TLSv1.3";
          BOOST_TEST(contains(session.out, "New, " + protocol + ", Cipher is "), session.out);
          BOOST_TEST(contains(session.out, "depth=0 CN = localhost"), session.out);
          if (version == "tls1_3") BOOST_TEST(contains(session.out, "KEYUPDATE"), session.out);
        }
      }
      // The same client, told to trust another CA only, refuses the server.
      SClient untrusted = s_client(server.port(), {"-CAfile", certs().other_ca, "-verify_return_error"},
                                   {{"must not be echoed", "must not be echoed"}});
      BOOST_TEST(untrusted.status != 0);
      BOOST_TEST(!untrusted.missing.empty(), untrusted.out);
      BOOST_TEST(contains(untrusted.out, "unable to get local issuer certificate"), untrusted.out);
      server.wait_for_log("dropped 127.0.0.1:", 1);
      BOOST_TEST(server.stop() == 0);
      // Good clients leave nothing in the log; the refusal, one line.
      std::vector<std::string> log = lines_of(server.log());
      BOOST_TEST(log.size() == 1u, server.log());
      if (!log.empty()) BOOST_TEST(log[0].starts_with("socketserver: dropped 127.0.0.1:"), log[0]);
    }
  }
}

BOOST_AUTO_TEST_CASE(renegotiation_is_refused_and_the_server_goes_on_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode));
      // s_client's "R" asks for a renegotiation (TLS 1.2): the server says no_renegotiation
      // and the connection ends; what is sent after it is not echoed.
      SClient session = s_client(server.port(), s_client_verified("tls1_2"),
                                 {{"before", "before"}, {"R", "RENEGOTIATING"}, {"after", "after"}});
      BOOST_TEST(contains(session.out, "before\n"), session.out);
      BOOST_TEST(session.missing == std::vector<std::string>{"after"}, session.out);
      BOOST_TEST(contains(session.out, "RENEGOTIATING"), session.out);
      BOOST_TEST(contains(session.out, "no renegotiation"), session.out);
      BOOST_TEST(line_client_served(server, "still serving"));
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(python_ssl_echoes_64_MiB_intact_over_tls_1_3_in_every_mode_and_1_2_in_three) {
  constexpr std::size_t size = std::size_t(64) << 20;
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode, {"--timeout", "30"}));
      std::vector<std::string> versions{"1.3"};
      if (mode == socketserver::Mode::sync || mode == socketserver::Mode::forking ||
          (mode == socketserver::Mode::async && mode.threads == 2))
        versions.push_back("1.2");
      for (const std::string& version : versions) {
        BOOST_TEST_CONTEXT("TLS " << version) {
          auto start = Clock::now();
          Result result = python(bulk_echo_py, {"127.0.0.1", server.port(), certs().ca, version, std::to_string(size)},
                                 "", 120s);
          BOOST_TEST_MESSAGE(mode << ", TLS " << version << ": 64 MiB echoed in " << seconds_since(start) << " s");
          BOOST_TEST(result.status == 0, result.err);
          BOOST_TEST(result.out == "TLSv" + version + "\n" + std::to_string(size) + "\nTrue\n", result.out);
        }
      }
      BOOST_TEST(server.stop() == 0);
      BOOST_TEST(server.log().empty(), server.log());
    }
  }
}

BOOST_AUTO_TEST_CASE(file_client_fetches_64_MiB_from_file_server_over_tls_in_every_mode) {
  test_support::TempDir dir;
  fs::create_directory(dir.file("root"));
  write_random_file(dir.file("root/big.bin"), std::size_t(64) << 20, 1515);
  const std::string expected = sha256(dir.file("root/big.bin"));
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("file_server", tls_args(mode, {"--root", dir.file("root")}));
      const std::string out = dir.file("copy.bin");
      fs::remove(out);
      auto start = Clock::now();
      Result result = run(example("file_client"), server.tls_client({"--get", "big.bin", "--out", out}), "", 60s);
      BOOST_TEST_MESSAGE(mode << ": 64 MiB file in " << seconds_since(start) << " s");
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(result.out == "received 67108864 bytes\n");
      BOOST_TEST(sha256(out) == expected);
      // A refusal comes back over TLS too.
      Result missing = run(example("file_client"), server.tls_client({"--get", "missing.bin", "--out", out}));
      BOOST_TEST(missing.status == 1);
      BOOST_TEST(missing.err == "ERR no such file\n", missing.err);
      BOOST_TEST(server.stop() == 0);
      BOOST_TEST(lines_of(server.log()).size() == 1u, server.log());  // the refusal of missing.bin
      BOOST_TEST(server.wait_for_log("missing.bin", 1).size() == 1u, server.log());
    }
  }
}

BOOST_AUTO_TEST_CASE(our_clients_talk_to_our_servers_over_tls_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      {
        LoggedServer echo("echo_server", tls_args(mode));
        Result lines = run(example("line_client"), echo.tls_client(), "hello\nol\xc3\xa1 TLS\nq\nnot sent\n");
        BOOST_TEST(lines.status == 0, lines.err);
        BOOST_TEST(lines.out == "Received from server: hello\nReceived from server: ol\xc3\xa1 TLS\n");
        // The certificate names localhost too.
        std::vector<std::string> by_name{"--host", "localhost", "--port", echo.port(), "--tls", "--tls-ca", certs().ca};
        Result named = run(example("line_client"), by_name, "by name\n");
        BOOST_TEST(named.status == 0, named.err);
        BOOST_TEST(named.out == "Received from server: by name\n");
        BOOST_TEST(echo.stop() == 0);
        BOOST_TEST(echo.log().empty(), echo.log());
      }
      {
        LoggedServer daytime("daytime_server", tls_args(mode));
        Result time = run(example("daytime_client"), daytime.tls_client());
        BOOST_TEST(time.status == 0, time.err);
        BOOST_TEST(shaped_like(time.out, "Aaa Aaa _9 99:99:99 9999\n"), "got '" << time.out << "'");
        BOOST_TEST(daytime.stop() == 0);
      }
      {
        LoggedServer hello("hello_server", tls_args(mode));
        Result greeting = run(example("hello_client"), hello.tls_client());
        BOOST_TEST(greeting.status == 0, greeting.err);
        BOOST_TEST(greeting.out == "Ol\xc3\xa1!\n");
        std::optional<std::string> printed = hello.process().read_line();
        BOOST_TEST_REQUIRE(printed.has_value());
        BOOST_TEST(client_then(*printed, " Ol\xc3\xa1 tamb\xc3\xa9m!"), *printed);
        BOOST_TEST(hello.stop() == 0);
      }
      {
        LoggedServer framed("framed_echo_server", tls_args(mode));
        Result random = run(example("framed_client"), framed.tls_client({"--count", "25"}));
        BOOST_TEST(random.status == 0, random.err);
        BOOST_TEST(random.out == "25 messages ok\n");
        BOOST_TEST(framed.stop() == 0);
      }
      {
        LoggedServer log("log_server", tls_args(mode));
        Result sent = run(example("log_client"), log.tls_client(), "logged over TLS\n");
        BOOST_TEST(sent.status == 0, sent.err);
        // Its first two lines; "Closing connection from" is not waited for: see
        // a_write_only_client_delivers_every_line_over_tls_in_every_mode below.
        std::string connected = log.process().read_line().value_or("(nothing)");
        std::string message = log.process().read_line().value_or("(nothing)");
        BOOST_TEST(connected.starts_with("Connected by "), connected);
        BOOST_TEST(client_then(connected.substr(std::min<std::size_t>(13, connected.size())), ""), connected);
        BOOST_TEST(client_then(message, " logged over TLS"), message);
        BOOST_TEST(log.stop() == 0);
      }
    }
  }
}

// A Python client that writes its lines over TLS 1.3 and closes without reading anything,
// as many real clients do.
const char* const write_only_py = R"(
import socket, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=ca)
context.minimum_version = ssl.TLSVersion.TLSv1_3
with socket.create_connection((host, port), timeout=20) as plain:
    with context.wrap_socket(plain, server_hostname=host) as tls:
        tls.sendall(sys.stdin.buffer.read())
)";

// A client that only writes (log_client, and the Python client above) and then exits:
// every line must reach the server, which then sees the end of the stream. Over TLS 1.3
// this lost the tail of the data while the server sent its session tickets right after the
// handshake: still unread in the client's receive buffer when it closed, they made its
// kernel send a reset, which threw away whatever the server had not read yet. The tickets
// now go with the first reply (log_server never replies), and our clients read the
// server's end before they close.
BOOST_AUTO_TEST_CASE(a_write_only_client_delivers_every_line_over_tls_in_every_mode) {
  std::string lines;
  for (int i = 1; i <= 20000; ++i) lines += "line " + std::to_string(i) + "\n";
  for (bool tls : {false, true}) {
    for (bool ours : {true, false}) {
      if (!tls && !ours) continue;
      for (const ModeCase& mode : all_modes) {
        BOOST_TEST_CONTEXT((tls ? "TLS, mode " : "plain, mode ") << mode << (ours ? ", log_client" : ", Python")) {
          std::vector<std::string> server_args =
              tls ? tls_args(mode, {"--timeout", "5"}) : mode.args({"--timeout", "5"});
          LoggedServer server("log_server", server_args, tls);
          Result sent;
          if (ours) {
            std::vector<std::string> args = client_args(server.address());
            if (tls) args.insert(args.end(), {"--tls", "--tls-ca", certs().ca});
            sent = run(example("log_client"), args, lines);
          } else {
            sent = python(write_only_py, {"127.0.0.1", server.port(), certs().ca}, lines);
          }
          BOOST_TEST(sent.status == 0, sent.err);
          // What log_server prints: "Connected by ...", "HOST:PORT PIECE" per line of each
          // read, "Closing connection from ..." at the end of the stream.
          // A line the kernel delivered in two reads is printed in two pieces: the end of
          // the data is the last two pieces joined.
          std::string before_last, last, closing;
          auto deadline = Clock::now() + 20s;
          for (int count = 0; count < 100000 && closing.empty() && Clock::now() < deadline; ++count) {
            std::optional<std::string> line = server.process().read_line(6s);
            if (!line) break;
            if (line->starts_with("Closing connection from ")) {
              closing = *line;
            } else {
              before_last = std::exchange(last, line->substr(line->find(' ') + 1));
            }
          }
          BOOST_TEST(!closing.empty(),
                     "no end of the stream; the last line printed: '" << last << "'; log: " << server.log());
          BOOST_TEST((last == "line 20000" || (before_last + last).ends_with("line 20000")),
                     "the last pieces printed: '" << before_last << "', '" << last << "'");
          BOOST_TEST(server.stop() == 0);
          BOOST_TEST(server.log().empty(), server.log());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(our_clients_verify_the_server_certificate) {
  LoggedServer server("echo_server", tls_args(ModeCase(socketserver::Mode::threading)));
  // The system's authorities (no --tls-ca), or another CA: refused before any data.
  for (const auto& trust : std::vector<std::vector<std::string>>{{"--tls"}, {"--tls-ca", certs().other_ca}}) {
    BOOST_TEST_CONTEXT(trust.back()) {
      std::vector<std::string> args = client_args(server.address());
      args.insert(args.end(), trust.begin(), trust.end());
      Result result = run(example("line_client"), args, "secret\n");
      BOOST_TEST(result.status == 1);
      BOOST_TEST(result.out.empty());
      BOOST_TEST(one_line(result.err), result.err);
      BOOST_TEST(result.err.starts_with("line_client: cannot start TLS with 127.0.0.1:" + server.port()), result.err);
      BOOST_TEST(contains(result.err, "certificate verify failed"), result.err);
    }
  }
  // 127.0.0.2 is loopback too, but not a name in the certificate.
  LoggedServer other_address("echo_server", tls_args(ModeCase(socketserver::Mode::threading), {"--host", "127.0.0.2"}));
  std::vector<std::string> args{"--host", "127.0.0.2", "--port", other_address.port(), "--tls", "--tls-ca", certs().ca};
  Result result = run(example("line_client"), args, "secret\n");
  BOOST_TEST(result.status == 1);
  BOOST_TEST(one_line(result.err), result.err);
  BOOST_TEST(result.err.starts_with("line_client: cannot start TLS with 127.0.0.2:"), result.err);
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(other_address.stop() == 0);
}

BOOST_AUTO_TEST_CASE(tls_over_unix_sockets_in_every_mode) {
  test_support::TempDir dir;
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      const std::string path = dir.file("echo.sock");
      {
        LoggedServer echo("echo_server", tls_args(mode, {"--unix", path}));
        BOOST_TEST(echo.address().is_unix());
        Result lines = run(example("line_client"), echo.tls_client(), "over a unix socket\n");
        BOOST_TEST(lines.status == 0, lines.err);
        BOOST_TEST(lines.out == "Received from server: over a unix socket\n");
        Result untrusted = run(example("line_client"), {"--unix", path, "--tls-ca", certs().other_ca}, "secret\n");
        BOOST_TEST(untrusted.status == 1);
        BOOST_TEST(contains(untrusted.err, "cannot start TLS"), untrusted.err);
        BOOST_TEST(echo.stop() == 0);
      }
      BOOST_TEST(!fs::exists(path));
      LoggedServer framed("framed_echo_server", tls_args(mode, {"--unix", path}));
      Result random = run(example("framed_client"), framed.tls_client({"--count", "20"}));
      BOOST_TEST(random.status == 0, random.err);
      BOOST_TEST(random.out == "20 messages ok\n");
      BOOST_TEST(framed.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(mutual_tls_serves_alice_and_refuses_missing_expired_and_foreign_certificates_in_every_mode) {
  const auto& c = certs();
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode, {"--tls-client-ca", c.ca}));
      BOOST_TEST(line_client_served(server, "alice here", {"--tls-cert", c.client, "--tls-key", c.client_key}));
      std::vector<std::string> with_alice = s_client_verified("tls1_2");
      with_alice.insert(with_alice.end(), {"-cert", c.client, "-key", c.client_key});
      SClient session = s_client(server.port(), with_alice, {{"alice again", "alice again"}});
      BOOST_TEST(session.missing.empty(), session.out);
      BOOST_TEST(session.status == 0, session.out);

      // Each refusal, and the end of its log line.
      const std::vector<std::tuple<std::string, std::vector<std::string>, std::string>> refused{
          {"no certificate", {}, ": TLS handshake failed: peer did not return a certificate"},
          {"expired", {"--tls-cert", c.expired, "--tls-key", c.expired_key}, "(certificate has expired)"},
          {"another CA's", {"--tls-cert", c.other, "--tls-key", c.other_key},
           "(unable to get local issuer certificate)"},
      };
      std::size_t drops = 0;
      for (const auto& [what, args, reason] : refused) {
        BOOST_TEST_CONTEXT(what) {
          Result result = run(example("line_client"), server.tls_client(args), "let me in\n");
          BOOST_TEST(result.status == 1);
          BOOST_TEST(!contains(result.out, "Received"), result.out);
          BOOST_TEST(one_line(result.err), result.err);
          std::vector<std::string> drops_seen = server.wait_for_log("socketserver: dropped 127.0.0.1:", ++drops);
          BOOST_TEST(drops_seen.size() == drops, server.log());
          if (drops_seen.size() == drops) BOOST_TEST(drops_seen.back().ends_with(reason), drops_seen.back());
        }
      }
      // TLS 1.2 without a certificate: the handshake itself fails for s_client.
      SClient anonymous = s_client(server.port(), s_client_verified("tls1_2"), {{"anonymous", "anonymous"}});
      BOOST_TEST(anonymous.status != 0);
      BOOST_TEST(!anonymous.missing.empty(), anonymous.out);
      BOOST_TEST(server.wait_for_log("socketserver: dropped 127.0.0.1:", ++drops).size() == drops, server.log());

      BOOST_TEST(line_client_served(server, "alice after them", {"--tls-cert", c.client, "--tls-key", c.client_key}));
      BOOST_TEST(server.running());
      BOOST_TEST(server.stop() == 0);
      std::string log = server.log();
      BOOST_TEST(lines_of(log).size() == drops, log);
      std::vector<std::string> no_certificate = lines_with(log, "certificate");
      BOOST_TEST(no_certificate.size() == drops, log);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_tls_client_of_a_plain_server_fails_at_once_with_one_line_in_every_mode) {
  test_support::TempDir root;
  std::ofstream(root.file("a.txt")) << "a\n";
  // A plain echo server echoes the ClientHello; a daytime server sends text and closes;
  // hello_server greets first; file_server takes the ClientHello up to its first 0x0a
  // (there is always one: the supported_groups extension is number 10) for a file name.
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::string, std::vector<std::string>>> pairs{
      {"echo_server", {}, "line_client", {}},
      {"daytime_server", {}, "daytime_client", {}},
      {"hello_server", {}, "hello_client", {}},
      {"file_server", {"--root", root.path()}, "file_client", {"--get", "a.txt", "--out", root.file("out.txt")}},
  };
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      for (const auto& [server_name, server_args, client_name, client_args] : pairs) {
        BOOST_TEST_CONTEXT(client_name << " to a plain " << server_name) {
          LoggedServer plain(server_name, mode.args(server_args), false);
          auto start = Clock::now();
          Result result = run(example(client_name), plain.tls_client(client_args), "hello\n", 20s);
          double took = seconds_since(start);
          BOOST_TEST(result.status == 1);
          BOOST_TEST(result.out.empty(), result.out);
          BOOST_TEST(one_line(result.err), result.err);
          BOOST_TEST(result.err.starts_with(client_name + ": cannot start TLS with 127.0.0.1:" + plain.port()),
                     result.err);
          BOOST_TEST(took < 5.0, "failed after " << took << " s");
          BOOST_TEST(plain.stop() == 0);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(plain_text_to_a_tls_port_is_dropped_with_one_log_line_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode));
      Result http = python(plain_text_py, {"127.0.0.1", server.port(), "GET / HTTP/1.0\r\n\r\n"});
      BOOST_TEST(http.status == 0, http.err);
      std::vector<std::string> printed = lines_of(http.out);
      BOOST_TEST_REQUIRE(printed.size() == 2u, http.out);
      BOOST_TEST((printed[1] != "timeout"), "the server did not close the connection");
      std::vector<std::string> named = server.wait_for_log("127.0.0.1:" + printed[0] + ": ", 1);
      BOOST_TEST(named.size() == 1u, server.log());
      if (!named.empty())
        BOOST_TEST(named[0] ==
                   "socketserver: dropped 127.0.0.1:" + printed[0] + ": TLS handshake failed: http request");

      Result nc = run("nc", {"-N", "127.0.0.1", server.port()}, "hello in plain text\n", 15s);
      BOOST_TEST(!contains(nc.out, "hello"), nc.out);
      BOOST_TEST(server.wait_for_log("socketserver: dropped 127.0.0.1:", 2).size() == 2u, server.log());

      BOOST_TEST(line_client_served(server, "a TLS client after them"));
      BOOST_TEST(server.stop() == 0);
      BOOST_TEST(lines_of(server.log()).size() == 2u, server.log());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_hello_dribbled_a_byte_a_second_is_dropped_at_the_timeout_in_every_mode) {
  const std::string python3 = on_path("python3");
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode, {"--timeout", "2"}));
      test_support::ChildProcess dribbler(python3, {"-c", dribble_py, "127.0.0.1", server.port(), "20"});
      std::string connected = dribbler.wait_for_line("connected ");
      std::string dribbler_port = connected.substr(10);
      auto start = Clock::now();

      Result good = run(example("line_client"), server.tls_client(), "served meanwhile\n", 20s);
      double good_took = seconds_since(start);
      BOOST_TEST(good.status == 0, good.err);
      BOOST_TEST(good.out == "Received from server: served meanwhile\n");
      // The dribbler's verdict, if it came already.
      std::optional<std::string> verdict = dribbler.read_line(0s);
      if (mode == socketserver::Mode::sync) {
        // One connection at a time: the good client waits for the dribbler's drop.
        BOOST_TEST(good_took > 1.2, "served after " << good_took << " s, with the dribbler still in its handshake");
        BOOST_TEST(good_took < 4.0, "served " << good_took << " s after the dribbler connected");
      } else {
        BOOST_TEST(!verdict.has_value(), "the good client was served only after the dribbler was dropped (" << good_took
                                                                                                           << " s)");
        BOOST_TEST(good_took < 1.5, "served after " << good_took << " s");
      }
      if (!verdict) verdict = dribbler.read_line(15s);
      BOOST_TEST_REQUIRE(verdict.has_value());
      BOOST_TEST_MESSAGE(mode << ": good client served after " << good_took << " s; dribbler: " << *verdict);
      std::istringstream words(*verdict);
      std::string closed;
      int bytes = 0;
      double seconds = 0;
      words >> closed >> bytes >> seconds;
      BOOST_TEST(closed == "closed", *verdict);
      BOOST_TEST(seconds > 1.5, *verdict);
      BOOST_TEST(seconds < 5.0, *verdict);
      BOOST_TEST(dribbler.wait(10s).value_or(-1) == 0);

      std::vector<std::string> named = server.wait_for_log("127.0.0.1:" + dribbler_port + ": ", 1);
      BOOST_TEST(named.size() == 1u, server.log());
      if (!named.empty())
        BOOST_TEST(named[0] == "socketserver: dropped 127.0.0.1:" + dribbler_port +
                                   ": TLS handshake not finished within 2 s");
      BOOST_TEST(line_client_served(server, "and after it"));
      BOOST_TEST(server.stop() == 0);
      BOOST_TEST(lines_of(server.log()).size() == 1u, server.log());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_silent_client_is_dropped_at_the_timeout_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode, {"--timeout", "1"}));
      auto start = Clock::now();
      test_support::Client silent(server.address());
      std::string got = silent.read_all();  // until the server closes
      double took = seconds_since(start);
      BOOST_TEST(got.empty());
      BOOST_TEST(took > 0.7, "closed after " << took << " s");
      BOOST_TEST(took < 4.0, "closed after " << took << " s");
      std::string port = std::to_string(silent.local_address().port());
      std::vector<std::string> named = server.wait_for_log("127.0.0.1:" + port + ": ", 1);
      BOOST_TEST(named.size() == 1u, server.log());
      // Pool and forking mode wait for the first byte before the handshake starts (as they
      // do without TLS): the drop is then that wait's.
      if (!named.empty())
        BOOST_TEST((named[0] == "socketserver: dropped 127.0.0.1:" + port + ": TLS handshake not finished within 1 s" ||
                    named[0] == "socketserver: error handling request from 127.0.0.1:" + port +
                                   ": no request within the timeout: Connection timed out"),
                   named[0]);
      BOOST_TEST(line_client_served(server, "after the silent one"));
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(five_hundred_abandoned_handshakes_leave_the_server_serving_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      LoggedServer server("echo_server", tls_args(mode));
      BOOST_TEST_REQUIRE(line_client_served(server, "before"));
      std::size_t fds_before = server.open_fds();
      auto start = Clock::now();
      Result storm = python(abandon_py, {"127.0.0.1", server.port(), "500"}, "", 90s);
      BOOST_TEST(storm.status == 0, storm.err);
      BOOST_TEST(storm.out == "500\n", storm.out);
      std::vector<std::string> drops = server.wait_for_log("socketserver: dropped 127.0.0.1:", 500);
      BOOST_TEST_MESSAGE(mode << ": 500 handshakes abandoned, " << drops.size() << " logged in " << seconds_since(start)
                              << " s");
      BOOST_TEST(drops.size() == 500u);
      BOOST_TEST(lines_with(server.log(), ": TLS handshake failed: ").size() == 500u);
      BOOST_TEST(lines_of(server.log()).size() == 500u);
      BOOST_TEST(server.running());
      BOOST_TEST(line_client_served(server, "after 500 abandoned handshakes"));
      SClient session = s_client(server.port(), s_client_verified("tls1_3"), {{"and s_client", "and s_client"}});
      BOOST_TEST(session.missing.empty(), session.out);
      if (mode.in_process()) {
        BOOST_TEST(test_support::eventually([&] { return server.open_fds() <= fds_before; }),
                   server.open_fds() << " descriptors open, " << fds_before << " before");
      } else {
        BOOST_TEST(test_support::eventually([&] { return test_support::children_of(server.pid()).empty(); }),
                   test_support::children_of(server.pid()).size() << " children left");
      }
      BOOST_TEST(server.stop() == 0);
    }
  }
}

// Holds argv[3] connections with half-done handshakes (half sent a ClientHello, half sent
// nothing), prints "holding N", and lets them go when its stdin closes.
const std::string hold_py = client_hello_py + R"(
import socket, sys
hello = client_hello()
held = []
for i in range(int(sys.argv[3])):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    if i % 2 == 0:
        s.sendall(hello)
    held.append(s)
print("holding", len(held), flush=True)
sys.stdin.read()
)";

// The in-process suite shows this for every mode but forking (which it cannot fork from a
// threaded test process): here a forking server, whose children do the handshakes.
BOOST_AUTO_TEST_CASE(fifty_half_done_handshakes_do_not_block_a_forking_server) {
  LoggedServer server("echo_server", tls_args(ModeCase(socketserver::Mode::forking), {"--max-children", "64"}));
  test_support::ChildProcess holder("/usr/bin/env", {"python3", "-c", hold_py, "127.0.0.1", server.port(), "50"});
  BOOST_TEST_REQUIRE(holder.wait_for_line("holding ", 20s) == "holding 50");
  auto start = Clock::now();
  BOOST_TEST(line_client_served(server, "while fifty wait"));
  BOOST_TEST(seconds_since(start) < 5.0);  // not held until the half-done ones time out (30 s)
  holder.close_stdin();
  BOOST_TEST(holder.wait(10s).value_or(-1) == 0);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(tls_option_errors_exit_2_with_one_line_naming_the_option) {
  const auto& c = certs();
  const std::string missing = c.dir + "/no-such.pem";
  const std::vector<std::pair<std::vector<std::string>, std::string>> server_cases{
      {{"--tls-cert", c.server}, "echo_server: error: --tls-cert: needs --tls-key"},
      {{"--tls-key", c.server_key}, "echo_server: error: --tls-key: needs --tls-cert"},
      {{"--tls-cert", missing, "--tls-key", c.server_key},
       "echo_server: error: --tls-cert: cannot read '" + missing + "'"},
      {{"--tls-cert", c.server, "--tls-key", missing}, "echo_server: error: --tls-key: cannot read '" + missing + "'"},
      {{"--tls-cert", c.server, "--tls-key", c.server_key, "--udp"},
       "echo_server: error: --tls-cert: TLS needs a stream"},
      {{"--tls-client-ca", c.ca}, "echo_server: error: --tls-client-ca: needs --tls-cert"},
      {{"--tls-cert", c.server, "--tls-key", c.server_key, "--tls-client-ca", missing},
       "echo_server: error: --tls-client-ca: cannot read '" + missing + "'"},
      // Files that are there but wrong: the error names the file (the TLS context's message).
      {{"--tls-cert", c.server, "--tls-key", c.wrong_key}, "echo_server: error: the TLS private key '" + c.wrong_key},
      {{"--tls-cert", c.server_key, "--tls-key", c.server_key},
       "echo_server: error: cannot load the TLS certificate chain from '" + c.server_key},
      {{"--tls-cert", c.server, "--tls-key", c.server_key, "--tls-client-ca", c.server_key},
       "echo_server: error: cannot load the TLS certificate authorities from '" + c.server_key},
  };
  for (const auto& [args, expected] : server_cases) {
    BOOST_TEST_CONTEXT("echo_server " << args[0] << " ... " << args.back()) {
      std::vector<std::string> all{"--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      Result result = run(example("echo_server"), all, "", 20s);
      BOOST_TEST(result.status == 2);
      BOOST_TEST(result.out.empty(), result.out);  // never listening
      BOOST_TEST(one_line(result.err), result.err);
      BOOST_TEST(result.err.starts_with(expected), result.err);
    }
  }
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::string>> client_cases{
      {"line_client", {"--tls-cert", c.client}, "--tls-cert: needs --tls-key"},
      {"line_client", {"--tls-key", c.client_key}, "--tls-key: needs --tls-cert"},
      {"line_client", {"--tls-ca", missing}, "--tls-ca: cannot read '" + missing + "'"},
      {"line_client", {"--tls-cert", missing, "--tls-key", c.client_key}, "--tls-cert: cannot read '" + missing + "'"},
      {"line_client", {"--tls", "--udp"}, "--tls: TLS needs a stream connection"},
      {"line_client", {"--tls-ca", c.ca, "--udp"}, "--tls: TLS needs a stream connection"},
      {"daytime_client", {"--tls", "--udp"}, "--tls: TLS needs a stream connection"},
      {"file_client", {"--tls-ca", missing}, "--tls-ca: cannot read '" + missing + "'"},
      {"framed_client", {"--tls-cert", c.client}, "--tls-cert: needs --tls-key"},
      {"line_client", {"--tls-cert", c.client, "--tls-key", c.wrong_key}, "the TLS private key '" + c.wrong_key},
  };
  for (const auto& [program, args, expected] : client_cases) {
    BOOST_TEST_CONTEXT(program << " " << args[0] << " ... " << args.back()) {
      std::vector<std::string> all{"--port", "1"};  // nothing is connected to
      all.insert(all.end(), args.begin(), args.end());
      Result result = run(example(program), all, "hello\n", 20s);
      BOOST_TEST(result.status == 2);
      BOOST_TEST(result.out.empty(), result.out);
      BOOST_TEST(one_line(result.err), result.err);
      BOOST_TEST(result.err.starts_with(program + ": error: " + expected), result.err);
    }
  }
}
