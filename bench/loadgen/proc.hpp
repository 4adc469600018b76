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
/// of each process, and the children each has reaped. The live threads of a process with
/// at most 64 threads to the nanosecond (schedstat); other processes, threads that have
/// exited and reaped children to a clock tick (10 ms) per process, as /proc/PID/stat gives
/// them. (/proc/PID/stat alone is truncated to a tick per process, which loses most of the
/// time of a forking server's short-lived children.)
double cpu_seconds_of_tree(long root);

} // namespace loadgen
