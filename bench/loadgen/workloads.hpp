// The workloads loadgen can run, each made by one function.
#pragma once

#include <memory>

#include "run.hpp"

namespace loadgen {

/// pingpong: C connections, each sends S bytes and waits for all S back before the next.
std::unique_ptr<Run> make_pingpong(const Options& options, asio::io_context& io);
/// connrate: C workers loop connect, send, read the reply (or until close), close.
std::unique_ptr<Run> make_connrate(const Options& options, asio::io_context& io);
/// bulk: one-way or echoed streaming.
std::unique_ptr<Run> make_bulk(const Options& options, asio::io_context& io);
/// idle: C idle connections, the server's memory per connection.
std::unique_ptr<Run> make_idle(const Options& options, asio::io_context& io);
/// udp: C sockets sending datagrams in lock step.
std::unique_ptr<Run> make_udp(const Options& options, asio::io_context& io);

} // namespace loadgen
