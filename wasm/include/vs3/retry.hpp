// Retry policy: which failures are worth another attempt, and how long to wait first
// (exponential backoff with full jitter). Deterministic for a given seed, so tests replay exactly.
#pragma once
#include <cstdint>
#include <string>

namespace vs3 {

struct RetryConfig {
  std::uint32_t max_attempts = 5;  // total attempts, the first one included
  double base_delay_ms = 300;
  double max_delay_ms = 20000;
};

struct RetryDecision {
  bool retry = false;
  double delay_ms = 0;
  std::string reason;  // stable code: retryable_status, network_error, non_retryable_status, attempts_exhausted, ...
};

// splitmix64: tiny, well-distributed, and seedable for reproducible tests.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next();
  double uniform01();  // [0, 1)
 private:
  std::uint64_t s_;
};

class RetryPolicy {
 public:
  RetryPolicy(RetryConfig cfg, std::uint64_t seed) : cfg_(cfg), rng_(seed) {}

  // attempt: how many attempts have failed so far (1 after the first failure).
  // status: HTTP status, or 0 for a network error / timeout (no response).
  // s3_code: the <Code> of an S3 error body if known ("" otherwise): S3 answers 400 RequestTimeout
  //          for a stalled upload, which is worth retrying although 400 in general is not.
  // retry_after_ms: the server's Retry-After, or < 0 when absent.
  RetryDecision decide(std::uint32_t attempt, int status, const std::string& s3_code = "", double retry_after_ms = -1);

  // The backoff ceiling before jitter for a given attempt: min(max, base * 2^(attempt-1)).
  double ceiling_ms(std::uint32_t attempt) const;

  static bool is_retryable_status(int status);
  static bool is_retryable_s3_code(const std::string& code);
  const RetryConfig& config() const { return cfg_; }

 private:
  RetryConfig cfg_;
  SplitMix64 rng_;
};

}  // namespace vs3
