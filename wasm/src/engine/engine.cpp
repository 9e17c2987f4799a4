// The upload engine's decisions (see vs3/engine/engine.hpp for the event/action contract).
// Every event method updates state, then pump() issues whatever the limits now allow.
#include "vs3/engine/engine.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace vs3::engine {

// Host timers run in whole milliseconds and may fire a little early: anything due within this much
// counts as due, so a timer never finds its own deadline still ahead.
constexpr double kSlackMs = 1;

const char* to_string(FileState s) {
  switch (s) {
    case FileState::kQueued: return "queued";
    case FileState::kUploading: return "uploading";
    case FileState::kPaused: return "paused";
    case FileState::kCompleting: return "completing";
    case FileState::kDone: return "done";
    case FileState::kFailed: return "failed";
    case FileState::kCancelled: return "cancelled";
  }
  return "unknown";
}

Engine::Engine(EngineConfig cfg) : cfg_(cfg), policy_(cfg.retry, cfg.seed) {
  cfg_.max_in_flight = std::max<std::uint32_t>(1, cfg_.max_in_flight);
  cfg_.max_control_in_flight = std::max<std::uint32_t>(1, cfg_.max_control_in_flight);
  cfg_.max_active_files = std::max<std::uint32_t>(1, cfg_.max_active_files);
  cfg_.sign_batch = std::max<std::uint32_t>(1, cfg_.sign_batch);
}

Engine::File* Engine::file(FileId f) {
  auto it = files_.find(f);
  return it == files_.end() ? nullptr : &it->second;
}
const Engine::File* Engine::file(FileId f) const {
  auto it = files_.find(f);
  return it == files_.end() ? nullptr : &it->second;
}

Engine::File* Engine::file_of(RequestId r, bool put) {
  auto it = reqs_.find(r);
  if (it == reqs_.end() || it->second.put != put) return nullptr;  // stale: cancelled or answered
  return file(it->second.file);
}

bool Engine::terminal(const File& f) const {
  return f.state == FileState::kDone || f.state == FileState::kFailed || f.state == FileState::kCancelled;
}

void Engine::changed(File& f) {
  for (const Action& a : out_) {
    if (a.type == ActionType::kChanged && a.file == f.id) return;
  }
  Action a{ActionType::kChanged};
  a.file = f.id;
  out_.push_back(a);
}

AddResult Engine::add_file(std::uint64_t size, std::int32_t priority, std::uint32_t group, double now) {
  return add(size, 0, priority, group, now);
}

AddResult Engine::add_resumed(std::uint64_t size, std::uint64_t part_size, std::int32_t priority, std::uint32_t group,
                              double now) {
  return add(size, part_size, priority, group, now);
}

AddResult Engine::add(std::uint64_t size, std::uint64_t part_size, std::int32_t priority, std::uint32_t group,
                      double now) {
  AddResult r;
  PartPlanRequest req;
  req.object_size = size;
  req.preferred_part_size = part_size ? part_size : cfg_.preferred_part_size;
  req.max_concurrency = cfg_.max_in_flight;
  const PartPlanResult plan = plan_parts(req);
  if (!plan.ok) {
    r.error_code = plan.error_code;
    r.error_message = plan.error_message;
    return r;
  }
  if (part_size && (!plan.plan.multipart || plan.plan.part_size != part_size)) {
    // The stored parts were planned otherwise: this cannot be the same upload.
    r.error_code = "resume_mismatch";
    r.error_message = "a " + std::to_string(size) + "-byte file cannot have " + std::to_string(part_size) +
                      "-byte parts: not the upload it claims to resume";
    return r;
  }
  File f;
  f.id = next_file_++;
  f.seq = seq_++;
  f.priority = priority;
  f.group = group;
  f.plan = plan.plan;
  f.parts.resize(plan.plan.part_count);
  f.paused = paused_all_;
  f.state = f.paused ? FileState::kPaused : FileState::kQueued;
  if (part_size) {
    f.resumed = true;
    f.created = true;  // the upload exists on storage (or listed() says it is gone)
    f.probe = 0;       // parts are stored already: no probe; the SHA-256 dedupe check still runs
  }
  r.ok = true;
  r.file = f.id;
  files_.emplace(f.id, std::move(f));
  changed(files_.at(r.file));
  pump(now);
  return r;
}

void Engine::claim_part(FileId id, std::uint32_t i, std::uint32_t crc) {
  File* f = file(id);
  if (!f || !f->resumed || f->listed || i >= f->parts.size() || f->parts[i].hashed) return;
  f->parts[i].claimed = true;
  f->parts[i].claim_crc = crc;
}

void Engine::listed(RequestId r, bool exists, bool dedupe_route, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kList) {
    end_control(*f);
    f->ctl_retry.attempts = 0;
    f->dedupe = dedupe_route ? 1 : 0;
    if (exists) {
      f->listed = true;
    } else {
      // Gone (completed, aborted by a lifecycle rule, expired): start over with a new upload.
      f->resumed = false;
      f->created = false;
      if (f->dedupe == 1) f->probe = -1;
      for (Part& p : f->parts) p.claimed = false;
    }
    changed(*f);
  }
  pump(now);
}

void Engine::mismatch(FileId id, std::uint32_t i, double now) {
  fail_read(id, i, "file_mismatch", now);
}

// ---------------------------------------------------------------- reads

void Engine::release(File& f, std::uint32_t i) {
  Part& p = f.parts[i];
  if (p.data != Data::kHeld) return;
  p.data = Data::kNone;
  --held_;
  Action a{ActionType::kRelease};
  a.file = f.id;
  a.part = i;
  out_.push_back(a);
}

void Engine::part_read(FileId id, std::uint32_t i, std::uint32_t crc, const std::string& sha, double now) {
  File* f = file(id);
  if (!f || i >= f->parts.size() || f->parts[i].data != Data::kReading) {
    Action a{ActionType::kRelease};  // not asked for (any more): the host drops the bytes
    a.file = id;
    a.part = i;
    out_.push_back(a);
    pump(now);
    return;
  }
  Part& p = f->parts[i];
  f->reading = false;
  p.data = Data::kHeld;
  if (p.hashed) {
    // A re-read (after pause or a twin wait released the bytes): the same bytes must come back.
    if (crc != p.crc) {
      release(*f, i);
      fail_file(*f, "file_changed", now);
      pump(now);
      return;
    }
  } else {
    p.hashed = true;
    p.crc = crc;
    f->bytes_hashed += f->plan.size_of_part(i);
    if (p.claimed) {
      // Resumed: storage holds this part. The same bytes: keep it. Other bytes in part 0: this is
      // another file (refuse, touch nothing). Elsewhere: the file was edited there; send it again.
      p.claimed = false;
      if (crc == p.claim_crc) {
        p.stored = true;
        ++f->reused;
        f->reused_bytes += f->plan.size_of_part(i);
      } else if (i == 0) {
        release(*f, i);
        f->created = false;
        fail_file(*f, "file_mismatch", now);
        pump(now);
        return;
      }
    }
    if (i + 1 == f->parts.size()) {
      f->sha256 = sha;
      // Identical content already queued in the same group: wait for that upload, then dedupe.
      for (auto& [gid, g] : files_) {
        if (gid == id || g.group != f->group || g.sha256 != sha || terminal(g) || g.dedupe == 0) continue;
        if (g.waiting_for != 0) continue;  // the first of the twins to finish hashing uploads
        f->waiting_for = gid;
        f->twin = true;
        break;
      }
    }
  }
  if (terminal(*f) || f->paused || f->waiting_for || !f->fail_code.empty()) {
    stop_transfers(*f, true);
  } else if (f->hash_only || p.stored) {
    // Hashing only (the bytes are read again if they must be sent after all), or resumed and
    // already stored: nothing to send.
    release(*f, i);
  }
  changed(*f);
  pump(now);
}

void Engine::read_failed(FileId id, std::uint32_t i, double now) {
  fail_read(id, i, "read_failed", now);
}

// A read that the host could not do (read_failed) or whose bytes are not the resumed upload's file
// (file_mismatch: storage is left alone, the upload is not this file's to abort).
void Engine::fail_read(FileId id, std::uint32_t i, const std::string& code, double now) {
  File* f = file(id);
  if (f && i < f->parts.size() && f->parts[i].data == Data::kReading) {
    f->parts[i].data = Data::kNone;
    --held_;
    f->reading = false;
    if (code == "file_mismatch") f->created = false;
    fail_file(*f, code, now);
  }
  pump(now);
}

// ---------------------------------------------------------------- control requests

void Engine::start_control(File& f, Ctl kind, ActionType t, double now, std::uint32_t first, std::uint32_t count) {
  const RequestId r = next_req_++;
  f.ctl = kind;
  f.ctl_req = r;
  f.ctl_started = now;
  f.ctl_first = first;
  f.ctl_count = count;
  reqs_[r] = Req{f.id, false, 0};
  ++controls_;
  Action a{t};
  a.file = f.id;
  a.req = r;
  a.part = first;
  a.count = count;
  out_.push_back(a);
}

void Engine::end_control(File& f) {
  if (f.ctl == Ctl::kNone) return;
  if (f.ctl == Ctl::kSign) {
    for (std::uint32_t i = f.ctl_first; i < f.ctl_first + f.ctl_count && i < f.parts.size(); ++i) {
      f.parts[i].signing = false;
    }
  }
  reqs_.erase(f.ctl_req);
  f.ctl = Ctl::kNone;
  f.ctl_req = 0;
  --controls_;
}

void Engine::created(RequestId r, bool dedupe_route, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kCreate) {
    end_control(*f);
    f->created = true;
    f->dedupe = dedupe_route ? 1 : 0;
    f->ctl_retry.attempts = 0;
  }
  pump(now);
}

void Engine::presigned(RequestId r, double expires_at, bool dedupe_route, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kPresign) {
    end_control(*f);
    f->presigned = true;
    f->dedupe = dedupe_route ? 1 : 0;
    f->dedupe_checked = true;  // a presign on a dedupe route is the lookup
    if (!set_expiry(f->parts[0], expires_at, now)) fail_file(*f, "url_expired", now);
    f->ctl_retry.attempts = 0;
  }
  pump(now);
}

void Engine::signed_parts(RequestId r, double expires_at, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kSign) {
    bool usable = true;
    for (std::uint32_t i = f->ctl_first; i < f->ctl_first + f->ctl_count && i < f->parts.size(); ++i) {
      usable = set_expiry(f->parts[i], expires_at, now) && usable;
    }
    end_control(*f);
    f->ctl_retry.attempts = 0;
    if (!usable) fail_file(*f, "url_expired", now);
  }
  pump(now);
}

// A URL is signed again when it is within the refresh margin of its expiry, but never sooner than half
// its lifetime: a route whose URLs live less than the margin would otherwise be re-signed forever.
bool Engine::set_expiry(Part& p, double expires_at, double now) const {
  p.expires_at = expires_at;
  p.margin = std::min(cfg_.url_refresh_margin_ms, std::max(0.0, (expires_at - now) / 2));
  // Expired on arrival (a clock far off, a route with URLs that live no time): counts as a re-sign,
  // so it ends in url_expired instead of signing again forever.
  return expires_at > now || ++p.resigns <= cfg_.max_resigns;
}

void Engine::completed(RequestId r, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kComplete) {
    end_control(*f);
    finish(*f, FileState::kDone, now);
  }
  pump(now);
}

void Engine::dedupe_answer(RequestId r, bool found, double now) {
  File* f = file_of(r, false);
  if (f && (f->ctl == Ctl::kDedupe || f->ctl == Ctl::kPresign)) {
    const bool presign = f->ctl == Ctl::kPresign;
    end_control(*f);
    f->ctl_retry.attempts = 0;
    if (found) {
      // The server answered with the stored object (and aborted this file's multipart upload).
      f->created = false;
      f->deduplicated = true;
      finish(*f, FileState::kDone, now);
    } else {
      f->dedupe_checked = true;
      f->hash_only = false;  // not stored after all: read again and send
      if (presign) f->dedupe = 0;
    }
  }
  pump(now);
}

void Engine::probe_answer(RequestId r, bool candidate, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kProbe) {
    end_control(*f);
    f->ctl_retry.attempts = 0;
    f->probe = candidate ? 1 : 0;
    // Likely a duplicate: hash the rest without holding bytes or sending, then ask with the SHA-256.
    if (candidate && f->sha256.empty()) {
      f->hash_only = true;
      stop_transfers(*f, true);
    }
  }
  pump(now);
}

void Engine::aborted(RequestId r, double now) {
  File* f = file_of(r, false);
  if (f && f->ctl == Ctl::kAbort) {
    end_control(*f);
    f->created = false;
    f->aborting = false;
    finish(*f, f->fail_code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
  }
  pump(now);
}

// ---------------------------------------------------------------- failures and retries

namespace {
// The vs3 handler's own refusals carry snake_case codes (file_too_large, upload_incomplete, ...);
// S3's are CamelCase. A 4xx refusal by the handler is final whatever its status (409 included),
// except timeouts and rate limits.
bool is_handler_refusal(int status, const std::string& code) {
  if (status < 400 || status >= 500 || status == 408 || status == 429 || code.empty()) return false;
  if (code == "rate_limited") return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return std::islower((unsigned char)c) || c == '_'; });
}
}  // namespace

bool Engine::record_failure(RetryState& st, File& f, int status, const std::string& code, double retry_after,
                            double now, std::string* reason) {
  if (!online_ && status == 0) {
    st.retry_at = now;  // parked until online again; not an attempt
    return false;
  }
  if (st.attempts == 0) st.streak_start = now;
  ++st.attempts;
  ++f.retries;
  if (is_handler_refusal(status, code)) {
    *reason = "request_failed";
    return true;
  }
  const RetryDecision d = policy_.decide(st.attempts, status, code, retry_after);
  if (!d.retry) {
    *reason = d.reason == "attempts_exhausted" ? "retry_exhausted" : "request_failed";
    return true;
  }
  if (now - st.streak_start + d.delay_ms > cfg_.retry_time_budget_ms) {
    *reason = "retry_exhausted";
    return true;
  }
  st.retry_at = now + d.delay_ms;
  return false;
}

bool Engine::control_failed(File& f, int status, const std::string& code, double retry_after, double now) {
  const Ctl kind = f.ctl;
  end_control(f);
  if (kind == Ctl::kCreate && !f.fail_code.empty()) {
    // Cancelled while creating, and the create failed: nothing to abort (a create whose answer was
    // lost leaves an upload only a bucket lifecycle rule can find).
    f.aborting = false;
    finish(f, f.fail_code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
    return true;
  }
  std::string reason;
  if (record_failure(f.ctl_retry, f, status, code, retry_after, now, &reason)) {
    if (kind == Ctl::kAbort) {
      // Could not abort: report the file anyway (a bucket lifecycle rule cleans up, see README).
      f.aborting = false;
      finish(f, f.fail_code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
    } else if (kind == Ctl::kList) {
      // Resuming failed (refused: signed out, route changed; or out of retries): leave the upload
      // alone, it may be resumed later (or is cleaned up by storage's lifecycle rule).
      f.created = false;
      fail_file(f, reason, now);
    } else if (kind == Ctl::kCreate) {
      f.aborting = false;  // nothing was created that we know of
      if (!f.fail_code.empty())
        finish(f, f.fail_code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
      else
        fail_file(f, reason, now);
    } else {
      fail_file(f, reason, now);
    }
    return true;
  }
  changed(f);
  return false;
}

void Engine::part_failed(File& f, std::uint32_t i, int status, const std::string& code, double retry_after,
                         bool expired, double now) {
  Part& p = f.parts[i];
  reqs_.erase(p.put);
  p.put = 0;
  p.sent_bytes = 0;
  --puts_;
  changed(f);
  if (status == 403 && (expired || (p.expires_at >= 0 && now >= p.expires_at))) {
    // The URL expired (the answer says so, or our clock is past its expiry: RGW says only AccessDenied).
    p.expires_at = -1;
    if (!f.plan.multipart) f.presigned = false;
    if (++p.resigns > cfg_.max_resigns) fail_file(f, "url_expired", now);
    return;
  }
  if (f.ctl == Ctl::kDedupe) {
    // A dedupe lookup is in flight: on a hit the server aborts this upload, and parts still on the
    // wire fail (404 NoSuchUpload). Not a failure of ours: wait for the answer (nothing is sent
    // meanwhile); a miss sends the part again.
    p.retry.retry_at = now;
    return;
  }
  std::string reason;
  if (record_failure(p.retry, f, status, code, retry_after, now, &reason)) fail_file(f, reason, now);
}

void Engine::failed(RequestId r, int status, const std::string& code, double retry_after, bool expired, double now) {
  auto it = reqs_.find(r);
  if (it != reqs_.end()) {
    const Req q = it->second;
    File* f = file(q.file);
    if (f && q.put) {
      part_failed(*f, q.part, status, code, retry_after, expired, now);
    } else if (f && f->ctl_req == r) {
      if (f->ctl == Ctl::kPresign && status == 403 && expired) f->presigned = false;
      control_failed(*f, status, code, retry_after, now);
    }
  }
  pump(now);
}

void Engine::progress(RequestId r, std::uint64_t bytes, double now) {
  auto it = reqs_.find(r);
  if (it != reqs_.end() && it->second.put) {
    File* f = file(it->second.file);
    Part& p = f->parts[it->second.part];
    if (bytes != p.sent_bytes) {
      p.sent_bytes = std::min<std::uint64_t>(bytes, f->plan.size_of_part(it->second.part));
      p.last_progress = now;
      changed(*f);
    }
  }
  // No pump: progress changes no decision (stalls are judged in timer()).
}

void Engine::sent(RequestId r, double now) {
  auto it = reqs_.find(r);
  if (it != reqs_.end() && it->second.put) {
    const Req q = it->second;
    File* f = file(q.file);
    Part& p = f->parts[q.part];
    reqs_.erase(it);
    --puts_;
    p.put = 0;
    p.sent_bytes = 0;
    p.stored = true;
    p.retry.attempts = 0;
    release(*f, q.part);
    changed(*f);
  }
  pump(now);
}

double Engine::ctl_timeout(const File& f) const {
  return f.ctl == Ctl::kComplete ? std::max(cfg_.stall_timeout_ms, cfg_.complete_timeout_ms) : cfg_.stall_timeout_ms;
}

void Engine::timer(double now) {
  // The host's timer fired (perhaps a little early: timers round): forget it, so that schedule_wake()
  // below asks again for whatever is still ahead.
  wake_at_ = -1;
  // Stalls: a PUT with no progress, or a control request with no answer, for stall_timeout_ms
  // (complete_timeout_ms for a complete).
  std::vector<std::pair<FileId, std::uint32_t>> stalled_puts;
  std::vector<FileId> stalled_ctl;
  for (auto& [id, f] : files_) {
    for (std::uint32_t i = 0; i < f.parts.size(); ++i) {
      const Part& p = f.parts[i];
      if (p.put && now + kSlackMs - p.last_progress >= cfg_.stall_timeout_ms) stalled_puts.emplace_back(id, i);
    }
    if (f.ctl != Ctl::kNone && now + kSlackMs - f.ctl_started >= ctl_timeout(f)) stalled_ctl.push_back(id);
  }
  for (auto [id, i] : stalled_puts) {
    File& f = files_.at(id);
    Action a{ActionType::kCancel};
    a.req = f.parts[i].put;
    a.file = id;
    out_.push_back(a);
    part_failed(f, i, 0, "stalled", -1, false, now);
  }
  for (FileId id : stalled_ctl) {
    File& f = files_.at(id);
    if (f.ctl == Ctl::kNone) continue;
    Action a{ActionType::kCancel};
    a.req = f.ctl_req;
    a.file = id;
    out_.push_back(a);
    control_failed(f, 0, "stalled", -1, now);
  }
  pump(now);
}

// ---------------------------------------------------------------- user and network events

void Engine::stop_transfers(File& f, bool release_data) {
  for (std::uint32_t i = 0; i < f.parts.size(); ++i) {
    Part& p = f.parts[i];
    if (p.put) {
      Action a{ActionType::kCancel};
      a.req = p.put;
      a.file = f.id;
      out_.push_back(a);
      reqs_.erase(p.put);
      p.put = 0;
      p.sent_bytes = 0;
      --puts_;
    }
    if (release_data) release(f, i);
  }
}

void Engine::pause(FileId id, double now) {
  if (id == 0) paused_all_ = true;
  for (auto& [fid, f] : files_) {
    if ((id != 0 && fid != id) || terminal(f) || f.paused) continue;
    f.paused = true;
    f.state = FileState::kPaused;
    stop_transfers(f, true);  // bytes are re-read (and their CRC checked) on resume
    changed(f);
  }
  pump(now);
}

void Engine::resume(FileId id, double now) {
  if (id == 0) paused_all_ = false;
  for (auto& [fid, f] : files_) {
    if ((id != 0 && fid != id) || terminal(f) || !f.paused) continue;
    f.paused = false;
    f.state = FileState::kQueued;  // pump() moves it to uploading when it becomes active
    for (Part& p : f.parts) p.retry.retry_at = std::min(p.retry.retry_at, now);
    changed(f);
  }
  pump(now);
}

void Engine::fail_file(File& f, const std::string& code, double now) {
  if (terminal(f) || !f.fail_code.empty()) return;
  f.fail_code = code;
  stop_transfers(f, true);
  // A create in flight may still succeed on storage: wait for its answer, then abort what it made.
  if (f.ctl != Ctl::kNone && f.ctl != Ctl::kCreate && f.ctl != Ctl::kAbort) {
    Action a{ActionType::kCancel};
    a.req = f.ctl_req;
    a.file = f.id;
    out_.push_back(a);
    end_control(f);
  }
  f.ctl_retry = RetryState{};
  f.ctl_retry.retry_at = now;
  // A cancelled upload is aborted; a failed one too, unless the host keeps resume state (then it stays
  // for a later resume). A create still in flight made a new, empty upload: aborted either way.
  const bool abort_it = code == "cancelled" || cfg_.abort_failed_uploads || f.ctl == Ctl::kCreate;
  if (f.plan.multipart && (f.created || f.ctl == Ctl::kCreate) && abort_it) {
    f.aborting = true;
    changed(f);
  } else {
    finish(f, code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
  }
}

void Engine::cancel(FileId id, double now) {
  std::vector<FileId> ids;
  for (auto& [fid, f] : files_) {
    if ((id == 0 || fid == id) && !terminal(f)) ids.push_back(fid);
  }
  for (FileId fid : ids) fail_file(files_.at(fid), "cancelled", now);
  pump(now);
}

void Engine::set_online(bool online, double now) {
  online_ = online;
  if (online) {
    for (auto& [id, f] : files_) {
      for (Part& p : f.parts) p.retry.retry_at = std::min(p.retry.retry_at, now);
      f.ctl_retry.retry_at = std::min(f.ctl_retry.retry_at, now);
    }
  }
  pump(now);
}

void Engine::set_priority(FileId id, std::int32_t priority, double now) {
  if (File* f = file(id)) f->priority = priority;
  pump(now);
}

void Engine::finish(File& f, FileState st, double now) {
  (void)now;
  stop_transfers(f, true);
  f.state = st;
  Action a{st == FileState::kDone ? ActionType::kDone : ActionType::kFailed};
  a.file = f.id;
  a.deduplicated = f.deduplicated;
  a.code = st == FileState::kDone ? "" : f.fail_code;
  changed(f);
  out_.push_back(a);
  wake_twins(f);
}

void Engine::wake_twins(const File& done) {
  for (auto& [id, g] : files_) {
    if (g.waiting_for == done.id) g.waiting_for = 0;
  }
}

// ---------------------------------------------------------------- scheduling

bool Engine::part_ready_to_send(const Part& p, double now) const {
  return p.data == Data::kHeld && p.hashed && !p.stored && p.put == 0 && now + kSlackMs >= p.retry.retry_at &&
         p.expires_at >= 0 && p.expires_at - p.margin > now;
}

void Engine::pump(double now) {
  now_ = now;
  // Aborts go first and run for every file, active or not.
  for (auto& [id, f] : files_) {
    if (!f.aborting || f.ctl != Ctl::kNone || terminal(f)) continue;
    if (!f.created) {
      f.aborting = false;
      finish(f, f.fail_code == "cancelled" ? FileState::kCancelled : FileState::kFailed, now);
      continue;
    }
    if (online_ && controls_ < cfg_.max_control_in_flight && now + kSlackMs >= f.ctl_retry.retry_at) {
      start_control(f, Ctl::kAbort, ActionType::kAbort, now);
    }
  }

  // The active set: files already started stay active until they finish or are paused (they hold
  // bytes and open uploads); free places go to queued files by (priority, FIFO).
  std::vector<File*> act, queued;
  for (auto& [id, f] : files_) {
    if (terminal(f) || f.paused || !f.fail_code.empty()) continue;
    (f.state == FileState::kQueued ? queued : act).push_back(&f);
  }
  const auto order = [](const File* a, const File* b) {
    return a->priority != b->priority ? a->priority > b->priority : a->seq < b->seq;
  };
  std::stable_sort(queued.begin(), queued.end(), order);
  // A file waiting for its twin holds nothing and sends nothing: it does not take a place.
  std::size_t busy = std::count_if(act.begin(), act.end(), [](const File* f) { return f->waiting_for == 0; });
  for (File* f : queued) {
    if (busy >= cfg_.max_active_files) break;
    ++busy;
    f->state = FileState::kUploading;
    changed(*f);
    act.push_back(f);
  }
  std::stable_sort(act.begin(), act.end(), order);

  if (online_) {
    // Control requests: at most one per file, max_control_in_flight in all.
    for (File* fp : act) {
      File& f = *fp;
      if (controls_ >= cfg_.max_control_in_flight) break;
      if (f.ctl != Ctl::kNone || now + kSlackMs < f.ctl_retry.retry_at) continue;
      if (f.waiting_for) {
        const File* g = file(f.waiting_for);
        if (!g || terminal(*g)) f.waiting_for = 0;
      }
      const bool all_stored = std::all_of(f.parts.begin(), f.parts.end(), [](const Part& p) { return p.stored; });
      if (f.plan.multipart) {
        if (!f.created) {
          start_control(f, Ctl::kCreate, ActionType::kCreate, now);
          continue;
        }
        if (f.resumed && !f.listed) {
          start_control(f, Ctl::kList, ActionType::kList, now);
          continue;
        }
        const bool hashed = !f.sha256.empty();
        if (f.dedupe == 1 && f.probe < 0 && f.parts[0].hashed && !f.waiting_for) {
          if (hashed) {
            f.probe = 0;  // the SHA-256 is known already: ask with that directly
          } else {
            start_control(f, Ctl::kProbe, ActionType::kProbe, now);
            continue;
          }
        }
        if (hashed && f.dedupe == 1 && !f.dedupe_checked) {
          if (!f.waiting_for) start_control(f, Ctl::kDedupe, ActionType::kDedupe, now);
          continue;
        }
        if (all_stored && hashed) {
          f.state = FileState::kCompleting;
          changed(f);
          start_control(f, Ctl::kComplete, ActionType::kComplete, now);
          continue;
        }
        if (f.waiting_for || f.hash_only) continue;
        // Sign the first contiguous run of hashed parts whose URL is missing or about to expire.
        std::uint32_t first = 0, count = 0, ready = 0;
        for (std::uint32_t i = 0; i < f.parts.size(); ++i) {
          const Part& p = f.parts[i];
          if (part_ready_to_send(p, now)) ++ready;
          const bool needs =
              p.hashed && !p.stored && p.put == 0 && !p.signing && (p.expires_at < 0 || p.expires_at - p.margin <= now);
          if (needs && (count == 0 || (first + count == i && count < cfg_.sign_batch))) {
            if (count == 0) first = i;
            ++count;
          }
        }
        if (count == 0) continue;
        // Batch: wait for a full batch unless sending would run dry or nothing more will be hashed.
        // The CRC is signed in, so a batch can only hold hashed parts: with the memory bound, at
        // most hash_ahead (+1) of them wait for a URL at once.
        const std::uint32_t batch = std::min(cfg_.sign_batch, cfg_.hash_ahead + 1);
        const bool tail = first + count == f.parts.size() || f.next_read >= f.parts.size();
        if (count >= batch || ready == 0 || tail) {
          for (std::uint32_t i = first; i < first + count; ++i) f.parts[i].signing = true;
          start_control(f, Ctl::kSign, ActionType::kSign, now, first, count);
        }
      } else {
        if (!f.parts[0].hashed || f.waiting_for) continue;
        if (f.parts[0].stored) {
          f.state = FileState::kCompleting;
          changed(f);
          start_control(f, Ctl::kComplete, ActionType::kComplete, now);
          continue;
        }
        const Part& p = f.parts[0];
        if (p.put == 0 && (!f.presigned || p.expires_at - p.margin <= now)) {
          start_control(f, Ctl::kPresign, ActionType::kPresign, now);
        }
      }
    }
  }

  // Reads: one per file at a time (the whole-file SHA-256 is sequential), round-robin across the
  // active files, while the host holds fewer than max_in_flight + hash_ahead parts.
  const std::uint32_t hold_limit = cfg_.max_in_flight + cfg_.hash_ahead;
  for (bool progress = true; progress && held_ < hold_limit && !act.empty();) {
    progress = false;
    for (std::size_t k = 0; k < act.size() && held_ < hold_limit; ++k) {
      File& f = *act[(rr_read_ + k) % act.size()];
      if (f.reading || f.waiting_for || (f.twin && !f.dedupe_checked && f.dedupe != 0)) continue;
      // Resumed: which parts are stored decides what a read is for. Reads go in order, so nothing is
      // signed or sent before part 0 was read and accepted (the host checks its SHA-256).
      if (f.resumed && !f.listed) continue;
      std::uint32_t i = kAllParts;
      bool reread = false;
      for (std::uint32_t j = 0; !f.hash_only && j < f.next_read; ++j) {  // a released part still to send
        const Part& p = f.parts[j];
        if (p.hashed && !p.stored && p.data == Data::kNone) {
          i = j;
          reread = true;
          break;
        }
      }
      if (i == kAllParts && f.next_read < f.parts.size()) i = f.next_read++;
      if (i == kAllParts) continue;
      f.parts[i].data = Data::kReading;
      f.reading = true;
      ++held_;
      Action a{ActionType::kRead};
      a.file = f.id;
      a.part = i;
      a.offset = f.plan.part_offset(i);
      a.size = f.plan.size_of_part(i);
      a.reread = reread;
      out_.push_back(a);
      rr_read_ = (rr_read_ + k + 1) % act.size();
      progress = true;
    }
  }

  // Sends: round-robin across the active files, lowest part first.
  if (online_) {
    for (bool progress = true; progress && puts_ < cfg_.max_in_flight && !act.empty();) {
      progress = false;
      for (std::size_t k = 0; k < act.size() && puts_ < cfg_.max_in_flight; ++k) {
        File& f = *act[(rr_send_ + k) % act.size()];
        if (f.waiting_for || (f.plan.multipart ? !f.created : !f.presigned)) continue;
        if (f.twin && !f.dedupe_checked && f.dedupe != 0) continue;  // likely stored already: ask first
        if (f.hash_only || (f.plan.multipart && f.dedupe == 1 && f.probe < 0)) continue;
        if (f.ctl == Ctl::kDedupe) continue;  // a hit aborts the upload: send nothing until the answer
        for (std::uint32_t i = 0; i < f.parts.size(); ++i) {
          Part& p = f.parts[i];
          if (!part_ready_to_send(p, now)) continue;
          const RequestId r = next_req_++;
          p.put = r;
          p.sent_bytes = 0;
          p.last_progress = now;
          reqs_[r] = Req{f.id, true, i};
          ++puts_;
          Action a{ActionType::kSend};
          a.file = f.id;
          a.req = r;
          a.part = i;
          a.offset = f.plan.part_offset(i);
          a.size = f.plan.size_of_part(i);
          out_.push_back(a);
          rr_send_ = (rr_send_ + k + 1) % act.size();
          progress = true;
          break;
        }
      }
    }
  }
  schedule_wake(now);
}

void Engine::schedule_wake(double now) {
  double next = std::numeric_limits<double>::infinity();
  auto consider = [&](double t) {
    if (t > now + kSlackMs && t < next) next = t;
  };
  for (auto& [id, f] : files_) {
    if (terminal(f)) continue;
    for (const Part& p : f.parts) {
      if (p.put)
        consider(std::max(now + 2 * kSlackMs, p.last_progress + cfg_.stall_timeout_ms));
      else if (!p.stored && p.retry.retry_at > now)
        consider(p.retry.retry_at);
    }
    if (f.ctl != Ctl::kNone)
      consider(std::max(now + 2 * kSlackMs, f.ctl_started + ctl_timeout(f)));
    else if (f.ctl_retry.retry_at > now)
      consider(f.ctl_retry.retry_at);
  }
  if (next == std::numeric_limits<double>::infinity()) return;
  if (wake_at_ < 0 || wake_at_ <= now || next < wake_at_) {
    wake_at_ = next;
    Action a{ActionType::kWake};
    a.at_ms = next;
    out_.push_back(a);
  }
}

// ---------------------------------------------------------------- results

std::vector<Action> Engine::take_actions() {
  std::vector<Action> a;
  a.swap(out_);
  return a;
}

FileStats Engine::stats(FileId id) const {
  FileStats s;
  const File* f = file(id);
  if (!f) return s;
  s.state = f->state;
  s.size = f->plan.object_size;
  s.part_size = f->plan.part_size;
  s.part_count = f->plan.part_count;
  s.multipart = f->plan.multipart;
  s.bytes_hashed = f->bytes_hashed;
  for (std::uint32_t i = 0; i < f->parts.size(); ++i) {
    const Part& p = f->parts[i];
    if (p.stored) {
      s.bytes_stored += f->plan.size_of_part(i);
      ++s.parts_stored;
    } else if (p.put) {
      s.bytes_in_flight += p.sent_bytes;
    }
  }
  if (f->deduplicated) s.bytes_stored = s.size;
  s.retries = f->retries;
  s.deduplicated = f->deduplicated;
  s.resumed = f->resumed;
  s.parts_reused = f->reused;
  s.bytes_reused = f->reused_bytes;
  s.sha256 = f->sha256;
  s.error = f->fail_code;
  return s;
}

Counters Engine::counters() const {
  Counters c;
  c.puts_in_flight = puts_;
  c.control_in_flight = controls_;
  c.parts_held = held_;
  for (auto& [id, f] : files_) {
    if (!terminal(f) && !f.paused) ++c.active_files;
  }
  return c;
}

std::string Engine::debug(FileId id) const {
  const File* f = file(id);
  if (!f) return "no such file";
  std::string s = "file " + std::to_string(id) + " " + to_string(f->state) + (f->paused ? " paused" : "") +
                  " ctl=" + std::to_string(int(f->ctl)) + " retry_at=" + std::to_string(f->ctl_retry.retry_at) +
                  " created=" + std::to_string(f->created) + " resumed=" + std::to_string(f->resumed) + "/" +
                  std::to_string(f->listed) + " presigned=" + std::to_string(f->presigned) +
                  " dedupe=" + std::to_string(f->dedupe) + "/" + std::to_string(f->dedupe_checked) +
                  " wait=" + std::to_string(f->waiting_for) + " twin=" + std::to_string(f->twin) +
                  " aborting=" + std::to_string(f->aborting) + " fail=" + f->fail_code +
                  " next_read=" + std::to_string(f->next_read) + " reading=" + std::to_string(f->reading) + " parts:";
  for (const Part& p : f->parts) {
    s += " [d" + std::to_string(int(p.data)) + (p.hashed ? "h" : "") + (p.stored ? "S" : "") + (p.signing ? "s" : "") +
         (p.put ? "P" : "") + " exp=" + std::to_string(long(p.expires_at)) +
         " at=" + std::to_string(long(p.retry.retry_at)) + "]";
  }
  return s;
}

bool Engine::idle() const {
  return std::all_of(files_.begin(), files_.end(), [this](const auto& kv) { return terminal(kv.second); });
}

}  // namespace vs3::engine
