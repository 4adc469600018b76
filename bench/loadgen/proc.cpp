// The server's memory and CPU time from /proc (see proc.hpp).
#include "proc.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace loadgen {
namespace {

double proc_field_kib(const std::string& path, const std::string& field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + field.size(), nullptr);
  return 0;
}

// The fields of /proc/PID/stat after "(comm)", which may itself hold spaces and parentheses:
// fields[0] is the state (field 3 of proc(5)), fields[1] the parent (field 4), and so on.
std::vector<std::string> stat_fields(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  std::vector<std::string> fields;
  auto close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(stat.substr(close + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// @p root and every process below it.
std::vector<long> process_tree(long root) {
  std::map<long, std::vector<long>> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    long pid = std::stol(name);
    auto fields = stat_fields(pid);
    if (fields.size() > 1) children[std::stol(fields[1])].push_back(pid);
  }
  std::vector<long> tree;
  std::vector<long> todo{root};
  while (!todo.empty()) {
    long pid = todo.back();
    todo.pop_back();
    tree.push_back(pid);
    for (long child : children[pid]) todo.push_back(child);
  }
  return tree;
}

} // namespace

Memory memory_of_tree(long root) {
  Memory memory;
  for (long pid : process_tree(root)) {
    std::string base = "/proc/" + std::to_string(pid);
    memory.rss_kib += proc_field_kib(base + "/status", "VmRSS:");
    memory.pss_kib += proc_field_kib(base + "/smaps_rollup", "Pss:");
    ++memory.processes;
  }
  return memory;
}

double cpu_seconds_of_tree(long root) {
  static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double ticks = 0;
  for (long pid : process_tree(root)) {
    // proc(5) fields 14..17: utime, stime, cutime, cstime — fields[11..14] here. A child
    // reaped between two samples moves from its own line into its parent's cutime/cstime.
    auto fields = stat_fields(pid);
    if (fields.size() < 15) continue;
    for (std::size_t i = 11; i <= 14; ++i) ticks += std::strtod(fields[i].c_str(), nullptr);
  }
  return ticks / ticks_per_second;
}

} // namespace loadgen
