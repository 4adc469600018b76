// loadgen: a bounded, validating load generator for echo-style servers (bench/ only).
//
//   loadgen pingpong  --port P [-c 16] [-s 64]      C connections, request/reply in lock step
//   loadgen connrate  --port P [-c 8]  [-s 64]      connect, send, read the reply, close; repeat
//   loadgen connrate  --port P --read-until-close   ... send, half-close, read until the server closes
//   loadgen bulk      --port P [-c 1]  [-s 65536]   stream; --discard for a discard server
//   loadgen idle      --port P -c 1000 --pid PID    hold idle connections, report server RSS
//
// With --pid PID, the other workloads also report the server's CPU time (user + system,
// its whole process tree) per operation of the measured window: server_cpu_us_per_op.
//   loadgen udp       --port P [-c 16] [-s 64]      datagrams in lock step against a UDP echo
//
// pingpong and connrate take --tls --tls-ca FILE: each connection first makes a full TLS 1.3
// handshake (no session is ever resumed), then sends and reads through it; connrate then
// measures handshakes per second (connect, handshake, one echo, close_notify, close).
//
// Every workload is bounded in time (--warmup then --duration; connection setup and idle
// pings by --io-timeout), every echoed byte is compared with what was sent, and the result
// is printed as a small table followed by one JSON line. The exit status is 1 when any
// error (connection failure, wrong or missing bytes) occurred, 2 on a usage error.
//
// One thread, one io_context: pin it with taskset to keep it off the server's core.
//
// The workloads live in bench/loadgen/*.cpp; this file parses the command line and prints
// the result.
#include "workloads.hpp"

namespace loadgen {
namespace {

// ---------------------------------------------------------------------------------------
// Output.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

void report(const Options& options, Result& result) {
  const double seconds = result.seconds > 0 ? result.seconds : 1;
  const double rate = static_cast<double>(result.ops) / seconds;
  const double mbps = static_cast<double>(result.bytes) / seconds / 1e6;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const bool timed = result.latency.total() > 0;
  const char* unit = options.workload == "connrate" ? "connections/s"
                     : options.workload == "udp"    ? "datagrams/s"
                     : options.workload == "bulk"   ? "chunks/s"
                                                    : "requests/s";

  std::cout << std::fixed << std::setprecision(1);
  std::cout << "loadgen " << options.workload << "  " << options.host << ':' << options.port
            << "  connections=" << options.connections << " size=" << options.size
            << (options.read_until_close ? " read-until-close" : "") << (options.discard ? " discard" : "")
            << (options.tls ? " tls" : "")
            << (options.label.empty() ? "" : "  [" + options.label + "]") << '\n';
  std::cout << "  " << std::left << std::setw(22) << "measured seconds" << std::setprecision(3) << seconds
            << std::setprecision(1) << '\n';
  if (options.workload != "idle") {
    std::cout << "  " << std::setw(22) << unit << rate << '\n';
    std::cout << "  " << std::setw(22) << "MB/s" << std::setprecision(2) << mbps << std::setprecision(1) << '\n';
  }
  if (timed) {
    std::cout << "  " << std::setw(22) << "latency p50/p99/p999" << us(result.latency.quantile(0.5)) << " / "
              << us(result.latency.quantile(0.99)) << " / " << us(result.latency.quantile(0.999))
              << " us (max " << us(result.latency.max()) << ")\n";
  }
  for (const auto& [name, value] : result.extra)
    std::cout << "  " << std::setw(22) << name << value << '\n';
  std::cout << "  " << std::setw(22) << "errors" << result.errors << '\n';
  for (const auto& [kind, count] : result.error_kinds) std::cout << "    " << count << " x " << kind << '\n';

  std::ostringstream json;
  json << std::setprecision(6) << "{\"workload\":" << json_string(options.workload)
       << ",\"label\":" << json_string(options.label) << ",\"host\":" << json_string(options.host)
       << ",\"port\":" << options.port << ",\"connections\":" << options.connections
       << ",\"size\":" << options.size << ",\"read_until_close\":" << (options.read_until_close ? "true" : "false")
       << ",\"discard\":" << (options.discard ? "true" : "false") << ",\"tls\":" << (options.tls ? "true" : "false")
       << ",\"seconds\":" << seconds
       << ",\"ops\":" << result.ops << ",\"rate\":" << rate << ",\"bytes\":" << result.bytes
       << ",\"mbps\":" << mbps << ",\"p50_us\":" << us(result.latency.quantile(0.5))
       << ",\"p99_us\":" << us(result.latency.quantile(0.99))
       << ",\"p999_us\":" << us(result.latency.quantile(0.999)) << ",\"max_us\":" << us(result.latency.max())
       << ",\"errors\":" << result.errors;
  for (const auto& [name, value] : result.extra) json << ",\"" << name << "\":" << value;
  json << ",\"error_samples\":[";
  for (std::size_t i = 0; i < result.error_samples.size(); ++i)
    json << (i ? "," : "") << json_string(result.error_samples[i]);
  json << "]}";
  std::cout << json.str() << std::endl;
}

// Raises the soft RLIMIT_NOFILE to the hard limit, and fails with a message when even that
// is too low for @p sockets sockets (10,000 idle connections need 10,000 descriptors).
void raise_descriptor_limit(std::size_t sockets) {
  constexpr std::size_t kSpare = 32;  // standard streams, epoll, timers
  const std::size_t needed = sockets + kSpare;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    std::cerr << "loadgen: " << sockets << " connections need about " << needed
              << " file descriptors, but RLIMIT_NOFILE allows " << limit.rlim_cur << " (hard limit "
              << (limit.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(limit.rlim_max))
              << "); raise the hard limit (ulimit -Hn / prlimit --nofile, as root) or use fewer connections\n";
    std::exit(1);
  }
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "loadgen: " << message << " (try --help)\n";
  std::exit(2);
}

Options parse(int argc, char* argv[]) {
  namespace po = boost::program_options;
  Options o;
  po::options_description visible("loadgen WORKLOAD [options]   (pingpong | connrate | bulk | idle | udp)");
  visible.add_options()
      ("help", "show this help")
      ("host", po::value(&o.host)->default_value(o.host), "server address (numeric)")
      ("port", po::value(&o.port)->required(), "server port")
      ("connections,c", po::value(&o.connections), "connections / workers / sockets (default 16; connrate 8; bulk 1; idle 1000)")
      ("size,s", po::value(&o.size), "bytes per request, or per chunk for bulk (default 64; bulk 65536)")
      ("duration,d", po::value(&o.duration)->default_value(o.duration), "measured seconds (idle: settle time)")
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds run before measuring")
      ("io-timeout", po::value(&o.io_timeout)->default_value(o.io_timeout), "limit for connecting (and idle pings)")
      ("loss-timeout", po::value(&o.udp_loss_timeout)->default_value(o.udp_loss_timeout), "udp: seconds before a datagram counts as lost")
      ("pid", po::value(&o.pid), "the server's pid (its children are counted too): idle reports its memory, "
                                   "the others its CPU time per operation in the measured window")
      ("read-until-close", po::bool_switch(&o.read_until_close), "connrate: half-close after sending, read until the server closes")
      ("discard", po::bool_switch(&o.discard), "bulk: only write (for a discard server)")
      ("no-ping", po::bool_switch(&o.no_ping), "idle: do not send the one-byte ping on each connection")
      ("tls", po::bool_switch(&o.tls), "pingpong, connrate: a full TLS 1.3 handshake on each connection, then TLS")
      ("tls-ca", po::value(&o.tls_ca), "with --tls: the PEM CA certificates that verify the server's")
      ("label", po::value(&o.label), "free text copied into the output");
  po::options_description all;
  all.add(visible).add_options()("workload", po::value(&o.workload));
  po::positional_options_description positional;
  positional.add("workload", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
    if (values.count("help")) {
      std::cout << visible << '\n';
      std::exit(0);
    }
    po::notify(values);
  } catch (const po::error& e) {
    usage_error(e.what());
  }
  static const std::map<std::string, std::pair<std::size_t, std::size_t>> defaults{
      {"pingpong", {16, 64}}, {"connrate", {8, 64}}, {"bulk", {1, 65536}}, {"idle", {1000, 1}}, {"udp", {16, 64}}};
  auto found = defaults.find(o.workload);
  if (found == defaults.end()) usage_error("unknown or missing workload '" + o.workload + "'");
  if (!values.count("connections")) o.connections = found->second.first;
  if (!values.count("size")) o.size = found->second.second;
  if (o.connections == 0 || o.connections > 100000) usage_error("--connections must be 1..100000");
  if (o.size > 16 * 1024 * 1024) usage_error("--size must be at most 16 MiB");
  if (o.size == 0 && o.workload != "connrate") usage_error("--size must be positive");
  if (o.size == 0 && !o.read_until_close) usage_error("--size 0 needs --read-until-close");
  if (o.workload == "udp" && (o.size < 8 || o.size > 65507)) usage_error("udp: --size must be 8..65507");
  if (o.duration <= 0 || o.duration > 600 || o.warmup < 0 || o.warmup > 600) usage_error("--duration/--warmup out of range");
  if (o.port == 0 || o.port > 65535) usage_error("--port must be 1..65535");
  if (o.tls && o.workload != "pingpong" && o.workload != "connrate") usage_error("--tls: pingpong and connrate only");
  if (o.tls && o.read_until_close) usage_error("--tls: not with --read-until-close");
  if (o.tls && o.tls_ca.empty()) usage_error("--tls needs --tls-ca FILE");
  if (!o.tls && !o.tls_ca.empty()) usage_error("--tls-ca needs --tls");
  try {
    auto address = asio::ip::make_address(o.host);
    if (!address.is_loopback()) usage_error("--host must be a loopback address");
  } catch (const std::exception&) {
    usage_error("--host must be a numeric address");
  }
  return o;
}

} // namespace
} // namespace loadgen

using namespace loadgen;

int main(int argc, char* argv[]) {
  Options options = parse(argc, argv);
  raise_descriptor_limit(options.connections);
  try {
    asio::io_context io(1);
    std::unique_ptr<Run> run;
    if (options.workload == "pingpong") run = make_pingpong(options, io);
    else if (options.workload == "connrate") run = make_connrate(options, io);
    else if (options.workload == "bulk") run = make_bulk(options, io);
    else if (options.workload == "idle") run = make_idle(options, io);
    else run = make_udp(options, io);
    run->begin();
    io.run();
    report(options, run->result());
    return run->result().errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << '\n';
    return 1;
  }
}
