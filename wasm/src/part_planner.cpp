#include "vs3/part_planner.hpp"

#include <algorithm>

namespace vs3 {
namespace {

PartPlanResult fail(const char* code, std::string message) {
  PartPlanResult r;
  r.error_code = code;
  r.error_message = std::move(message);
  return r;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return a / b + (a % b != 0);
}
std::uint64_t round_up(std::uint64_t v, std::uint64_t m) {
  return ceil_div(v, m) * m;
}

}  // namespace

PartPlanResult plan_parts(const PartPlanRequest& req) {
  using namespace limits;
  if (req.object_size > kMaxObjectSize) {
    return fail("object_too_large", "object is " + std::to_string(req.object_size) +
                                        " bytes; S3-compatible storage takes at most " +
                                        std::to_string(kMaxObjectSize) + " bytes (10,000 parts of 5 GiB)");
  }
  if (req.preferred_part_size != 0 &&
      (req.preferred_part_size < kMinPartSize || req.preferred_part_size > kMaxPartSize)) {
    return fail("invalid_part_size",
                "preferred part size " + std::to_string(req.preferred_part_size) + " is outside 5 MiB .. 5 GiB");
  }
  if (req.max_concurrency == 0) return fail("invalid_concurrency", "max_concurrency must be at least 1");

  // Smallest part size that keeps the object within 10,000 parts, MiB-aligned.
  const std::uint64_t needed = std::max(kMinPartSize, round_up(ceil_div(req.object_size, kMaxParts), kMiB));
  std::uint64_t part = std::max(needed, req.preferred_part_size ? req.preferred_part_size : kDefaultPartSize);
  std::uint32_t concurrency = req.max_concurrency;

  if (req.memory_budget != 0) {
    if (req.memory_budget < needed) {
      return fail("memory_budget_too_small", "memory budget of " + std::to_string(req.memory_budget) +
                                                 " bytes cannot hold one part of " + std::to_string(needed) +
                                                 " bytes, the smallest that fits this object in 10,000 parts");
    }
    // Shrink the part first (never below what the object needs), then the concurrency.
    part = std::min(part, std::max(needed, req.memory_budget / concurrency / kMiB * kMiB));
    concurrency = std::uint32_t(std::min<std::uint64_t>(concurrency, req.memory_budget / part));
  }
  part = std::min(part, kMaxPartSize);

  PartPlanResult r;
  r.ok = true;
  PartPlan& p = r.plan;
  p.object_size = req.object_size;
  if (req.object_size <= part) {
    // One PUT: the part size is the object itself (5 GiB at most, guaranteed by part <= kMaxPartSize).
    p.part_size = req.object_size;
    p.part_count = 1;
    p.last_part_size = req.object_size;
    p.multipart = false;
    p.concurrency = 1;
    return r;
  }
  p.part_size = part;
  p.part_count = std::uint32_t(ceil_div(req.object_size, part));
  p.last_part_size = req.object_size - std::uint64_t(p.part_count - 1) * part;
  p.multipart = true;
  p.concurrency = std::max<std::uint32_t>(1, std::min<std::uint32_t>(concurrency, p.part_count));
  return r;
}

}  // namespace vs3
