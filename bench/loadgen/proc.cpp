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
#include <system_error>
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

std::vector<long> numbers_in(const std::string& path) {
  std::ifstream in(path);
  std::vector<long> numbers;
  for (long n; in >> n;) numbers.push_back(n);
  return numbers;
}

std::vector<long> tasks_of(long pid) {
  std::vector<long> tasks;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) tasks.push_back(std::stol(name));
  }
  return tasks;
}

// @p root and every process below it, by the parent field of every process in /proc (which
// lists processes, not threads: a few hundred reads however many threads the server has).
std::vector<long> process_tree(long root) {
  std::map<long, std::vector<long>> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
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
  // Above this many threads a process's time is taken from its stat line alone (to a tick):
  // reading 10,000 threads' schedstat takes a quarter of a second.
  constexpr long kMostThreadsRead = 64;
  static const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  double seconds = 0;
  for (long pid : process_tree(root)) {
    // proc(5) fields 14..17 — utime, stime, cutime, cstime, fields[11..14] here — in clock
    // ticks (10 ms): utime + stime hold every thread, those that have exited too, cutime +
    // cstime the children this process has reaped; field 20 (fields[17]) is num_threads.
    auto fields = stat_fields(pid);
    if (fields.size() < 18) continue;
    auto ticks = [&](std::size_t i) { return std::strtod(fields[i].c_str(), nullptr) * tick; };
    double own = ticks(11) + ticks(12);
    if (std::strtol(fields[17].c_str(), nullptr, 10) <= kMostThreadsRead) {
      // Each live thread's time to the nanosecond (field 1 of its schedstat); what utime +
      // stime hold beyond that is the exited threads' time (nothing when none has exited).
      double live = 0;
      for (long task : tasks_of(pid)) {
        auto numbers = numbers_in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(task) + "/schedstat");
        if (!numbers.empty()) live += static_cast<double>(numbers[0]) * 1e-9;
      }
      own = live + std::max(0.0, own - live);
    }
    seconds += own + ticks(13) + ticks(14);
  }
  return seconds;
}

} // namespace loadgen
