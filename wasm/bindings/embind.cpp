// The only file that knows about Emscripten: exposes the core to JavaScript through Embind.
// Byte transfer: JS asks a hasher for a view of its scratch buffer in the WASM heap, copies a chunk
// in (one memcpy, no per-byte marshalling), and calls update(n). Sizes cross as doubles (exact up to
// 2^53, far above the 48.8 TiB object limit) so no BigInt is needed.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <vector>

#include "vs3/part_planner.hpp"
#include "vs3/retry.hpp"
#include "vs3/sha256.hpp"
#include "vs3/xxh.hpp"

using emscripten::val;

namespace {

// No exceptions cross this boundary (Emscripten builds without exception catching): bad numbers
// are reported as values and the TypeScript wrapper (js/src/core.ts) turns them into errors.
bool is_u64(double v) { return v >= 0 && v <= 9007199254740991.0 && std::floor(v) == v; }

std::string hex_of(const vs3::Sha256& h) { return h.hex_digest(); }
std::string hex_of(const vs3::Xxh3_128& h) { return h.digest().hex(); }

// A streaming hasher with a scratch buffer in the WASM heap (one class per algorithm).
template <typename Hasher>
class StreamingJs {
 public:
  // A Uint8Array view of n bytes of scratch inside the WASM heap. Valid until the next call.
  val buffer(std::size_t n) {
    if (scratch_.size() < n) scratch_.resize(n);
    return val(emscripten::typed_memory_view(n, scratch_.data()));
  }
  // false: n is past the end of the scratch buffer (call buffer(n) first); nothing was hashed.
  bool update(std::size_t n) {
    if (n > scratch_.size()) return false;
    h_.update(scratch_.data(), n);
    bytes_ += n;
    return true;
  }
  void reset() {
    h_.reset();
    bytes_ = 0;
  }
  void release() { std::vector<std::uint8_t>().swap(scratch_); }
  std::string digestHex() const { return hex_of(h_); }
  double bytesHashed() const { return bytes_; }

 private:
  Hasher h_;
  std::vector<std::uint8_t> scratch_;
  double bytes_ = 0;
};

template <typename Hasher>
void bind_streaming(const char* name) {
  using T = StreamingJs<Hasher>;
  emscripten::class_<T>(name)
      .template constructor<>()
      .function("buffer", &T::buffer)
      .function("update", &T::update)
      .function("reset", &T::reset)
      .function("release", &T::release)
      .function("digestHex", &T::digestHex)
      .function("bytesHashed", &T::bytesHashed);
}

struct PlanJs {
  bool ok;
  std::string errorCode, errorMessage;
  double objectSize, partSize, partCount, lastPartSize, concurrency;
  bool multipart;
};

PlanJs planParts(double size, double preferred, double budget, double maxConcurrency) {
  if (!is_u64(size) || !is_u64(preferred) || !is_u64(budget) || !is_u64(maxConcurrency)) {
    return PlanJs{false, "invalid_argument", "sizes and concurrency must be non-negative integers", 0, 0, 0, 0, 0, false};
  }
  vs3::PartPlanRequest req;
  req.object_size = std::uint64_t(size);
  req.preferred_part_size = std::uint64_t(preferred);
  req.memory_budget = std::uint64_t(budget);
  req.max_concurrency = std::uint32_t(std::min(maxConcurrency, 1000.0));
  const vs3::PartPlanResult r = vs3::plan_parts(req);
  const vs3::PartPlan& p = r.plan;
  return PlanJs{r.ok, r.error_code, r.error_message, double(p.object_size), double(p.part_size),
                double(p.part_count), double(p.last_part_size), double(p.concurrency), p.multipart};
}

struct DecisionJs {
  bool retry;
  double delayMs;
  std::string reason;
};

class RetryPolicyJs {
 public:
  // The 64-bit seed crosses as two 32-bit halves. Arguments are validated by the TypeScript wrapper.
  RetryPolicyJs(std::uint32_t maxAttempts, double baseDelayMs, double maxDelayMs, std::uint32_t seedHi,
                std::uint32_t seedLo)
      : p_(vs3::RetryConfig{maxAttempts, baseDelayMs, maxDelayMs},
           (std::uint64_t(seedHi) << 32) | std::uint64_t(seedLo)) {}
  DecisionJs decide(std::uint32_t attempt, int status, std::string s3Code, double retryAfterMs) {
    const vs3::RetryDecision d = p_.decide(attempt, status, s3Code, retryAfterMs);
    return DecisionJs{d.retry, d.delay_ms, d.reason};
  }
  double ceilingMs(std::uint32_t attempt) const { return p_.ceiling_ms(attempt); }

 private:
  vs3::RetryPolicy p_;
};

bool isRetryableStatus(int status) { return vs3::RetryPolicy::is_retryable_status(status); }

}  // namespace

EMSCRIPTEN_BINDINGS(vs3core) {
  using namespace emscripten;
  bind_streaming<vs3::Sha256>("Sha256");
  bind_streaming<vs3::Xxh3_128>("Xxh3_128");
  value_object<PlanJs>("PartPlan")
      .field("ok", &PlanJs::ok)
      .field("errorCode", &PlanJs::errorCode)
      .field("errorMessage", &PlanJs::errorMessage)
      .field("objectSize", &PlanJs::objectSize)
      .field("partSize", &PlanJs::partSize)
      .field("partCount", &PlanJs::partCount)
      .field("lastPartSize", &PlanJs::lastPartSize)
      .field("concurrency", &PlanJs::concurrency)
      .field("multipart", &PlanJs::multipart);
  function("planParts", &planParts);
  value_object<DecisionJs>("RetryDecision")
      .field("retry", &DecisionJs::retry)
      .field("delayMs", &DecisionJs::delayMs)
      .field("reason", &DecisionJs::reason);
  class_<RetryPolicyJs>("RetryPolicy")
      .constructor<std::uint32_t, double, double, std::uint32_t, std::uint32_t>()
      .function("decide", &RetryPolicyJs::decide)
      .function("ceilingMs", &RetryPolicyJs::ceilingMs);
  function("isRetryableStatus", &isRetryableStatus);
}
