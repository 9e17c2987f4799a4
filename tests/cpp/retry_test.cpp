#include "vs3/retry.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace vs3;

TEST(Retry, RetryableAndNonRetryableStatuses) {
  for (int s : {0, 408, 409, 425, 429, 500, 502, 503, 504}) EXPECT_TRUE(RetryPolicy::is_retryable_status(s)) << s;
  for (int s : {200, 204, 301, 400, 401, 403, 404, 405, 411, 412, 413, 415, 422, 501, 505}) {
    EXPECT_FALSE(RetryPolicy::is_retryable_status(s)) << s;
  }
  RetryPolicy p({5, 100, 10000}, 1);
  EXPECT_FALSE(p.decide(1, 403).retry);
  EXPECT_EQ(p.decide(1, 403).reason, "non_retryable_status");
  // S3's 400 RequestTimeout is the exception to "400 is final".
  EXPECT_FALSE(p.decide(1, 400).retry);
  EXPECT_TRUE(p.decide(1, 400, "RequestTimeout").retry);
  EXPECT_TRUE(p.decide(1, 503, "SlowDown").retry);
  EXPECT_EQ(p.decide(1, 0).reason, "network_error");
}

TEST(Retry, StopsAfterMaxAttempts) {
  RetryPolicy p({3, 100, 10000}, 1);
  EXPECT_TRUE(p.decide(1, 503).retry);
  EXPECT_TRUE(p.decide(2, 503).retry);
  auto d = p.decide(3, 503);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "attempts_exhausted");
}

TEST(Retry, CeilingDoublesUpToTheCap) {
  RetryPolicy p({20, 100, 5000}, 1);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(1), 100);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(2), 200);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(3), 400);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(6), 3200);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(7), 5000);
  EXPECT_DOUBLE_EQ(p.ceiling_ms(1000), 5000);  // no overflow for huge attempt counts
}

TEST(Retry, FullJitterIsUniformBelowTheCeilingAndSeeded) {
  RetryPolicy p({1000000, 1000, 1000}, 12345);
  const int n = 20000;
  double sum = 0, lo = 1e9, hi = -1;
  int buckets[10] = {0};
  for (int i = 0; i < n; ++i) {
    const double d = p.decide(1, 503).delay_ms;
    ASSERT_GE(d, 0);
    ASSERT_LT(d, 1000);
    sum += d;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    buckets[int(d / 100)]++;
  }
  EXPECT_NEAR(sum / n, 500, 15);  // mean of U(0,1000)
  EXPECT_LT(lo, 5);
  EXPECT_GT(hi, 995);
  for (int b : buckets) EXPECT_NEAR(b, n / 10, n / 10 * 0.1);

  // Same seed, same sequence; other seed, other sequence.
  RetryPolicy a({10, 100, 10000}, 99), b({10, 100, 10000}, 99), c({10, 100, 10000}, 100);
  std::vector<double> sa, sb, sc;
  for (std::uint32_t i = 1; i < 10; ++i) {
    sa.push_back(a.decide(i, 500).delay_ms);
    sb.push_back(b.decide(i, 500).delay_ms);
    sc.push_back(c.decide(i, 500).delay_ms);
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(Retry, RetryAfterIsHonouredWithinTheCap) {
  RetryPolicy p({5, 10, 8000}, 3);
  auto d = p.decide(1, 429, "", 2000);
  EXPECT_TRUE(d.retry);
  EXPECT_GE(d.delay_ms, 2000);
  EXPECT_LE(p.decide(1, 503, "", 60000).delay_ms, 8000);
}

TEST(Retry, SimulatedOutageRecovers) {
  // Simulated time: a server that fails 3 times then succeeds. The policy must keep going and
  // the total wait stays within the sum of ceilings.
  RetryPolicy p({5, 200, 10000}, 77);
  double clock_ms = 0, budget = 0;
  int failures = 0;
  std::uint32_t attempt = 0;
  while (true) {
    ++attempt;
    const bool ok = failures >= 3;
    if (ok) break;
    ++failures;
    auto d = p.decide(attempt, 503);
    ASSERT_TRUE(d.retry);
    clock_ms += d.delay_ms;
    budget += p.ceiling_ms(attempt);
  }
  EXPECT_EQ(attempt, 4u);
  EXPECT_LE(clock_ms, budget);
}
