#include "source_rate_limit.hpp"

#include <algorithm>

namespace socketserver::detail {
namespace {

double refilled(double tokens, double rate, std::chrono::steady_clock::duration elapsed) {
  double burst = std::max(rate, 1.0);
  return std::min(burst, tokens + rate * std::chrono::duration<double>(elapsed).count());
}

} // namespace

SourceRateLimit::Verdict SourceRateLimit::allow(const std::string& source, double rate) {
  auto now = Clock::now();
  auto found = buckets_.find(source);
  if (found == buckets_.end()) {
    if (buckets_.size() >= max_sources) forget_idle(now, rate);
    found = buckets_.emplace(source, Bucket{std::max(rate, 1.0), now}).first;
  }
  Bucket& bucket = found->second;
  bucket.tokens = refilled(bucket.tokens, rate, now - bucket.updated);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    bucket.limited = false;
    return Verdict::allowed;
  }
  bool first = !bucket.limited;
  bucket.limited = true;
  return first ? Verdict::dropped_first : Verdict::dropped;
}

void SourceRateLimit::forget_idle(Clock::time_point now, double rate) {
  double burst = std::max(rate, 1.0);
  std::erase_if(buckets_, [&](const auto& entry) {
    return refilled(entry.second.tokens, rate, now - entry.second.updated) >= burst;
  });
  if (buckets_.size() >= max_sources) buckets_.clear();  // a flood of sources: start afresh
}

} // namespace socketserver::detail
