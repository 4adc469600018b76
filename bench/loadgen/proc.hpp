// What loadgen reads about the server from /proc: its memory and its CPU time, each summed
// over the server's whole process tree (forking servers' children included).
#pragma once

#include <cstddef>

namespace loadgen {

struct Memory {
  double rss_kib = 0;  // sum of VmRSS
  double pss_kib = 0;  // sum of Pss (shares pages fairly between forked processes)
  std::size_t processes = 0;
};

/// The memory of @p root and its descendants.
Memory memory_of_tree(long root);

/// CPU seconds (user + system) used so far by @p root and its descendants: every thread
/// of each process, and the children each has reaped. Kernel clock ticks, so 10 ms steps
/// at the usual 100 Hz.
double cpu_seconds_of_tree(long root);

} // namespace loadgen
