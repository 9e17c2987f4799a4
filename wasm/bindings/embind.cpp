// The only file that knows about Emscripten: exposes the core to JavaScript through Embind.
// Byte transfer: JS asks a hasher for a view of its scratch buffer in the WASM heap, copies a chunk
// in (one memcpy, no per-byte marshalling), and calls update(n). Sizes cross as doubles (exact up to
// 2^53, far above the 48.8 TiB object limit) so no BigInt is needed.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <utility>
#include <vector>

#include "vs3/crc32c.hpp"
#include "vs3/engine/engine.hpp"
#include "vs3/part_planner.hpp"
#include "vs3/retry.hpp"
#include "vs3/sha256.hpp"
#include "vs3/sniff.hpp"
#include "vs3/xxh.hpp"

using emscripten::val;

namespace {

// No exceptions cross this boundary (Emscripten builds without exception catching): bad numbers
// are reported as values and the TypeScript wrapper (js/src/core.ts) turns them into errors.
bool is_u64(double v) {
  return v >= 0 && v <= 9007199254740991.0 && std::floor(v) == v;
}

std::string hex_of(const vs3::Sha256& h) {
  return h.hex_digest();
}
std::string hex_of(const vs3::Xxh3_128& h) {
  return h.digest().hex();
}

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
    return PlanJs{false, "invalid_argument", "sizes and concurrency must be non-negative integers", 0, 0, 0, 0, 0,
                  false};
  }
  vs3::PartPlanRequest req;
  req.object_size = std::uint64_t(size);
  req.preferred_part_size = std::uint64_t(preferred);
  req.memory_budget = std::uint64_t(budget);
  req.max_concurrency = std::uint32_t(std::min(maxConcurrency, 1000.0));
  const vs3::PartPlanResult r = vs3::plan_parts(req);
  const vs3::PartPlan& p = r.plan;
  return PlanJs{r.ok,
                r.error_code,
                r.error_message,
                double(p.object_size),
                double(p.part_size),
                double(p.part_count),
                double(p.last_part_size),
                double(p.concurrency),
                p.multipart};
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

bool isRetryableStatus(int status) {
  return vs3::RetryPolicy::is_retryable_status(status);
}

// One pass over each part: the bytes are copied into the heap once and feed both the whole-file
// SHA-256 (sequential, file identity and dedupe) and the part's CRC32C (signed into its URL).
// verifyOnly: a part read again after a pause feeds the CRC only (the SHA-256 is past it).
class PartHasherJs {
 public:
  val buffer(std::size_t n) {
    if (scratch_.size() < n) scratch_.resize(n);
    return val(emscripten::typed_memory_view(n, scratch_.data()));
  }
  bool update(std::size_t n, bool verifyOnly) {
    if (n > scratch_.size()) return false;
    if (!verifyOnly) sha_.update(scratch_.data(), n);
    crc_.update(scratch_.data(), n);
    return true;
  }
  double endPart() {  // the part's CRC32C (as an unsigned 32-bit number); starts the next part
    const double c = crc_.digest();
    crc_.reset();
    return c;
  }
  std::string sha256Hex() const { return sha_.hex_digest(); }
  double bytesHashed() const { return double(sha_.bytes_hashed()); }
  void release() { std::vector<std::uint8_t>().swap(scratch_); }

 private:
  vs3::Sha256 sha_;
  vs3::Crc32c crc_;
  std::vector<std::uint8_t> scratch_;
};

struct EngineConfigJs {
  double maxInFlight, maxControlInFlight, maxActiveFiles, hashAhead, signBatch, preferredPartSize;
  double stallTimeoutMs, completeTimeoutMs, retryTimeBudgetMs, maxAttempts, baseDelayMs, maxDelayMs, urlRefreshMarginMs;
  double seedHi, seedLo;
  bool abortFailedUploads;
};

const char* action_name(vs3::engine::ActionType t) {
  using T = vs3::engine::ActionType;
  switch (t) {
    case T::kRead: return "read";
    case T::kCreate: return "create";
    case T::kPresign: return "presign";
    case T::kSign: return "sign";
    case T::kSend: return "send";
    case T::kComplete: return "complete";
    case T::kDedupe: return "dedupe";
    case T::kProbe: return "probe";
    case T::kAbort: return "abort";
    case T::kList: return "list";
    case T::kCancel: return "cancel";
    case T::kRelease: return "release";
    case T::kWake: return "wake";
    case T::kChanged: return "changed";
    case T::kDone: return "done";
    case T::kFailed: return "failed";
  }
  return "unknown";
}

// The engine for JS: events in (sizes and times as doubles, ids as numbers), actions out as an array
// of plain objects. Validation of numbers happens in js/src/client/engine.ts.
class EngineJs {
 public:
  explicit EngineJs(const EngineConfigJs& c) : e_(to_config(c)) {}

  val addFile(double size, int priority, std::uint32_t group, double now) {
    val out = val::object();
    if (!is_u64(size)) {
      out.set("ok", false);
      out.set("errorCode", std::string("invalid_argument"));
      out.set("errorMessage", std::string("size must be a non-negative integer"));
      return out;
    }
    const auto r = e_.add_file(std::uint64_t(size), priority, group, now);
    out.set("ok", r.ok);
    out.set("file", r.file);
    out.set("errorCode", r.error_code);
    out.set("errorMessage", r.error_message);
    return out;
  }
  val addResumed(double size, double partSize, int priority, std::uint32_t group, double now) {
    val out = val::object();
    if (!is_u64(size) || !is_u64(partSize) || partSize <= 0) {
      out.set("ok", false);
      out.set("errorCode", std::string("invalid_argument"));
      out.set("errorMessage", std::string("size and partSize must be non-negative integers"));
      return out;
    }
    const auto r = e_.add_resumed(std::uint64_t(size), std::uint64_t(partSize), priority, group, now);
    out.set("ok", r.ok);
    out.set("file", r.file);
    out.set("errorCode", r.error_code);
    out.set("errorMessage", r.error_message);
    return out;
  }
  void claimPart(std::uint32_t f, std::uint32_t part, double crc) { e_.claim_part(f, part, std::uint32_t(crc)); }
  void listed(std::uint32_t r, bool exists, bool dedupe, double now) { e_.listed(r, exists, dedupe, now); }
  void mismatch(std::uint32_t f, std::uint32_t part, double now) { e_.mismatch(f, part, now); }
  void partRead(std::uint32_t f, std::uint32_t part, double crc, std::string sha, double now) {
    e_.part_read(f, part, std::uint32_t(crc), sha, now);
  }
  void readFailed(std::uint32_t f, std::uint32_t part, double now) { e_.read_failed(f, part, now); }
  void created(std::uint32_t r, bool dedupe, double now) { e_.created(r, dedupe, now); }
  void presigned(std::uint32_t r, double expiresAt, bool dedupe, double now) {
    e_.presigned(r, expiresAt, dedupe, now);
  }
  void signedParts(std::uint32_t r, double expiresAt, double now) { e_.signed_parts(r, expiresAt, now); }
  void progress(std::uint32_t r, double bytes, double now) {
    e_.progress(r, is_u64(bytes) ? std::uint64_t(bytes) : 0, now);
  }
  void sent(std::uint32_t r, double now) { e_.sent(r, now); }
  void completed(std::uint32_t r, double now) { e_.completed(r, now); }
  void dedupeAnswer(std::uint32_t r, bool found, double now) { e_.dedupe_answer(r, found, now); }
  void probeAnswer(std::uint32_t r, bool candidate, double now) { e_.probe_answer(r, candidate, now); }
  void aborted(std::uint32_t r, double now) { e_.aborted(r, now); }
  void failed(std::uint32_t r, int status, std::string code, double retryAfterMs, bool expired, double now) {
    e_.failed(r, status, code, retryAfterMs, expired, now);
  }
  void timer(double now) { e_.timer(now); }
  void pause(std::uint32_t f, double now) { e_.pause(f, now); }
  void resume(std::uint32_t f, double now) { e_.resume(f, now); }
  void cancel(std::uint32_t f, double now) { e_.cancel(f, now); }
  void setOnline(bool online, double now) { e_.set_online(online, now); }
  void setPriority(std::uint32_t f, int priority, double now) { e_.set_priority(f, priority, now); }

  val takeActions() {
    val out = val::array();
    for (const auto& a : e_.take_actions()) {
      val o = val::object();
      o.set("type", std::string(action_name(a.type)));
      o.set("file", a.file);
      if (a.req) o.set("req", a.req);
      o.set("part", a.part);
      if (a.count) o.set("count", a.count);
      if (a.type == vs3::engine::ActionType::kRead || a.type == vs3::engine::ActionType::kSend) {
        o.set("offset", double(a.offset));
        o.set("size", double(a.size));
      }
      if (a.type == vs3::engine::ActionType::kWake) o.set("atMs", a.at_ms);
      if (a.reread) o.set("reread", true);
      if (a.deduplicated) o.set("deduplicated", true);
      if (!a.code.empty()) o.set("code", a.code);
      out.call<void>("push", o);
    }
    return out;
  }

  val stats(std::uint32_t f) const {
    const auto s = e_.stats(f);
    val o = val::object();
    o.set("state", std::string(vs3::engine::to_string(s.state)));
    o.set("size", double(s.size));
    o.set("partSize", double(s.part_size));
    o.set("partCount", s.part_count);
    o.set("multipart", s.multipart);
    o.set("bytesHashed", double(s.bytes_hashed));
    o.set("bytesStored", double(s.bytes_stored));
    o.set("bytesInFlight", double(s.bytes_in_flight));
    o.set("partsStored", s.parts_stored);
    o.set("retries", s.retries);
    o.set("deduplicated", s.deduplicated);
    o.set("resumed", s.resumed);
    o.set("partsReused", s.parts_reused);
    o.set("bytesReused", double(s.bytes_reused));
    o.set("sha256", s.sha256);
    o.set("error", s.error);
    return o;
  }

  val counters() const {
    const auto c = e_.counters();
    val o = val::object();
    o.set("putsInFlight", c.puts_in_flight);
    o.set("controlInFlight", c.control_in_flight);
    o.set("partsHeld", c.parts_held);
    o.set("activeFiles", c.active_files);
    return o;
  }
  bool idle() const { return e_.idle(); }
  std::string debug(std::uint32_t f) const { return e_.debug(f); }

 private:
  static vs3::engine::EngineConfig to_config(const EngineConfigJs& c) {
    vs3::engine::EngineConfig k;
    auto u32 = [](double v, std::uint32_t dflt) {
      return v >= 0 && v <= 1e6 && std::floor(v) == v ? std::uint32_t(v) : dflt;
    };
    k.max_in_flight = u32(c.maxInFlight, k.max_in_flight);
    k.max_control_in_flight = u32(c.maxControlInFlight, k.max_control_in_flight);
    k.max_active_files = u32(c.maxActiveFiles, k.max_active_files);
    k.hash_ahead = u32(c.hashAhead, k.hash_ahead);
    k.sign_batch = u32(c.signBatch, k.sign_batch);
    if (is_u64(c.preferredPartSize)) k.preferred_part_size = std::uint64_t(c.preferredPartSize);
    if (c.stallTimeoutMs > 0) k.stall_timeout_ms = c.stallTimeoutMs;
    if (c.completeTimeoutMs > 0) k.complete_timeout_ms = c.completeTimeoutMs;
    if (c.retryTimeBudgetMs > 0) k.retry_time_budget_ms = c.retryTimeBudgetMs;
    k.retry.max_attempts = u32(c.maxAttempts, k.retry.max_attempts);
    if (c.baseDelayMs >= 0) k.retry.base_delay_ms = c.baseDelayMs;
    if (c.maxDelayMs >= k.retry.base_delay_ms) k.retry.max_delay_ms = c.maxDelayMs;
    if (c.urlRefreshMarginMs >= 0) k.url_refresh_margin_ms = c.urlRefreshMarginMs;
    k.seed = (std::uint64_t(u32(c.seedHi, 0)) << 32) | std::uint64_t(u32(c.seedLo, 1));
    k.abort_failed_uploads = c.abortFailedUploads;
    return k;
  }
  vs3::engine::Engine e_;
};

// Sniffing (vs3/sniff.hpp): the head crosses as a std::string, which Embind fills from a Uint8Array
// (a byte-by-byte copy into the heap: callers pass the file's first kSniffBytes, 1 KiB, as the
// server reads them). All of it is sniffed, as js/src/sniff.ts would.
const std::uint8_t* bytes_of(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::string sniffType(const std::string& head) {
  return std::string(vs3::sniff_type(bytes_of(head), head.size()));
}

struct ContentCheckJs {
  bool ok;
  std::string sniffed, reason;
};

ContentCheckJs checkContent(const std::string& declared, const std::string& head) {
  vs3::ContentCheck c = vs3::check_content(declared, bytes_of(head), head.size());
  return ContentCheckJs{c.ok, std::string(c.detected), std::move(c.reason)};
}

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
  function("sniffType", &sniffType);
  value_object<ContentCheckJs>("ContentCheck")
      .field("ok", &ContentCheckJs::ok)
      .field("sniffed", &ContentCheckJs::sniffed)
      .field("reason", &ContentCheckJs::reason);
  function("checkContent", &checkContent);
  class_<PartHasherJs>("PartHasher")
      .constructor<>()
      .function("buffer", &PartHasherJs::buffer)
      .function("update", &PartHasherJs::update)
      .function("endPart", &PartHasherJs::endPart)
      .function("sha256Hex", &PartHasherJs::sha256Hex)
      .function("bytesHashed", &PartHasherJs::bytesHashed)
      .function("release", &PartHasherJs::release);
  value_object<EngineConfigJs>("EngineConfig")
      .field("maxInFlight", &EngineConfigJs::maxInFlight)
      .field("maxControlInFlight", &EngineConfigJs::maxControlInFlight)
      .field("maxActiveFiles", &EngineConfigJs::maxActiveFiles)
      .field("hashAhead", &EngineConfigJs::hashAhead)
      .field("signBatch", &EngineConfigJs::signBatch)
      .field("preferredPartSize", &EngineConfigJs::preferredPartSize)
      .field("stallTimeoutMs", &EngineConfigJs::stallTimeoutMs)
      .field("completeTimeoutMs", &EngineConfigJs::completeTimeoutMs)
      .field("retryTimeBudgetMs", &EngineConfigJs::retryTimeBudgetMs)
      .field("maxAttempts", &EngineConfigJs::maxAttempts)
      .field("baseDelayMs", &EngineConfigJs::baseDelayMs)
      .field("maxDelayMs", &EngineConfigJs::maxDelayMs)
      .field("urlRefreshMarginMs", &EngineConfigJs::urlRefreshMarginMs)
      .field("seedHi", &EngineConfigJs::seedHi)
      .field("seedLo", &EngineConfigJs::seedLo)
      .field("abortFailedUploads", &EngineConfigJs::abortFailedUploads);
  class_<EngineJs>("Engine")
      .constructor<const EngineConfigJs&>()
      .function("addFile", &EngineJs::addFile)
      .function("addResumed", &EngineJs::addResumed)
      .function("claimPart", &EngineJs::claimPart)
      .function("listed", &EngineJs::listed)
      .function("mismatch", &EngineJs::mismatch)
      .function("partRead", &EngineJs::partRead)
      .function("readFailed", &EngineJs::readFailed)
      .function("created", &EngineJs::created)
      .function("presigned", &EngineJs::presigned)
      .function("signedParts", &EngineJs::signedParts)
      .function("progress", &EngineJs::progress)
      .function("sent", &EngineJs::sent)
      .function("completed", &EngineJs::completed)
      .function("dedupeAnswer", &EngineJs::dedupeAnswer)
      .function("probeAnswer", &EngineJs::probeAnswer)
      .function("aborted", &EngineJs::aborted)
      .function("failed", &EngineJs::failed)
      .function("timer", &EngineJs::timer)
      .function("pause", &EngineJs::pause)
      .function("resume", &EngineJs::resume)
      .function("cancel", &EngineJs::cancel)
      .function("setOnline", &EngineJs::setOnline)
      .function("setPriority", &EngineJs::setPriority)
      .function("takeActions", &EngineJs::takeActions)
      .function("stats", &EngineJs::stats)
      .function("counters", &EngineJs::counters)
      .function("idle", &EngineJs::idle)
      .function("debug", &EngineJs::debug);
}
