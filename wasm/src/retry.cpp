#include "vs3/retry.hpp"

#include <algorithm>
#include <cmath>

namespace vs3 {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double SplitMix64::uniform01() {
  return double(next() >> 11) * (1.0 / 9007199254740992.0);
}

bool RetryPolicy::is_retryable_status(int status) {
  switch (status) {
    case 0:    // no response: connection reset, DNS, timeout
    case 408:  // Request Timeout
    case 409:  // S3 OperationAborted: conflicting operation in progress
    case 425:  // Too Early
    case 429:  // Too Many Requests
    case 500:
    case 502:
    case 503:
    case 504: return true;
    default: return false;
  }
}

bool RetryPolicy::is_retryable_s3_code(const std::string& code) {
  return code == "RequestTimeout" || code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "OperationAborted";
}

double RetryPolicy::ceiling_ms(std::uint32_t attempt) const {
  if (attempt == 0) return 0;
  const double exp = std::ldexp(cfg_.base_delay_ms, int(std::min<std::uint32_t>(attempt - 1, 60)));
  return std::min(cfg_.max_delay_ms, exp);
}

RetryDecision RetryPolicy::decide(std::uint32_t attempt, int status, const std::string& s3_code,
                                  double retry_after_ms) {
  RetryDecision d;
  const bool retryable = is_retryable_status(status) || is_retryable_s3_code(s3_code);
  if (!retryable) {
    d.reason = "non_retryable_status";
    return d;
  }
  if (attempt >= cfg_.max_attempts) {
    d.reason = "attempts_exhausted";
    return d;
  }
  d.retry = true;
  d.reason = status == 0 ? "network_error" : "retryable_status";
  // Full jitter: uniform in [0, ceiling). Spreads a thundering herd of clients evenly.
  d.delay_ms = rng_.uniform01() * ceiling_ms(attempt);
  if (retry_after_ms >= 0) d.delay_ms = std::min(cfg_.max_delay_ms, std::max(d.delay_ms, retry_after_ms));
  return d;
}

}  // namespace vs3
