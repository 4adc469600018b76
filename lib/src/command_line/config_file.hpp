// read_config_file(): the options of a --config file, with the line each came from.
#pragma once

#include <map>
#include <string>

#include <boost/program_options/cmdline.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>

namespace socketserver::command_line_detail {

// Largest --config file read: a configuration is a few hundred bytes; anything near this
// is not one.
inline constexpr std::size_t largest_config_file = 1024 * 1024;

// What a --config file holds.
struct ConfigFile {
  explicit ConfigFile(const boost::program_options::options_description& description)
      : options(&description, boost::program_options::command_line_style::allow_long) {}

  // Its `name = value` lines, ready for boost::program_options::store().
  boost::program_options::parsed_options options;
  // "PATH:LINE" of each option's first line in the file.
  std::map<std::string, std::string> where;
};

// Reads the `name = value` lines (blank lines and `#` comments aside) of the file at
// @p path, for options of @p description. Only a regular file of at most
// largest_config_file bytes is opened (never a FIFO, a device or a folder), and only once
// stat() says so. Throws UsageError naming --config and the file when it cannot be read,
// or the file and the line at fault in what it holds (quoted escaped).
ConfigFile read_config_file(const std::string& path, const boost::program_options::options_description& description);

} // namespace socketserver::command_line_detail
