// The upload engine against a simulated world: hand-picked scenarios, then 10,000 seeded runs with
// random files, faults, pauses, cancels and offline spells. Every run checks the engine's invariants
// (engine_sim.cpp); a failure prints its seed so it replays exactly:  VS3_SIM_SEED=<seed> ./vs3core_tests
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "engine_sim.hpp"

using namespace vs3;
using namespace vs3::sim;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

SimFile file_of(std::uint64_t size, std::uint64_t content, double at = 0, bool dedupe = false) {
  SimFile f;
  f.size = size;
  f.content = content;
  f.add_at = at;
  f.dedupe_route = dedupe;
  return f;
}

// One seeded run with random files and faults. Returns "" or the failure.
std::string random_run(std::uint64_t seed, std::uint32_t* done = nullptr, std::uint32_t* total = nullptr) {
  SplitMix64 r(seed);
  EngineConfig cfg;
  cfg.max_in_flight = 1 + r.next() % 6;
  cfg.max_control_in_flight = 1 + r.next() % 3;
  cfg.max_active_files = 1 + r.next() % 4;
  cfg.hash_ahead = r.next() % 5;
  cfg.sign_batch = 1 + r.next() % 10;
  cfg.stall_timeout_ms = 2000 + double(r.next() % 8000);
  cfg.complete_timeout_ms = cfg.stall_timeout_ms * (1 + r.next() % 4);
  cfg.abort_failed_uploads = r.uniform01() < 0.5;  // off: the host keeps resume state
  Faults f;
  const double level = r.uniform01();
  f.reset = 0.05 * level;
  f.server_error = 0.05 * level;
  f.stall = 0.02 * level;
  f.lost = 0.03 * level;
  f.refuse_create = r.uniform01() < 0.05 ? 0.1 : 0;
  // Sometimes storage is slow to complete: past the stall timeout, sometimes past the complete's too.
  if (r.uniform01() < 0.1) f.complete_ms = double(r.next() % 20000);
  if (r.uniform01() < 0.2) f.dedupe_ms = double(r.next() % 2000);
  f.url_ttl_ms = r.uniform01() < 0.2 ? 2000 + double(r.next() % 23000) : 600000;
  f.user_events = r.uniform01() < 0.5;
  f.offline_spells = r.uniform01() < 0.3;
  if (r.uniform01() < 0.1) {
    f.outage_from = double(r.next() % 3000);
    f.outage_to = f.outage_from + 1000 + double(r.next() % 30000);
  }
  World w(seed, cfg, f);
  const int n = 1 + int(r.next() % 5);
  for (int i = 0; i < n; ++i) {
    std::uint64_t size;
    switch (r.next() % 4) {
      case 0: size = r.next() % 1000; break;                    // tiny, even empty
      case 1: size = r.next() % (8 * MiB) + 1; break;           // one PUT
      default: size = 8 * MiB + r.next() % (200 * MiB); break;  // multipart, up to 26 parts
    }
    // Some files repeat content (and then size) of an earlier one: dedupe in the queue.
    std::uint64_t content = seed * 100 + std::uint64_t(i);
    if (i > 0 && r.uniform01() < 0.25) {
      const SimFile& prev = w.files()[r.next() % std::uint64_t(i)];
      content = prev.content;
      size = prev.size;
    }
    SimFile nf = file_of(size, content, double(r.next() % 2000), r.uniform01() < 0.5);
    if (nf.dedupe_route && r.uniform01() < 0.1) nf.stored_elsewhere_at = double(r.next() % 5000);  // another tab
    // Some look alike (same size, same first part) but differ later: the dedupe probe's false positive.
    if (i > 0 && content == seed * 100 + std::uint64_t(i) && r.uniform01() < 0.15) {
      const SimFile& prev = w.files()[r.next() % std::uint64_t(i)];
      nf.size = prev.size;
      nf.first_part_content = prev.content;
      nf.dedupe_route = prev.dedupe_route;
    }
    // Some were begun by an earlier page load: the same file picked again, mostly; sometimes another
    // one with its name and size, or the file edited after part 0, or an upload gone meanwhile.
    if (nf.size > 8 * MiB && r.uniform01() < 0.2) {
      nf.resume = true;
      nf.resume_fraction = r.uniform01();
      nf.host_knows_first = r.uniform01() < 0.8;
      nf.resume_gone = r.uniform01() < 0.1;
      nf.refuse_list = r.uniform01() < 0.05;
      const double kind = r.uniform01();
      nf.resume_content = kind < 0.7 ? nf.content : 900000 + seed;
      if (kind >= 0.85) nf.first_part_content = nf.resume_content;  // edited after the first part
    }
    w.add(nf);
    // A repeated file must be on the same route to deduplicate: copy the route flag.
    if (content != seed * 100 + std::uint64_t(i)) {
      SimFile g = w.files().back();
      for (const SimFile& p : w.files()) {
        if (p.content == content) {
          g.dedupe_route = p.dedupe_route;
          break;
        }
      }
      const_cast<std::vector<SimFile>&>(w.files()).back() = g;
    }
  }
  if (!w.run()) return w.failure();
  if (done && total) {
    for (const SimFile& sf : w.files()) {
      ++*total;
      *done += sf.done;
    }
  }
  return "";
}

}  // namespace

TEST(EngineScenario, OneByteFileIsOnePut) {
  World w(1, {}, {});
  w.add(file_of(1, 7));
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done);
  EXPECT_EQ(w.create_calls, 0u);
  EXPECT_EQ(w.presign_calls, 1u);
  EXPECT_EQ(w.put_calls, 1u);
  EXPECT_EQ(w.engine().stats(w.files()[0].id).part_count, 1u);
}

TEST(EngineScenario, EmptyFileUploads) {
  World w(2, {}, {});
  w.add(file_of(0, 8));
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done);
}

TEST(EngineScenario, CleanMultipartSignsInBatches) {
  // Part CRCs are signed into the URLs, so a batch holds only hashed parts: at most hash_ahead + 1
  // wait for a URL at once. A clean upload of n parts makes about n / that many sign calls.
  for (std::uint32_t ahead : {4u, 8u}) {
    EngineConfig cfg;
    cfg.sign_batch = 8;
    cfg.hash_ahead = ahead;
    World w(3, cfg, {});
    w.add(file_of(100 * 8 * MiB, 9));  // 100 parts of 8 MiB
    ASSERT_TRUE(w.run()) << w.failure();
    EXPECT_TRUE(w.files()[0].done);
    EXPECT_EQ(w.put_calls, 100u);
    EXPECT_EQ(w.create_calls, 1u);
    const std::uint32_t batch = std::min(8u, ahead + 1);
    EXPECT_LE(w.sign_calls, (100 + batch - 1) / batch + 6) << "hash_ahead " << ahead;
    EXPECT_EQ(w.max_puts_seen, 4u);
    EXPECT_LE(w.max_held_seen, 4 + ahead);
  }
}

TEST(EngineScenario, PlansTenTerabytesWithinTenThousandParts) {
  vs3::engine::Engine e;
  const std::uint64_t size = 10ull * 1000 * 1000 * 1000 * 1000;
  const auto r = e.add_file(size, 0, 1, 0);
  ASSERT_TRUE(r.ok) << r.error_message;
  const auto s = e.stats(r.file);
  EXPECT_TRUE(s.multipart);
  EXPECT_LE(s.part_count, 10000u);
  EXPECT_GE(s.part_size * s.part_count, size);
  // Starts reading and creating at once, holding no more than in flight + ahead.
  std::uint32_t reads = 0, creates = 0;
  for (const auto& a : e.take_actions()) {
    reads += a.type == vs3::engine::ActionType::kRead;
    creates += a.type == vs3::engine::ActionType::kCreate;
  }
  EXPECT_EQ(reads, 1u);  // sequential per file: the whole-file SHA-256 needs order
  EXPECT_EQ(creates, 1u);
  EXPECT_FALSE(e.add_file(60ull << 40, 0, 1, 0).ok);  // > 48.8 TiB
}

TEST(EngineScenario, RidesOutAThirtySecondStorageOutage) {
  Faults f;
  f.outage_from = 200;
  f.outage_to = 30200;
  World w(4, {}, f);
  w.add(file_of(40 * MiB, 10));
  w.add(file_of(3 * MiB, 11));
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done) << w.files()[0].code;
  EXPECT_TRUE(w.files()[1].done) << w.files()[1].code;
  EXPECT_GT(w.now(), 30200);
}

// One 64 MiB file with a 5 s stall timeout under `f`: it must be stored; returns its retries.
static std::uint32_t retries_storing_one_file(std::uint64_t seed, const Faults& f, double* ended = nullptr) {
  EngineConfig cfg;
  cfg.stall_timeout_ms = 5000;
  World w(seed, cfg, f);
  w.add(file_of(64 * MiB, seed + 11));
  EXPECT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done) << w.files()[0].code;
  if (ended) *ended = w.now();
  return w.engine().stats(w.files()[0].id).retries;
}

TEST(EngineScenario, AStallIsCancelledAndRetried) {
  Faults f;
  f.stall = 0.3;
  EXPECT_GT(retries_storing_one_file(5, f), 0u);
}

TEST(EngineScenario, ASlowCompleteIsWaitedForNotRetried) {
  // Storage takes 3 minutes to assemble the object: far past the stall timeout, within the complete's.
  Faults f;
  f.complete_ms = 180000;
  double ended = 0;
  EXPECT_EQ(retries_storing_one_file(15, f, &ended), 0u);
  EXPECT_GT(ended, 180000);
}

TEST(EngineScenario, CancelAbortsTheMultipartUpload) {
  World w(6, {}, {});
  w.add(file_of(200 * MiB, 13));
  w.at(100, [&] { w.engine().cancel(w.files()[0].id, w.now()); });
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].failed);
  EXPECT_EQ(w.files()[0].code, "cancelled");
  EXPECT_EQ(w.open_uploads(), 0u);
}

TEST(EngineScenario, IdenticalFilesInOneQueueUploadOnce) {
  World w(7, {}, {});
  w.add(file_of(50 * MiB, 14, 0, true));
  w.add(file_of(50 * MiB, 14, 0, true));
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done && w.files()[1].done);
  EXPECT_NE(w.files()[0].deduplicated, w.files()[1].deduplicated);
  // 7 parts each; the twin stops sending as soon as its hash matches, so well under 14 PUTs.
  EXPECT_LT(w.put_calls, 14u);
}

TEST(EngineScenario, SecondUploadOfStoredContentSendsNoPart) {
  // The probe (size + first part's CRC) finds a candidate before anything is sent; the engine hashes
  // the rest without holding bytes, asks with the SHA-256, and sends nothing.
  World w(8, {}, {});
  w.add(file_of(90 * MiB, 15, 0, true));
  w.add(file_of(90 * MiB, 15, 60000, true));  // long after the first is stored
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[1].done);
  EXPECT_TRUE(w.files()[1].deduplicated);
  EXPECT_EQ(w.put_calls, 12u) << "only the first file's 12 parts";
  EXPECT_LE(w.max_held_seen, 8u);
}

TEST(EngineScenario, AProbeCandidateThatDiffersIsSentAfterAll) {
  // Same size and first part, other content later on: hashed first, then read again and sent.
  World w(12, {}, {});
  w.add(file_of(40 * MiB, 20, 0, true));
  SimFile b = file_of(40 * MiB, 21, 60000, true);
  b.first_part_content = 20;
  w.add(b);
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[1].done);
  EXPECT_FALSE(w.files()[1].deduplicated);
  EXPECT_EQ(w.put_calls, 10u);
}

TEST(EngineScenario, TwentyFilesShareTheLimits) {
  EngineConfig cfg;
  World w(9, cfg, {});
  for (int i = 0; i < 20; ++i) w.add(file_of(20 * MiB, 100 + i));
  ASSERT_TRUE(w.run()) << w.failure();
  for (const auto& f : w.files()) EXPECT_TRUE(f.done);
  EXPECT_EQ(w.max_puts_seen, cfg.max_in_flight);
  EXPECT_LE(w.max_held_seen, cfg.max_in_flight + cfg.hash_ahead);
}

TEST(EngineScenario, PauseStopsTrafficAndResumeFinishes) {
  World w(10, {}, {});
  w.add(file_of(100 * MiB, 16));
  std::uint32_t puts_at_pause = 0;
  w.at(300, [&] {
    w.engine().pause(0, w.now());
    auto c = w.engine().counters();
    EXPECT_EQ(c.puts_in_flight, 0u);
    EXPECT_EQ(c.parts_held, 0u);
  });
  w.at(301, [&] { puts_at_pause = w.put_calls; });
  w.at(5000, [&] { EXPECT_EQ(w.put_calls, puts_at_pause) << "PUTs while paused"; });
  w.at(5001, [&] { w.engine().resume(0, w.now()); });
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done);
}

TEST(EngineScenario, ExpiredUrlsAreSignedAgain) {
  Faults f;
  f.url_ttl_ms = 16000;  // barely above the refresh margin: parts wait, URLs lapse
  EngineConfig cfg;
  cfg.max_in_flight = 1;
  World w(11, cfg, f);
  w.add(file_of(300 * MiB, 17));
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done) << w.files()[0].code;
}

SimFile resumed(std::uint64_t size, std::uint64_t content, std::uint64_t was, double fraction) {
  SimFile f = file_of(size, content);
  f.resume = true;
  f.resume_content = was;
  f.resume_fraction = fraction;
  return f;
}

TEST(EngineScenario, AResumedUploadSendsOnlyWhatStorageLacks) {
  World w(12, {}, {});
  w.add(resumed(200 * MiB, 18, 18, 0.5));  // 25 parts, about half stored
  ASSERT_TRUE(w.run()) << w.failure();
  ASSERT_TRUE(w.files()[0].done) << w.files()[0].code;
  const auto s = w.engine().stats(w.files()[0].id);
  EXPECT_TRUE(s.resumed);
  EXPECT_GT(s.parts_reused, 5u);
  EXPECT_EQ(w.put_calls, s.part_count - s.parts_reused);
  EXPECT_EQ(w.bytes_sent + s.bytes_reused, 200 * MiB);
  EXPECT_EQ(w.create_calls, 0u);
  EXPECT_EQ(w.list_calls, 1u);
  EXPECT_EQ(s.sha256, World::content_sha(18));
}

TEST(EngineScenario, AnotherFileWithTheSameSizeIsRefusedAndTouchesNothing) {
  World w(13, {}, {});
  w.add(resumed(100 * MiB, 19, 20, 0.6));
  ASSERT_TRUE(w.run()) << w.failure();  // the run checks the upload was left exactly as it was
  EXPECT_TRUE(w.files()[0].failed);
  EXPECT_EQ(w.files()[0].code, "file_mismatch");
  EXPECT_EQ(w.put_calls, 0u);
  EXPECT_EQ(w.sign_calls, 0u);
  EXPECT_EQ(w.open_uploads(), 0u);  // the refused file's upload is not counted as left behind
}

TEST(EngineScenario, WithoutTheRecordedFirstPartHashTheStoredPartsCrcRefuses) {
  // The record lost part 0's SHA-256 (a crash): part 0 stored and claimed, its CRC differs -> refused.
  for (std::uint64_t seed = 14; seed < 40; ++seed) {
    World w(seed, {}, {});
    SimFile f = resumed(50 * MiB, 21, 22, 1.0);
    f.host_knows_first = false;
    w.add(f);
    ASSERT_TRUE(w.run()) << w.failure();
    if (w.files()[0].failed) {
      EXPECT_EQ(w.files()[0].code, "file_mismatch");
      EXPECT_EQ(w.put_calls, 0u);
      return;
    }
  }
  FAIL() << "no seed had part 0 claimed";
}

TEST(EngineScenario, AFileEditedAfterItsFirstPartSendsTheChangedPartsAgain) {
  World w(15, {}, {});
  SimFile f = resumed(100 * MiB, 23, 24, 1.0);  // every part stored, of content 24
  f.first_part_content = 24;                    // part 0 is the same, the rest differs
  w.add(f);
  ASSERT_TRUE(w.run()) << w.failure();  // complete checks every stored part is this file's
  ASSERT_TRUE(w.files()[0].done) << w.files()[0].code;
  const auto s = w.engine().stats(w.files()[0].id);
  EXPECT_LE(s.parts_reused, 1u);
  EXPECT_EQ(w.put_calls, s.part_count - s.parts_reused);
}

TEST(EngineScenario, AResumedUploadThatIsGoneStartsOver) {
  World w(16, {}, {});
  SimFile f = resumed(60 * MiB, 25, 25, 0.5);
  f.resume_gone = true;
  w.add(f);
  ASSERT_TRUE(w.run()) << w.failure();
  ASSERT_TRUE(w.files()[0].done) << w.files()[0].code;
  EXPECT_EQ(w.create_calls, 1u);
  EXPECT_FALSE(w.engine().stats(w.files()[0].id).resumed);
  EXPECT_EQ(w.bytes_sent, 60 * MiB);
}

TEST(EngineScenario, UrlsShorterLivedThanTheRefreshMarginAreStillUsed) {
  // A route whose URLs live 4 s (under the 15 s refresh margin): sign, send, sign again when needed;
  // before the fix every URL looked due for refresh the moment it arrived and was re-signed forever.
  Faults f;
  f.url_ttl_ms = 4000;
  World w(17, {}, f);
  w.add(file_of(40 * MiB, 26));
  w.add(file_of(3 * MiB, 27));
  ASSERT_TRUE(w.run(600000)) << w.failure();
  EXPECT_TRUE(w.files()[0].done) << w.files()[0].code;
  EXPECT_TRUE(w.files()[1].done) << w.files()[1].code;
  EXPECT_LT(w.sign_calls, 20u);
}

TEST(EngineScenario, AResumeTheServerRefusesLeavesTheUploadAlone) {
  // Signed out since: /multipart/resume answers 403. The upload must survive (log in, resume again).
  World w(18, {}, {});
  SimFile f = resumed(60 * MiB, 28, 28, 0.5);
  f.refuse_list = true;
  w.add(f);
  ASSERT_TRUE(w.run()) << w.failure();  // checks the upload is exactly as it was
  EXPECT_TRUE(w.files()[0].failed);
  EXPECT_EQ(w.abort_calls, 0u);
  EXPECT_EQ(w.put_calls, 0u);
}

TEST(EngineScenario, WithResumeStateAFailedUploadIsKeptNotAborted) {
  // Storage unreachable for longer than the retry budget: the file fails, but with abort_failed_uploads
  // off (the host keeps resume state) the upload stays on storage to be resumed. (A cancel always
  // aborts: the seeded runs check that with the setting on and off.)
  for (bool keep : {false, true}) {
    EngineConfig cfg;
    cfg.abort_failed_uploads = !keep;
    Faults f;
    f.outage_from = 50;
    f.outage_to = 70000;  // the file runs out of attempts at ~58 s; aborts get through after 70 s
    World w(19, cfg, f);
    w.add(file_of(60 * MiB, 29));
    ASSERT_TRUE(w.run()) << w.failure();
    EXPECT_TRUE(w.files()[0].failed);
    EXPECT_EQ(w.files()[0].code, "retry_exhausted");
    EXPECT_EQ(w.upload_open(0), keep) << "keep=" << keep;
  }
}

TEST(EngineScenario, UrlsExpiredOnArrivalEndInUrlExpired) {
  Faults f;
  f.url_ttl_ms = 0;  // every URL is expired when it arrives (a clock far off)
  World w(20, {}, f);
  w.add(file_of(20 * MiB, 31));
  w.add(file_of(1 * MiB, 32));
  ASSERT_TRUE(w.run(600000)) << w.failure();
  EXPECT_EQ(w.files()[0].code, "url_expired");
  EXPECT_EQ(w.files()[1].code, "url_expired");
}

TEST(EngineScenario, ADedupeHitWhilePartsAreOnTheWireIsDoneNotFailed) {
  // Two tabs upload the same content: the second one's dedupe lookup finds the first's object and
  // the server aborts its upload while some of its parts are still being sent (they answer 404
  // NoSuchUpload). The answer is the hit, not a failure.
  Faults f;
  f.dedupe_ms = 1500;
  EngineConfig cfg;
  cfg.hash_ahead = 8;
  World w(21, cfg, f);
  SimFile g = file_of(200 * MiB, 33, 0, true);
  g.stored_elsewhere_at = 400;  // the other tab's copy is stored after this one's probe
  w.add(g);
  ASSERT_TRUE(w.run()) << w.failure();
  EXPECT_TRUE(w.files()[0].done) << w.files()[0].code;
  EXPECT_TRUE(w.files()[0].deduplicated);
}

TEST(EngineSimulation, TenThousandSeededRuns) {
  const char* only = std::getenv("VS3_SIM_SEED");
  if (only) {
    const std::uint64_t seed = std::strtoull(only, nullptr, 10);
    EXPECT_EQ(random_run(seed), "") << "seed " << seed;
    return;
  }
  std::uint32_t failures = 0, done = 0, total = 0;
  for (std::uint64_t seed = 1; seed <= 10000; ++seed) {
    const std::string err = random_run(seed, &done, &total);
    if (!err.empty()) {
      ADD_FAILURE() << "seed " << seed << ": " << err << "  (replay: VS3_SIM_SEED=" << seed << ")";
      if (++failures >= 10) break;
    }
  }
  std::printf("simulation: 10000 runs, %u of %u files stored (the rest cancelled, refused or out of retries)\n", done,
              total);
  // Faults are transient: nearly every file that was not cancelled must make it.
  EXPECT_GT(done, total * 8 / 10) << done << " of " << total << " files stored";
}
