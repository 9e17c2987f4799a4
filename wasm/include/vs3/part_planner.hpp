// Part planning inside S3's multipart limits. Every part has the same size except the last,
// which may be smaller (R2 requires this; S3 and the rest accept it).
#pragma once
#include <cstdint>
#include <string>

namespace vs3 {

namespace limits {
constexpr std::uint64_t kMiB = 1024ull * 1024;
constexpr std::uint64_t kMinPartSize = 5 * kMiB;            // every part but the last
constexpr std::uint64_t kMaxPartSize = 5ull * 1024 * kMiB;  // 5 GiB
constexpr std::uint32_t kMaxParts = 10000;
constexpr std::uint64_t kMaxObjectSize = kMaxPartSize * kMaxParts;  // 48.8 TiB
constexpr std::uint64_t kMaxSinglePutSize = kMaxPartSize;           // one PUT: at most 5 GiB
constexpr std::uint64_t kDefaultPartSize = 8 * kMiB;
}  // namespace limits

struct PartPlanRequest {
  std::uint64_t object_size = 0;
  std::uint64_t preferred_part_size = 0;  // 0: library default
  std::uint64_t memory_budget = 0;        // 0: unbounded; else part_size * concurrency <= budget
  std::uint32_t max_concurrency = 4;      // parts in flight at most
};

struct PartPlan {
  std::uint64_t object_size = 0;
  std::uint64_t part_size = 0;   // size of every part but the last
  std::uint32_t part_count = 0;  // >= 1 (an empty object is one empty part)
  std::uint64_t last_part_size = 0;
  std::uint32_t concurrency = 1;  // parts in flight, so that memory stays within budget
  bool multipart = false;         // false: one PUT is enough

  std::uint64_t part_offset(std::uint32_t index) const { return std::uint64_t(index) * part_size; }
  std::uint64_t size_of_part(std::uint32_t index) const { return index + 1 == part_count ? last_part_size : part_size; }
};

struct PartPlanResult {
  bool ok = false;
  PartPlan plan;
  std::string error_code;  // stable, machine-readable: object_too_large, invalid_part_size, ...
  std::string error_message;
};

PartPlanResult plan_parts(const PartPlanRequest& req);

}  // namespace vs3
