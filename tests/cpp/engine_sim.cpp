// The simulated world behind the engine tests (see engine_sim.hpp).
#include "engine_sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vs3::sim {

namespace {
std::uint64_t mix(std::uint64_t x) {
  SplitMix64 r(x);
  return r.next();
}
const char* name(ActionType t) {
  switch (t) {
    case ActionType::kRead: return "read";
    case ActionType::kCreate: return "create";
    case ActionType::kPresign: return "presign";
    case ActionType::kSign: return "sign";
    case ActionType::kSend: return "send";
    case ActionType::kComplete: return "complete";
    case ActionType::kDedupe: return "dedupe";
    case ActionType::kProbe: return "probe";
    case ActionType::kAbort: return "abort";
    case ActionType::kList: return "list";
    case ActionType::kCancel: return "cancel";
    case ActionType::kRelease: return "release";
    case ActionType::kWake: return "wake";
    case ActionType::kChanged: return "changed";
    case ActionType::kDone: return "done";
    case ActionType::kFailed: return "failed";
  }
  return "?";
}
}  // namespace

World::World(std::uint64_t seed, EngineConfig cfg, Faults faults)
    : engine_([&] {
        cfg.seed = seed;
        return cfg;
      }()),
      cfg_(cfg),
      f_(faults),
      rng_(seed ^ 0x5eed5eed5eedull) {}

std::uint32_t World::part_crc(std::uint64_t content, std::uint32_t part) {
  return std::uint32_t(mix(content * 1000003ull + part));
}

std::uint32_t World::crc_of(std::size_t fi, std::uint32_t part) const {
  const SimFile& f = files_[fi];
  return part_crc(part == 0 && f.first_part_content ? f.first_part_content : f.content, part);
}

std::string World::content_sha(std::uint64_t content) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)mix(content));
  return std::string(buf) + std::string(buf) + std::string(buf) + std::string(buf);
}

std::uint32_t World::open_uploads() const {
  std::uint32_t n = 0;
  for (auto& [id, u] : uploads_) {
    const SimFile& f = files_[u.file];
    // Left on purpose: a refused resume (file_mismatch, or the list refused) leaves the upload it found
    // for later; with abort_failed_uploads off a failed upload stays to be resumed.
    const bool kept = f.failed && f.code != "cancelled" &&
                      ((u.resumed && !u.created_here) || (!cfg_.abort_failed_uploads && u.created_here));
    n += u.open && !kept;
  }
  return n;
}

bool World::upload_open(std::size_t fi) const {
  auto it = upload_of_.find(fi);
  return it != upload_of_.end() && uploads_.at(it->second).open;
}

void World::at(double t, std::function<void()> fn) {
  events_.emplace(std::make_pair(t, seq_++), std::move(fn));
}

void World::fail(const std::string& why) {
  if (failure_.empty()) {
    std::ostringstream s;
    s << "t=" << now_ << "ms: " << why;
    failure_ = s.str();
  }
}

std::size_t World::index_of(FileId id) const {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].id == id) return i;
  }
  return files_.size();
}

void World::answer(RequestId r, double t, std::function<void()> fn) {
  at(t, [this, r, fn = std::move(fn)] {
    if (cancelled_.count(r) || !live_.count(r)) return;  // the host aborted it: the answer never reaches the engine
    live_.erase(r);
    fn();
  });
}

// Decides the fate of one control request. on_success(deliver) does the server's work and, when
// deliver, tells the engine. Returns true when a fault was scheduled instead.
bool World::network_fault(RequestId r, double t, bool may_stall, bool may_lose, std::function<void(bool)> on_success,
                          std::function<void()> after_loss, double extra_ms) {
  if (storage_down(t)) {
    // Storage refuses connections; the app server answers with 502 storage_error.
    answer(r, t + latency(1, 5), [this, r] { engine_.failed(r, 502, "storage_error", -1, false, now_); });
    return true;
  }
  if (roll(f_.reset)) {
    answer(r, t + latency(1, 50), [this, r] { engine_.failed(r, 0, "", -1, false, now_); });
    return true;
  }
  if (roll(f_.server_error)) {
    const bool slow = roll(0.5);
    const double ra = slow ? double(int(latency(0, 3)) * 1000) : -1;
    answer(r, t + latency(1, 20),
           [this, r, slow, ra] { engine_.failed(r, slow ? 503 : 500, "storage_error", ra, false, now_); });
    return true;
  }
  if (may_stall && roll(f_.stall)) return true;  // never answers
  if (may_lose && roll(f_.lost)) {
    // The request did its work, then the answer was lost on the way back.
    answer(r, t + extra_ms + latency(2, 30), [on_success, after_loss] {
      on_success(false);
      after_loss();
    });
    return true;
  }
  answer(r, t + extra_ms + latency(2, 30), [on_success] { on_success(true); });
  return false;
}

void World::execute(const Action& a) {
  const double t = now_;
  switch (a.type) {
    case ActionType::kRead: {
      const std::size_t fi = index_of(a.file);
      if (fi == files_.size()) return fail("read for an unknown file");
      auto key = std::make_pair(fi, a.part);
      if (held_.count(key)) return fail("read of a part whose bytes are already held");
      held_[key] = 1;
      ++held_count_;
      max_held_seen = std::max(max_held_seen, held_count_);
      if (held_count_ > cfg_.max_in_flight + cfg_.hash_ahead)
        return fail("memory bound broken: parts held > in flight + ahead");
      const std::uint32_t crc = crc_of(fi, a.part);
      const auto st = engine_.stats(a.file);
      const bool last = a.part + 1 == st.part_count;
      if (a.offset != std::uint64_t(a.part) * st.part_size || a.size != (last ? st.size - a.offset : st.part_size)) {
        return fail("read asks for the wrong byte range");
      }
      at(t + latency(0.2, 4), [this, a, crc, last, fi] {
        const SimFile& g = files_[fi];
        if (g.resume && a.part == 0 && !a.reread) {
          // The host compares part 0's SHA-256 with its record's: another file is refused here.
          const std::uint64_t first = g.first_part_content ? g.first_part_content : g.content;
          if (g.host_knows_first && first != g.resume_content && engine_.stats(a.file).resumed) {
            held_.erase({fi, a.part});
            --held_count_;
            engine_.mismatch(a.file, a.part, now_);
            drain();
            return;
          }
          verified_.insert(fi);
        }
        held_[{fi, a.part}] = 2;  // read: the host now holds the bytes
        engine_.part_read(a.file, a.part, crc, last ? content_sha(files_[fi].content) : "", now_);
        drain();
      });
      return;
    }
    case ActionType::kRelease: {
      const std::size_t fi = index_of(a.file);
      auto it = held_.find({fi, a.part});
      if (it == held_.end()) return fail("release of bytes not held");
      held_.erase(it);
      --held_count_;
      return;
    }
    case ActionType::kWake:
      // Like setTimeout: whole milliseconds, so a timer may fire a fraction of a millisecond early.
      at(std::floor(a.at_ms), [this] {
        engine_.timer(now_);
        drain();
      });
      return;
    case ActionType::kCancel:
      if (!live_.count(a.req)) return fail("cancel of a request not in flight");
      live_.erase(a.req);
      cancelled_.insert(a.req);
      return;
    case ActionType::kChanged: return;
    case ActionType::kDone:
    case ActionType::kFailed: {
      const std::size_t fi = index_of(a.file);
      SimFile& f = files_[fi];
      if (f.done || f.failed) return fail("file reported twice");
      if (a.type == ActionType::kDone) {
        f.done = true;
        f.deduplicated = a.deduplicated;
        if (a.deduplicated) {
          auto it = dedupe_index_.find({f.group, content_sha(f.content)});
          if (it == dedupe_index_.end() || !objects_.count(it->second))
            return fail("deduplicated against nothing stored");
        } else if (!objects_.count(fi)) {
          return fail("file reported done but storage has no object");
        }
      } else {
        f.failed = true;
        f.code = a.code;
      }
      for (auto& [k, v] : held_) {
        if (k.first == fi && v == 2) return fail("file finished while the host still holds its bytes");
      }
      return;
    }
    default: break;
  }

  // Network requests.
  if (!online_) return fail(std::string("request issued while offline: ") + name(a.type));
  const std::size_t fi = index_of(a.file);
  if (fi == files_.size()) return fail("request for an unknown file");
  live_[a.req] = Live{fi, a.type, a.part, a.count};
  std::uint32_t puts = 0, ctl = 0;
  for (auto& [r, q] : live_) (q.type == ActionType::kSend ? puts : ctl)++;
  max_puts_seen = std::max(max_puts_seen, puts);
  max_ctl_seen = std::max(max_ctl_seen, ctl);
  if (puts > cfg_.max_in_flight) return fail("more PUTs in flight than the limit");
  if (ctl > cfg_.max_control_in_flight) return fail("more control requests in flight than the limit");
  SimFile& f = files_[fi];
  const auto st = engine_.stats(a.file);
  const RequestId r = a.req;

  switch (a.type) {
    case ActionType::kCreate: {
      ++create_calls;
      if (!st.multipart) return fail("create for a single-PUT file");
      if (roll(f_.refuse_create)) {
        answer(r, t + latency(1, 5), [this, r] { engine_.failed(r, 413, "file_too_large", -1, false, now_); });
        return;
      }
      // No stalls or lost answers at create: an upload created whose id never reached the client is
      // left to the bucket's lifecycle rule (documented), and would break the "nothing left" check.
      auto ok = [this, r, fi](bool) {
        const std::uint64_t id = next_upload_++;
        uploads_[id] = Upload{fi, {}, true, false, true};
        upload_of_[fi] = id;
        engine_.created(r, files_[fi].dedupe_route, now_);
      };
      network_fault(r, t, false, false, ok, [] {});
      return;
    }
    case ActionType::kPresign: {
      ++presign_calls;
      if (st.multipart) return fail("presign for a multipart file");
      if (st.sha256.empty()) return fail("presign before the file was hashed");
      auto ok = [this, r, fi](bool) {
        const SimFile& g = files_[fi];
        if (g.dedupe_route && dedupe_index_.count({g.group, content_sha(g.content)})) {
          engine_.dedupe_answer(r, true, now_);
          return;
        }
        single_url_[fi] = now_ + f_.url_ttl_ms;
        engine_.presigned(r, now_ + f_.url_ttl_ms, g.dedupe_route, now_);
      };
      network_fault(r, t, true, false, ok, [] {});
      return;
    }
    case ActionType::kSign: {
      ++sign_calls;
      if (!upload_of_.count(fi)) return fail("sign before create");
      if (a.count == 0 || a.count > cfg_.sign_batch) return fail("sign batch size out of range");
      for (std::uint32_t i = a.part; i < a.part + a.count; ++i) {
        if (i >= st.part_count) return fail("sign of a part past the end");
      }
      auto ok = [this, r, fi, a](bool) {
        for (std::uint32_t i = a.part; i < a.part + a.count; ++i) {
          urls_[{fi, i}] = {now_ + f_.url_ttl_ms, crc_of(fi, i)};
        }
        engine_.signed_parts(r, now_ + f_.url_ttl_ms, now_);
      };
      network_fault(r, t, true, false, ok, [] {});
      return;
    }
    case ActionType::kSend: {
      ++put_calls;
      ++puts_sent_[fi];
      if (!held_.count({fi, a.part})) return fail("send of bytes the host does not hold");
      if (f.resume && st.resumed && !verified_.count(fi))
        return fail("resumed file sent a part before part 0 proved it");
      const std::uint64_t expect =
          (a.part + 1 == st.part_count) ? st.size - std::uint64_t(a.part) * st.part_size : st.part_size;
      if (a.size != expect) return fail("send with the wrong part size");
      double expiry;
      if (st.multipart) {
        auto u = urls_.find({fi, a.part});
        if (u == urls_.end()) return fail("send of an unsigned part");
        if (u->second.second != crc_of(fi, a.part)) return fail("part URL signed with the wrong CRC");
        expiry = u->second.first;
      } else {
        if (!single_url_.count(fi)) return fail("single PUT without a presigned URL");
        expiry = single_url_[fi];
      }
      // 64 MB/s per request, progress every 50 ms.
      const double dur = 2 + double(a.size) / 64000.0;
      // false: NoSuchUpload (aborted meanwhile, e.g. by a dedupe hit): nothing stored, 404.
      auto store = [this, fi, a, st] {
        if (st.multipart) {
          auto it = upload_of_.find(fi);
          if (it == upload_of_.end() || !uploads_[it->second].open) return false;
          uploads_[it->second].parts[a.part] = {a.size, crc_of(fi, a.part)};
          bytes_sent += a.size;
        } else {
          single_put_[fi] = true;
        }
        return true;
      };
      if (t >= expiry) {
        const bool says = roll(0.5);  // AWS says "Request has expired"; RGW only AccessDenied
        answer(r, t + latency(1, 10), [this, r, says] { engine_.failed(r, 403, "AccessDenied", -1, says, now_); });
        return;
      }
      auto progress_until = [this, r, a, t, dur](double until) {
        for (double p = 50; p < until; p += 50) {
          at(t + p, [this, r, p, a, dur] {
            if (cancelled_.count(r) || !live_.count(r)) return;
            engine_.progress(r, std::uint64_t(double(a.size) * p / dur), now_);
          });
        }
      };
      const double cut = dur * latency(0.1, 0.9);
      if (storage_down(t)) {
        answer(r, t + latency(0.2, 2), [this, r] { engine_.failed(r, 0, "", -1, false, now_); });
      } else if (roll(f_.reset)) {  // connection reset mid-body
        progress_until(cut);
        answer(r, t + cut, [this, r] { engine_.failed(r, 0, "", -1, false, now_); });
      } else if (roll(f_.server_error)) {
        const bool slow = roll(0.5);
        const double ra = slow ? double(int(latency(0, 3)) * 1000) : -1;
        progress_until(dur);
        answer(r, t + dur, [this, r, slow, ra] {
          engine_.failed(r, slow ? 503 : 500, slow ? "SlowDown" : "InternalError", ra, false, now_);
        });
      } else if (roll(f_.stall)) {  // the body stops flowing; no answer ever comes
        progress_until(cut);
      } else if (roll(f_.lost)) {  // stored, but the answer is lost
        progress_until(dur);
        answer(r, t + dur, [this, r, store] {
          store();
          engine_.failed(r, 0, "", -1, false, now_);
        });
      } else {
        progress_until(dur);
        answer(r, t + dur, [this, r, store] {
          if (store())
            engine_.sent(r, now_);
          else
            engine_.failed(r, 404, "NoSuchUpload", -1, false, now_);
        });
      }
      return;
    }
    case ActionType::kComplete: {
      auto ok = [this, r, fi, st](bool deliver) {
        const SimFile& g = files_[fi];
        if (st.multipart) {
          auto it = upload_of_.find(fi);
          if (it == upload_of_.end()) return fail("complete without an upload");
          Upload& u = uploads_[it->second];
          if (!u.open) {
            // A retried complete after a lost answer: the object exists, so the server says success.
            if (!objects_.count(fi)) {
              engine_.failed(r, 409, "upload_not_found", -1, false, now_);
              return;
            }
          } else {
            if (u.parts.size() != st.part_count) return fail("complete with parts missing on storage");
            for (auto& [i, pc] : u.parts) {
              const std::uint64_t expect =
                  (i + 1 == st.part_count) ? st.size - std::uint64_t(i) * st.part_size : st.part_size;
              if (pc.first != expect || pc.second != crc_of(fi, i)) return fail("stored part differs from the plan");
            }
            u.open = false;
            objects_[fi] = Object{st.size, content_sha(g.content)};
          }
        } else {
          if (!single_put_.count(fi)) return fail("complete of a single PUT that never landed");
          objects_[fi] = Object{st.size, content_sha(g.content)};
        }
        if (st.sha256 != content_sha(g.content)) return fail("engine reports the wrong SHA-256");
        if (g.dedupe_route) {
          dedupe_index_.emplace(std::make_pair(g.group, content_sha(g.content)), fi);
          if (st.multipart) probe_index_.insert({g.group, st.size, crc_of(fi, 0)});
        }
        if (deliver) engine_.completed(r, now_);
      };
      if (st.parts_stored != st.part_count) return fail("complete before every part was stored");
      network_fault(
          r, t, true, true, ok, [this, r] { engine_.failed(r, 0, "", -1, false, now_); }, f_.complete_ms);
      return;
    }
    case ActionType::kDedupe: {
      if (!f.dedupe_route) return fail("dedupe check on a route that does not dedupe");
      // The server looks up and, on a hit, aborts this file's upload; its answer takes dedupe_ms more,
      // so parts still on the wire meet a closed upload (404 NoSuchUpload) before the hit arrives.
      const bool found = dedupe_index_.count({f.group, content_sha(f.content)}) > 0 && !storage_down(t);
      auto ok = [this, r, fi, found](bool) {
        if (found) {
          auto it = upload_of_.find(fi);
          if (it != upload_of_.end()) uploads_[it->second].open = false;  // the server aborts it
        }
        engine_.dedupe_answer(r, found, now_);
      };
      if (found && f_.dedupe_ms > 0) {
        auto it = upload_of_.find(fi);
        if (it != upload_of_.end()) uploads_[it->second].open = false;
      }
      network_fault(
          r, t, true, false, ok, [] {}, f_.dedupe_ms);
      return;
    }
    case ActionType::kProbe: {
      if (!f.dedupe_route) return fail("probe on a route that does not dedupe");
      if (puts_sent_[fi]) return fail("probe after parts were sent");
      auto ok = [this, r, fi, st](bool) {
        const SimFile& g = files_[fi];
        engine_.probe_answer(r, probe_index_.count({g.group, st.size, crc_of(fi, 0)}) > 0, now_);
      };
      network_fault(r, t, true, false, ok, [] {});
      return;
    }
    case ActionType::kList: {
      ++list_calls;
      if (!f.resume || !upload_of_.count(fi)) return fail("list for a file that was not resumed");
      if (f.refuse_list) {
        answer(r, t + latency(1, 5), [this, r] { engine_.failed(r, 403, "forbidden", -1, false, now_); });
        return;
      }
      auto ok = [this, r, fi](bool) {
        const Upload& u = uploads_[upload_of_[fi]];
        const FileId id = files_[fi].id;
        const auto s = engine_.stats(id);
        if (u.open) {
          for (auto& [i, pc] : u.parts) {
            const std::uint64_t expect =
                (i + 1 == s.part_count) ? s.size - std::uint64_t(i) * s.part_size : s.part_size;
            if (pc.first == expect && claims_.count({fi, i})) engine_.claim_part(id, i, pc.second);
          }
        }
        engine_.listed(r, u.open, files_[fi].dedupe_route, now_);
      };
      network_fault(r, t, true, false, ok, [] {});
      return;
    }
    case ActionType::kAbort: {
      ++abort_calls;
      auto ok = [this, r, fi](bool deliver) {
        auto it = upload_of_.find(fi);
        if (it != upload_of_.end()) uploads_[it->second].open = false;
        if (deliver) engine_.aborted(r, now_);
      };
      network_fault(r, t, true, true, ok, [this, r] { engine_.failed(r, 0, "", -1, false, now_); });
      return;
    }
    default: return fail("unexpected action");
  }
}

void World::drain() {
  static const bool trace = std::getenv("VS3_SIM_TRACE") != nullptr;
  for (const Action& a : engine_.take_actions()) {
    if (trace && a.type != ActionType::kChanged) {
      std::fprintf(stderr, "%10.1f %-8s f%u r%u p%u n%u %s\n", now_, name(a.type), a.file, a.req, a.part, a.count,
                   a.code.c_str());
    }
    execute(a);
    if (!failure_.empty()) return;
  }
  const auto c = engine_.counters();
  std::uint32_t puts = 0, ctl = 0;
  for (auto& [r, q] : live_) (q.type == ActionType::kSend ? puts : ctl)++;
  if (c.puts_in_flight != puts || c.control_in_flight != ctl) {
    std::ostringstream s;
    s << "engine and host disagree on requests in flight: engine " << c.puts_in_flight << "/" << c.control_in_flight
      << ", host " << puts << "/" << ctl;
    fail(s.str());
  }
  if (c.parts_held != held_count_) fail("engine and host disagree on parts held");
}

// The upload a resumed file's earlier page load began: some parts stored (of resume_content's bytes),
// most of them in the host's record (a crash may lose the last ones).
void World::begin_resumed(std::size_t fi) {
  SimFile& f = files_[fi];
  const std::uint64_t part = 8 * 1024 * 1024;
  const std::uint32_t n = std::uint32_t((f.size + part - 1) / part);
  const std::uint64_t id = next_upload_++;
  Upload u{fi, {}, !f.resume_gone, true, false};
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!roll(f.resume_fraction)) continue;
    u.parts[i] = {i + 1 == n ? f.size - std::uint64_t(i) * part : part, part_crc(f.resume_content, i)};
    if (roll(0.9)) claims_.insert({fi, i});
  }
  resumed_parts_[id] = u.parts;
  uploads_[id] = u;
  upload_of_[fi] = id;
}

bool World::run(double max_time_ms) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].resume) begin_resumed(i);
    if (files_[i].stored_elsewhere_at >= 0) {
      at(files_[i].stored_elsewhere_at, [this, i] {
        const SimFile& f = files_[i];
        const std::size_t other = 100000 + i;  // an object no file of this world uploaded
        objects_[other] = Object{f.size, content_sha(f.content)};
        dedupe_index_.emplace(std::make_pair(f.group, content_sha(f.content)), other);
      });
    }
    at(files_[i].add_at, [this, i] {
      SimFile& f = files_[i];
      const auto r = f.resume ? engine_.add_resumed(f.size, 8 * 1024 * 1024, 0, f.group, now_)
                              : engine_.add_file(f.size, 0, f.group, now_);
      if (!r.ok) return fail("add_file refused: " + r.error_message);
      f.id = r.file;
      drain();
    });
  }
  if (f_.user_events) {
    for (std::size_t i = 0; i < files_.size(); ++i) {
      const double t0 = files_[i].add_at + latency(0, 3000);
      if (roll(0.3)) {
        const double len = latency(10, 5000);
        at(t0, [this, i] {
          engine_.pause(files_[i].id, now_);
          drain();
        });
        at(t0 + len, [this, i] {
          engine_.resume(files_[i].id, now_);
          drain();
        });
      }
      if (roll(0.15)) {
        at(t0 + latency(0, 4000), [this, i] {
          engine_.cancel(files_[i].id, now_);
          drain();
        });
      }
    }
    if (roll(0.2)) {
      const double t0 = latency(0, 3000), len = latency(10, 3000);
      at(t0, [this] {
        engine_.pause(0, now_);
        drain();
      });
      at(t0 + len, [this] {
        engine_.resume(0, now_);
        drain();
      });
    }
  }
  if (f_.offline_spells && roll(0.5)) {
    const double t0 = latency(0, 4000), len = latency(100, 20000);
    at(t0, [this] {
      online_ = false;
      engine_.set_online(false, now_);
      // The connection drops: every request in flight fails.
      for (auto& [r, q] : std::map<RequestId, Live>(live_)) {
        answer(r, now_ + latency(1, 100), [this, r = r] { engine_.failed(r, 0, "", -1, false, now_); });
      }
      drain();
    });
    at(t0 + len, [this] {
      online_ = true;
      engine_.set_online(true, now_);
      drain();
    });
  }

  std::uint64_t steps = 0;
  while (!events_.empty() && failure_.empty()) {
    auto it = events_.begin();
    now_ = it->first.first;
    if (now_ > max_time_ms) {
      fail("did not finish within the simulated time limit");
      break;
    }
    auto fn = std::move(it->second);
    events_.erase(it);
    fn();
    drain();
    if (++steps > 5'000'000) {
      fail("too many events");
      break;
    }
  }
  if (!failure_.empty()) return false;
  if (!engine_.idle()) {
    std::string d;
    for (const SimFile& f : files_) {
      if (!f.done && !f.failed) d += "\n  " + engine_.debug(f.id);
    }
    fail("the world went quiet but the engine still has unfinished files:" + d);
  }
  for (const SimFile& f : files_) {
    if (!f.done && !f.failed) fail("a file was never reported");
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const SimFile& f = files_[i];
    if (!f.resume) continue;
    const std::uint64_t first = f.first_part_content ? f.first_part_content : f.content;
    if (f.done && first != f.resume_content && !f.resume_gone && f.host_knows_first)
      fail("a resumed upload of another file was completed");
    if (f.failed && !f.resume_gone && (f.code == "file_mismatch" || (f.refuse_list && f.code != "cancelled"))) {
      // Refused: the upload it found must be exactly as it was (the right file may come back for it).
      for (auto& [id, u] : uploads_) {
        if (u.file == i && u.resumed && (!u.open || u.parts != resumed_parts_[id]))
          fail("a refused file touched the upload");
      }
    }
  }
  if (open_uploads()) fail("a multipart upload was left open on storage");
  if (held_count_) fail("bytes still held at the end");
  if (!live_.empty()) fail("requests still in flight at the end");
  return failure_.empty();
}

}  // namespace vs3::sim
