// file_server and file_client (the file transfer tutorial): an empty, a 1-byte and a
// 64 MiB random file checked by hash, with our client, the tutorial's Python client and
// nc; root mode's refusals of names that escape the folder.
#define BOOST_TEST_MODULE examples_file
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "example_support.hpp"

using namespace examples_test;
namespace fs = std::filesystem;

namespace {

// The tutorial's file client (001), in Python 3, writing to argv[3].
const std::string file_client_py = R"(
import socket, sys
s = socket.socket()
s.settimeout(30)
host = sys.argv[1]
port = int(sys.argv[2])
s.connect((host, port))
s.send("Hello server!".encode())
with open(sys.argv[3], 'wb') as f:
   while True:
      data = s.recv(1024)
      if not data:
         break
      f.write(data)
f.close()
print('Successfully received')
s.close()
)";

// A root-mode request by hand: sends argv[3] and a newline, prints the whole reply.
const std::string root_request_py = R"(
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(sys.argv[3].encode() + b'\n')
reply = b''
while True:
    data = s.recv(1024)
    if not data:
        break
    reply += data
s.close()
sys.stdout.buffer.write(reply)
)";

constexpr std::size_t big_size = 64 * 1024 * 1024;

// The files every test serves: root/ with files, a subfolder and symlinks in and out.
struct Files {
  test_support::TempDir dir;
  std::string root = dir.file("root");
  std::string big_hash;

  Files() {
    fs::create_directories(root + "/sub/dir");
    std::ofstream(root + "/empty.txt");
    std::ofstream(root + "/one.bin") << 'x';
    std::ofstream(root + "/sub/dir/nested.txt") << "nested\n";
    std::ofstream(dir.file("outside.txt")) << "secret\n";
    write_random_file(root + "/big.bin", big_size, 4);
    big_hash = sha256(root + "/big.bin");
    fs::create_symlink("sub/dir/nested.txt", root + "/link_in");
    fs::create_symlink("../outside.txt", root + "/link_out");
    fs::create_symlink(dir.file("outside.txt"), root + "/link_absolute");
    fs::create_symlink("..", root + "/up");
  }
  std::string path(const std::string& name) const { return root + "/" + name; }
};

Files& files() {
  static Files instance;
  return instance;
}

} // namespace

BOOST_AUTO_TEST_CASE(file_mode_sends_empty_one_byte_and_64_mib_files) {
  const Files& f = files();
  struct Case {
    std::string name, mode;
    std::size_t size;
  };
  for (const Case& c : {Case{"empty.txt", "threading", 0}, Case{"one.bin", "pool", 1},
                        Case{"big.bin", "forking", big_size}, Case{"big.bin", "async", big_size}}) {
    BOOST_TEST_CONTEXT(c.name << " in mode " << c.mode) {
      Server server("file_server", {"--file", f.path(c.name), "--mode", c.mode});
      std::string out = f.dir.file("copy-" + c.name);
      fs::remove(out);
      std::vector<std::string> args = client_args(server.address());
      args.insert(args.end(), {"--out", out});
      Result result = run(example("file_client"), args, "", 60s);
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(result.out == "received " + std::to_string(c.size) + " bytes\n");
      BOOST_TEST(sha256(out) == sha256(f.path(c.name)));
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_tutorial_client_receives_64_mib_from_a_sync_server) {
  const Files& f = files();
  Server server("file_server", {"--file", f.path("big.bin")});
  std::string out = f.dir.file("recv-python.bin");
  Result result = python(file_client_py, {"127.0.0.1", port_of(server.address()), out}, "", 120s);
  BOOST_TEST(result.status == 0, result.err);
  BOOST_TEST(result.out == "Successfully received\n");
  BOOST_TEST(sha256(out) == f.big_hash);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(root_mode_serves_files_under_the_folder_in_every_mode) {
  const Files& f = files();
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("file_server", mode.args({"--root", f.root}));
      for (std::string name : {"empty.txt", "one.bin", "sub/dir/nested.txt", "link_in", "./sub//dir/nested.txt"}) {
        BOOST_TEST_CONTEXT(name) {
          std::string out = f.dir.file("get.out");
          fs::remove(out);
          std::vector<std::string> args = client_args(server.address());
          args.insert(args.end(), {"--get", name, "--out", out});
          Result result = run(example("file_client"), args);
          BOOST_TEST(result.status == 0, result.err);
          auto size = fs::file_size(fs::path(f.root) / name);
          BOOST_TEST(result.out == "received " + std::to_string(size) + " bytes\n");
          BOOST_TEST(sha256(out) == sha256(f.path(name)));
        }
      }
      Result raw = python(root_request_py, {"127.0.0.1", port_of(server.address()), "empty.txt"});
      BOOST_TEST(raw.out == "OK 0\n", raw.err);
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(root_mode_refuses_names_that_escape_the_folder) {
  const Files& f = files();
  Server server("file_server", {"--root", f.root, "--mode", "threading"});
  struct Case {
    std::string name, error;
  };
  for (const Case& c : {Case{"../outside.txt", "ERR name escapes the root"},
                        Case{"sub/../../outside.txt", "ERR name escapes the root"},
                        Case{f.dir.file("outside.txt"), "ERR name escapes the root"},
                        Case{"/etc/passwd", "ERR name escapes the root"},
                        Case{"link_out", "ERR name escapes the root"},
                        Case{"link_absolute", "ERR name escapes the root"},
                        Case{"up/outside.txt", "ERR name escapes the root"},
                        Case{"missing.txt", "ERR no such file"},
                        Case{"sub", "ERR not a regular file"},
                        Case{"", "ERR empty name"}}) {
    BOOST_TEST_CONTEXT("'" << c.name << "'") {
      std::string out = f.dir.file("refused.out");
      fs::remove(out);
      std::vector<std::string> args = client_args(server.address());
      args.insert(args.end(), {"--get", c.name, "--out", out});
      Result result = run(example("file_client"), args);
      BOOST_TEST(result.status == 1);
      BOOST_TEST(result.err == c.error + "\n");
      BOOST_TEST(result.out == "");
      BOOST_TEST(!fs::exists(out));
      Result raw = python(root_request_py, {"127.0.0.1", port_of(server.address()), c.name});
      BOOST_TEST(raw.out == c.error + "\n", raw.err);
    }
  }
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(root_mode_over_unix_and_ipv6_with_nc) {
  const Files& f = files();
  std::vector<std::vector<std::string>> setups{{"--unix", f.dir.file("files.sock"), "--mode", "pool"}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "sync"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      std::vector<std::string> server_args{"--root", f.root};
      server_args.insert(server_args.end(), args.begin(), args.end());
      Server server("file_server", server_args);
      std::vector<std::string> nc_args{"-N"};
      if (server.address().is_unix()) nc_args.insert(nc_args.end(), {"-U", server.address().path()});
      else nc_args.insert(nc_args.end(), {"::1", port_of(server.address())});
      Result nc = run("nc", nc_args, "sub/dir/nested.txt\r\n");
      BOOST_TEST(nc.out == "OK 7\nnested\n", nc.err);

      std::string out = f.dir.file("big-copy.bin");
      std::vector<std::string> client = client_args(server.address());
      client.insert(client.end(), {"--get", "big.bin", "--out", out});
      Result big = run(example("file_client"), client, "", 60s);
      BOOST_TEST(big.out == "received " + std::to_string(big_size) + " bytes\n", big.err);
      BOOST_TEST(sha256(out) == f.big_hash);
      BOOST_TEST(server.stop() == 0);
    }
  }
  BOOST_TEST(!fs::exists(f.dir.file("files.sock")));
}
