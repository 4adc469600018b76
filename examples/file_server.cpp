// file_server: the tutorial's file transfer, server side. With --file it reads the
// client's request (any bytes, such as "Hello server!"), sends the file and closes. With
// --root it serves any file under a folder: the request line names it, the reply is
// "OK SIZE\n" and the bytes, or "ERR REASON\n" — names that escape the folder ("..",
// absolute paths, symlinks leading out) and anything but a regular file are refused, and
// each refusal is logged on stderr. Files stream in chunks; --min-rate drops a reader
// that trickles.
//
//   file_server --port 5002 --file test.txt     then: file_client --port 5002
//   file_server --port 5002 --root shared/      then: file_client --port 5002 --get a/b.txt
#include <filesystem>
#include <iostream>

#include <socketserver/handlers.hpp>

#include "common/example.hpp"

using namespace socketserver;
using namespace socketserver::handlers;
namespace po = boost::program_options;

// 4 KiB/s is below any real link (a 2G modem does more), so no honest client is cut off;
// yet a reader that takes a few bytes now and then is dropped once a MiB is overdue.
constexpr long long default_min_rate = 4096;

int main(int argc, char* argv[]) {
  ServerCommandLine command_line("file_server", "Sends a file (--file), or files under a folder (--root).", 5002);
  command_line.add_options()("file", po::value<std::string>()->value_name("PATH"), "send this file to every client")(
      "root", po::value<std::string>()->value_name("DIR"), "serve the files under DIR, named by the request line")(
      "min-rate", po::value<long long>()->default_value(default_min_rate)->value_name("BYTES_PER_SEC"),
      "slowest reader tolerated: each MiB of a file must go within --timeout plus 1 MiB / BYTES_PER_SEC "
      "seconds, or the client is dropped (0: no minimum)");
  ServerOptions options = command_line.parse_or_exit(argc, argv);
  bool has_file = options.values.count("file") > 0, has_root = options.values.count("root") > 0;
  if (has_file == has_root) example::usage_error("file_server", "give either --file PATH or --root DIR");
  long long min_rate = options.values["min-rate"].as<long long>();
  if (min_rate < 0) example::usage_error("file_server", "--min-rate: must be a number of bytes per second, 0 or more");

  HandlerFactory factory;
  if (has_file) {
    std::string path = options.values["file"].as<std::string>();
    try {
      open_regular_file(path);  // fail now, not at the first client
    } catch (const FileRefused& refused) {
      std::cerr << "file_server: --file: cannot open '" << path << "': " << refused.what() << std::endl;
      return 1;
    }
    factory = handler<FileSendHandler>(path, std::size_t(min_rate));
  } else {
    std::string root = options.values["root"].as<std::string>();
    if (!std::filesystem::is_directory(root)) {
      std::cerr << "file_server: --root: '" << root << "' is not a folder" << std::endl;
      return 1;
    }
    factory = handler<FileRootHandler>(root, std::size_t(min_rate));
  }
  return example::serve("file_server", options.config, factory);
}
