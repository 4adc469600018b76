// Checked values of the options both command lines share: bounded numbers, durations the
// clocks can hold, ports, and the address (--host/--port or --unix). Each throws
// UsageError naming the option.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/program_options/variables_map.hpp>

#include "socketserver/address.hpp"
#include "socketserver/base_server.hpp"

namespace socketserver::command_line_detail {

// The unsigned option @p name, which must lie from @p least to @p most.
unsigned bounded(const boost::program_options::variables_map& values, const std::string& name, unsigned least,
                 unsigned most);

// The duration option @p name in seconds: 0 for none (nullopt), or from @p shortest to
// @p longest.
std::optional<Seconds> duration(const boost::program_options::variables_map& values, const std::string& name,
                                double shortest, double longest);

// Where to listen or connect: --unix PATH (at most what sockaddr_un holds), or --host
// (a name, an IPv4 address or an IPv6 one, bracketed or not) with --port (from
// @p least_port to 65535).
Address address(const boost::program_options::variables_map& values, unsigned least_port);

} // namespace socketserver::command_line_detail
