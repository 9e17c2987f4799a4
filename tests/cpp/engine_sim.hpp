// A simulated world for the upload engine: a clock, a presign server, S3-like storage with multipart
// uploads, and a network that resets, stalls, loses answers, returns 5xx / 403-expired and goes
// offline — all driven by one seed. It executes the engine's actions as a host would and checks the
// engine's invariants as it goes. Used by engine_sim_test.cpp (10,000 seeded runs) and the scenarios.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "vs3/engine/engine.hpp"
#include "vs3/retry.hpp"

namespace vs3::sim {

using engine::Action;
using engine::ActionType;
using engine::Engine;
using engine::EngineConfig;
using engine::FileId;
using engine::RequestId;

struct Faults {
  double reset = 0;          // connection reset mid-request
  double server_error = 0;   // 500 / 503 (+ Retry-After sometimes)
  double stall = 0;          // the request never answers (the engine must time it out)
  double lost = 0;           // the request succeeds but its answer is lost (status 0)
  double refuse_create = 0;  // a non-retryable 4xx from the handler at create
  double url_ttl_ms = 600000;
  double complete_ms = 0;    // extra time storage takes to complete (assembling a large object)
  double dedupe_ms = 0;      // extra time a dedupe lookup takes (the hit aborts the upload at its start)
  bool user_events = false;  // pauses, resumes, cancels
  bool offline_spells = false;
  double outage_from = -1, outage_to = -1;  // storage answers nothing (connection refused) in between
};

struct SimFile {
  std::uint64_t size = 0;
  std::uint32_t group = 1;
  std::uint64_t content = 0;             // files with equal content hash equal
  std::uint64_t first_part_content = 0;  // non-zero: the first part is that content's (probe look-alike)
  double add_at = 0;
  bool dedupe_route = false;
  // Resumed after a reload: an upload of `resume_content` began earlier and storage holds about
  // resume_fraction of its parts (8 MiB each). resume_content == content: the same file picked again;
  // otherwise another file (refused if part 0 differs; parts that differ elsewhere are sent again).
  bool resume = false;
  std::uint64_t resume_content = 0;
  double resume_fraction = 0.5;
  bool resume_gone = false;  // the upload was aborted meanwhile (a lifecycle rule): start over
  bool host_knows_first = true;
  bool refuse_list = false;         // the handler refuses the resume (403 forbidden: signed out)
  double stored_elsewhere_at = -1;  // >= 0: another client (tab) stores this content then (dedupe hit)  // false: the
                                    // record lacks part 0's SHA-256 (the engine's CRC claims decide)
  FileId id = 0;
  // what the host reported
  bool done = false, failed = false, deduplicated = false;
  std::string code;
};

class World {
 public:
  World(std::uint64_t seed, EngineConfig cfg, Faults faults);

  void add(SimFile f) { files_.push_back(f); }
  // Runs until no event is left. Returns false (with failure()) if an invariant broke.
  bool run(double max_time_ms = 4 * 3600 * 1000.0);
  const std::string& failure() const { return failure_; }
  const std::vector<SimFile>& files() const { return files_; }
  Engine& engine() { return engine_; }
  double now() const { return now_; }

  // statistics for assertions
  std::uint32_t sign_calls = 0, presign_calls = 0, create_calls = 0, put_calls = 0, put_bytes = 0, list_calls = 0,
                abort_calls = 0;
  std::uint64_t bytes_sent = 0;  // bytes of PUTs that storage took
  std::uint32_t max_puts_seen = 0, max_held_seen = 0, max_ctl_seen = 0;
  std::uint32_t open_uploads() const;
  bool upload_open(std::size_t file_index) const;  // the file's latest multipart upload is still open

  static std::uint32_t part_crc(std::uint64_t content, std::uint32_t part);
  static std::string content_sha(std::uint64_t content);
  std::uint32_t crc_of(std::size_t file_index, std::uint32_t part) const;

  // user events the scenarios schedule
  void at(double t, std::function<void()> fn);

 private:
  struct Upload {
    std::size_t file;
    std::map<std::uint32_t, std::pair<std::uint64_t, std::uint32_t>> parts;  // part -> size, crc
    bool open = true;
    bool resumed = false;       // begun before the engine (SimFile::resume)
    bool created_here = false;  // by this engine's create
  };
  struct Object {
    std::uint64_t size;
    std::string sha;
  };
  struct Live {  // what the host knows about a request in flight
    std::size_t file;
    ActionType type;
    std::uint32_t part, count;
  };

  void fail(const std::string& why);
  void execute(const Action& a);
  void drain();
  bool roll(double p) { return rng_.uniform01() < p; }
  double latency(double lo, double hi) { return lo + (hi - lo) * rng_.uniform01(); }
  void answer(RequestId r, double t, std::function<void()> fn);
  bool storage_down(double t) const { return f_.outage_from >= 0 && t >= f_.outage_from && t < f_.outage_to; }
  bool network_fault(RequestId r, double t, bool may_stall, bool may_lose, std::function<void(bool)> on_success,
                     std::function<void()> after_loss, double extra_ms = 0);
  std::size_t index_of(FileId id) const;

  Engine engine_;
  EngineConfig cfg_;
  Faults f_;
  SplitMix64 rng_;
  double now_ = 0;
  std::uint64_t seq_ = 0;
  std::multimap<std::pair<double, std::uint64_t>, std::function<void()>> events_;
  std::vector<SimFile> files_;
  std::map<RequestId, Live> live_;
  std::set<RequestId> cancelled_;
  std::map<std::pair<std::size_t, std::uint32_t>, int> held_;  // (file, part) -> bytes held by the host
  std::uint32_t held_count_ = 0;
  std::map<std::size_t, std::uint64_t> upload_of_;  // file -> multipart upload id
  std::map<std::uint64_t, Upload> uploads_;
  std::map<std::size_t, Object> objects_;  // file -> stored object
  std::map<std::pair<std::uint32_t, std::string>, std::size_t> dedupe_index_;
  std::set<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t>> probe_index_;  // group, size, first CRC
  std::map<std::size_t, std::uint32_t> puts_sent_;
  std::map<std::pair<std::size_t, std::uint32_t>, std::pair<double, std::uint32_t>> urls_;  // expiry, crc
  std::map<std::size_t, double> single_url_;                                                // single PUT URL expiry
  std::map<std::size_t, bool> single_put_;                                                  // the single PUT landed
  std::map<std::size_t, std::uint32_t> crc_seen_;
  std::set<std::pair<std::size_t, std::uint32_t>> claims_;  // resumed: parts the host's record knows
  std::set<std::size_t> verified_;                          // resumed: part 0 read and accepted
  std::map<std::uint64_t, std::map<std::uint32_t, std::pair<std::uint64_t, std::uint32_t>>>
      resumed_parts_;  // upload -> parts as they were
  void begin_resumed(std::size_t fi);
  bool online_ = true;
  std::string failure_;
  std::uint64_t next_upload_ = 1;
};

}  // namespace vs3::sim
