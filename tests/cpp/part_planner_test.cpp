#include "vs3/part_planner.hpp"

#include <gtest/gtest.h>

using namespace vs3;
using namespace vs3::limits;

namespace {
PartPlanResult plan(std::uint64_t size, std::uint64_t preferred = 0, std::uint64_t budget = 0, std::uint32_t conc = 4) {
  PartPlanRequest r;
  r.object_size = size;
  r.preferred_part_size = preferred;
  r.memory_budget = budget;
  r.max_concurrency = conc;
  return plan_parts(r);
}

// Invariants every successful plan must satisfy.
void expect_valid(const PartPlanResult& r) {
  ASSERT_TRUE(r.ok) << r.error_code << ": " << r.error_message;
  const PartPlan& p = r.plan;
  EXPECT_GE(p.part_count, 1u);
  EXPECT_LE(p.part_count, kMaxParts);
  EXPECT_EQ(std::uint64_t(p.part_count - 1) * p.part_size + p.last_part_size, p.object_size);
  EXPECT_LE(p.last_part_size, p.part_size);
  EXPECT_LE(p.part_size, kMaxPartSize);
  if (p.multipart) {
    EXPECT_GE(p.part_size, kMinPartSize);
    EXPECT_GT(p.last_part_size, 0u);
    EXPECT_GE(p.part_count, 2u);
  } else {
    EXPECT_EQ(p.part_count, 1u);
    EXPECT_LE(p.object_size, kMaxSinglePutSize);
  }
  EXPECT_GE(p.concurrency, 1u);
  EXPECT_LE(p.concurrency, p.part_count);
}
}  // namespace

TEST(PartPlanner, EmptyAndSmallObjectsAreOnePut) {
  for (std::uint64_t size : {std::uint64_t(0), std::uint64_t(1), 5 * kMiB, kDefaultPartSize}) {
    auto r = plan(size);
    expect_valid(r);
    EXPECT_FALSE(r.plan.multipart) << size;
    EXPECT_EQ(r.plan.part_size, size);
  }
}

TEST(PartPlanner, DefaultPartSizeAndEqualParts) {
  auto r = plan(100 * kMiB + 3);
  expect_valid(r);
  EXPECT_TRUE(r.plan.multipart);
  EXPECT_EQ(r.plan.part_size, kDefaultPartSize);
  EXPECT_EQ(r.plan.part_count, 13u);
  EXPECT_EQ(r.plan.last_part_size, 4 * kMiB + 3);
  EXPECT_EQ(r.plan.part_offset(12), 12 * kDefaultPartSize);
  EXPECT_EQ(r.plan.size_of_part(12), 4 * kMiB + 3);
  EXPECT_EQ(r.plan.size_of_part(0), kDefaultPartSize);
}

TEST(PartPlanner, PreferredPartSizeIsHonouredAndValidated) {
  auto r = plan(64 * kMiB, 16 * kMiB);
  expect_valid(r);
  EXPECT_EQ(r.plan.part_size, 16 * kMiB);
  EXPECT_EQ(r.plan.part_count, 4u);
  EXPECT_EQ(r.plan.last_part_size, 16 * kMiB);

  EXPECT_EQ(plan(64 * kMiB, 4 * kMiB).error_code, "invalid_part_size");
  EXPECT_EQ(plan(64 * kMiB, kMaxPartSize + 1).error_code, "invalid_part_size");
  EXPECT_EQ(plan(64 * kMiB, 0, 0, 0).error_code, "invalid_concurrency");
}

TEST(PartPlanner, GrowsPartsToStayWithinTenThousand) {
  // 1 TiB with 8 MiB parts would be 131,072 parts.
  const std::uint64_t tib = 1024ull * 1024 * kMiB;
  auto r = plan(tib);
  expect_valid(r);
  EXPECT_EQ(r.plan.part_size % kMiB, 0u);
  EXPECT_EQ(r.plan.part_size, 105 * kMiB);  // ceil(1 TiB / 10000) rounded up to a MiB
  // A preference smaller than needed is raised, not refused.
  auto r2 = plan(tib, 5 * kMiB);
  expect_valid(r2);
  EXPECT_EQ(r2.plan.part_size, 105 * kMiB);
}

TEST(PartPlanner, LargestObjectFitsExactlyAndOneMoreByteFails) {
  auto r = plan(kMaxObjectSize);
  expect_valid(r);
  EXPECT_EQ(r.plan.part_size, kMaxPartSize);
  EXPECT_EQ(r.plan.part_count, kMaxParts);
  EXPECT_EQ(r.plan.last_part_size, kMaxPartSize);

  auto bad = plan(kMaxObjectSize + 1);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error_code, "object_too_large");
  EXPECT_NE(bad.error_message.find("53687091200000"), std::string::npos);
}

TEST(PartPlanner, SinglePutNeverExceedsFiveGiB) {
  auto r = plan(kMaxSinglePutSize + 1, kMaxPartSize);
  expect_valid(r);
  EXPECT_TRUE(r.plan.multipart);
  EXPECT_EQ(r.plan.part_count, 2u);
  EXPECT_EQ(r.plan.last_part_size, 1u);
}

TEST(PartPlanner, MemoryBudgetBoundsPartSizeTimesConcurrency) {
  // 64 MiB budget, 4 in flight: 16 MiB parts at most.
  auto r = plan(1024 * kMiB, 32 * kMiB, 64 * kMiB, 4);
  expect_valid(r);
  EXPECT_LE(r.plan.part_size * r.plan.concurrency, 64 * kMiB);
  EXPECT_EQ(r.plan.part_size, 16 * kMiB);
  EXPECT_EQ(r.plan.concurrency, 4u);

  // A budget that fits the needed part size only once: concurrency drops to 1.
  const std::uint64_t big = 500ull * 1024 * kMiB;  // needs 52 MiB parts
  auto r2 = plan(big, 0, 60 * kMiB, 4);
  expect_valid(r2);
  EXPECT_EQ(r2.plan.part_size, 52 * kMiB);
  EXPECT_EQ(r2.plan.concurrency, 1u);

  auto bad = plan(big, 0, 40 * kMiB, 4);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error_code, "memory_budget_too_small");
}

TEST(PartPlanner, ExhaustiveInvariantsOverManySizes) {
  for (std::uint64_t size = 0; size < 200 * kMiB; size += 1234567) expect_valid(plan(size));
  for (std::uint64_t size = kMaxObjectSize - 100; size <= kMaxObjectSize; ++size) expect_valid(plan(size));
}
