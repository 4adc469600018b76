#include "parse_steps.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "config_file.hpp"
#include "socketserver/printable.hpp"
#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver::command_line_detail {
namespace {

// Where each value read from --config came from ("PATH:LINE"), by option name.
using Origins = std::map<std::string, std::string>;

bool is_unsigned(const po::value_semantic* semantic) {
  return dynamic_cast<const po::typed_value<unsigned short>*>(semantic) ||
         dynamic_cast<const po::typed_value<unsigned>*>(semantic) ||
         dynamic_cast<const po::typed_value<unsigned long>*>(semantic) ||
         dynamic_cast<const po::typed_value<unsigned long long>*>(semantic);
}

// Refuses what Program_options lets through: a stray argument (it would be silently
// ignored) and a negative value for an unsigned option (lexical_cast wraps "-1" round to
// 4294967295, so `--workers=-1` would ask for four billion threads).
const po::parsed_options& checked(const po::parsed_options& parsed) {
  for (const po::option& option : parsed.options) {
    if (option.position_key >= 0) throw UsageError("", "unexpected argument '" + option.value.front() + "'");
    const po::option_description* description = parsed.description->find_nothrow(option.string_key, false);
    if (!description || !is_unsigned(description->semantic().get())) continue;
    for (const std::string& value : option.value)
      if (value.starts_with('-')) throw UsageError(option.string_key, "must not be negative (got '" + value + "')");
  }
  return parsed;
}

// The shared group (with --help and --version), then the program's own, aligned alike and
// a blank line apart.
std::string help_text(const CommandLine& command_line, const po::options_description& shared) {
  const po::options_description& own = command_line.own_options();
  unsigned width = std::max(shared.get_option_column_width(), own.get_option_column_width());
  std::ostringstream help;
  help << "Usage: " << command_line.program() << " [options]\n" << command_line.summary() << "\n\n";
  shared.print(help, width);
  if (!own.options().empty()) {
    help << "\n";
    own.print(help, width);
  }
  return help.str();
}

// Stores what the --config file sets and the command line did not, having noted in
// @p origins where each of those values came from (for the errors store() may throw).
void store_config_file(const std::string& path, const po::options_description& options, po::variables_map& values,
                       Origins& origins) {
  ConfigFile file = read_config_file(path, options);
  origins = std::move(file.where);
  std::erase_if(origins, [&](const auto& entry) {
    auto given = values.find(entry.first);
    return entry.first == "config" || (given != values.end() && !given->second.defaulted());
  });
  po::store(checked(file.options), values);
}

std::string bare_name(std::string name) {
  name.erase(0, name.find_first_not_of('-'));
  return name;
}

// "PROGRAM: error: [PATH:LINE: ]WHAT", escaped so that it stays one line whatever the
// operator or the file held.
std::string error_line(const CommandLine& command_line, const std::string& what, const std::string& option,
                       const Origins& origins) {
  auto origin = origins.find(option);
  std::string where = origin == origins.end() ? "" : origin->second + ": ";
  return command_line.program() + ": error: " + printable(where + what);
}

} // namespace

Ending parse_steps(const CommandLine& command_line, int argc, const char* const argv[], po::options_description shared,
                   const std::function<void(const po::variables_map&)>& interpret) {
  shared.add_options()("help", "show this help and exit")("version", "show the version and exit");
  po::options_description everything;
  everything.add(shared);
  if (!command_line.own_options().options().empty()) everything.add(command_line.own_options());

  Origins origins;
  try {
    po::variables_map values;
    po::store(checked(po::command_line_parser(argc, argv).options(everything).run()), values);
    if (values.count("help")) return {0, help_text(command_line, shared)};
    if (values.count("version")) return {0, command_line.version_line() + "\n"};
    if (values.count("config")) store_config_file(values["config"].as<std::string>(), everything, values, origins);
    po::notify(values);
    interpret(values);
    return {};
  } catch (const po::error_with_option_name& e) {
    return {2, error_line(command_line, e.what(), bare_name(e.get_option_name()), origins)};
  } catch (const po::error& e) {
    return {2, error_line(command_line, e.what(), "", origins)};
  } catch (const UsageError& e) {
    return {2, error_line(command_line, e.what(), e.option, origins)};
  }
}

void print_and_exit(int exit_status, const std::string& message) {
  if (exit_status == 0) {
    std::fputs(message.c_str(), stdout);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  std::exit(exit_status);
}

} // namespace socketserver::command_line_detail
