// detail::SourceRateLimit: a token bucket per source address, for datagram servers.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace socketserver::detail {

/// Lets through at most `rate` datagrams a second from each source (a burst of as many),
/// so a reflection loop or an amplification through the server stays bounded. Remembers
/// at most #max_sources sources; past that, those whose bucket is full are forgotten.
class SourceRateLimit {
public:
  /// Sources remembered at once.
  static constexpr std::size_t max_sources = 4096;

  /// What allow() decided.
  enum class Verdict { allowed, dropped, dropped_first };

  /// True when a datagram from @p source may be served now; `dropped_first` marks the
  /// first drop of a run, which is the one to log.
  Verdict allow(const std::string& source, double rate);

private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    double tokens;
    Clock::time_point updated;
    bool limited = false;
  };
  void forget_idle(Clock::time_point now, double rate);

  std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace socketserver::detail
