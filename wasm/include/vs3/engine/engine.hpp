// The upload engine: a sans-I/O state machine that decides, for every file in the queue, what to read,
// hash, presign, send, complete, retry or abort — and when. It never reads a clock, a file or the
// network: the host (js/src/client/engine-host.ts, or the GoogleTest simulation) feeds it events with
// the current time and executes the actions it returns. Decisions are deterministic for a given seed.
//
//   host                          engine
//   add_file(size, ...)    --->   plan parts (part_planner), queue the file
//                          <---   Read{file, part, offset, size}        read + hash part (whole-file
//   part_read(crc, sha?)   --->                                         SHA-256 continues in order)
//                          <---   Create / Presign / Sign{part, count} / Send{part} / Complete / Dedupe / Abort
//   created / presigned / signed / progress / sent / completed / dedupe_answer / aborted / failed --->
//                          <---   Cancel{req}   Release{file, part}   Wake{at}   Changed{file}   Done / Failed
//
// Resuming (after a reload or a crash; the host keeps the state, see js/src/client/resume.ts):
//   add_resumed(size, part_size) --->  (the upload exists on storage: no Create)
//                          <---   List{file}                            which parts does storage hold?
//   claim_part(part, crc)... listed(exists) --->                        (not exists: start over, Create)
//                          <---   Read{part 0}, Read{part 1}...         every part is read and hashed
//   part_read / mismatch   --->   part 0 not the file the upload began with: file_mismatch, storage
//                                 untouched; a claimed part whose CRC matches is stored, not sent
//
// Limits the engine keeps (checked by the simulation in tests/cpp/engine_sim_test.cpp):
//   part PUTs in flight <= max_in_flight; control requests in flight <= max_control_in_flight;
//   parts whose bytes the host holds <= max_in_flight + hash_ahead (memory = part size x that);
//   a file is Done only after storage confirmed completion; a cancelled multipart upload is aborted
//   before the file is reported, a failed one too unless abort_failed_uploads is off (resume state
//   kept), and a resumed upload whose resume was refused is left as it was.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "vs3/part_planner.hpp"
#include "vs3/retry.hpp"

namespace vs3::engine {

using FileId = std::uint32_t;  // 1, 2, ...; 0 means "all files" in pause/resume/cancel
using RequestId = std::uint32_t;

struct EngineConfig {
  // Part PUTs in flight across all files. 4: the measured sweet spot on loopback RGW and what
  // @aws-sdk/lib-storage defaults to (queueSize 4); browsers allow 6 per HTTP/1.1 host, leaving room
  // for the control requests below.
  std::uint32_t max_in_flight = 4;
  // Create / presign / sign / complete / dedupe / abort requests in flight (small JSON requests).
  std::uint32_t max_control_in_flight = 2;
  // Files worked on at once (the rest wait, FIFO by priority). Bounds open multipart uploads.
  std::uint32_t max_active_files = 4;
  // Parts read and hashed beyond those on the wire, across all files. Memory held by the host is at
  // most part_size x (max_in_flight + hash_ahead).
  std::uint32_t hash_ahead = 4;
  // Parts signed per presign call, at most (and never more than are hashed: the CRC is signed in).
  std::uint32_t sign_batch = 8;
  std::uint64_t preferred_part_size = 0;  // 0: the planner's default (8 MiB, grown to fit 10,000 parts)
  // A request with no progress for this long is cancelled and retried.
  double stall_timeout_ms = 30000;
  // A complete gets longer: storage may take minutes to assemble a large object (S3 documents
  // "several minutes"; the local driver copies and hashes every byte). Retrying early only makes
  // storage start over (measured: a 6 GiB local completion retried every 30 s never finished).
  double complete_timeout_ms = 600000;
  // Give up on a request after max_attempts or after failing for this long, whichever comes first.
  // 120 s rides out a 30 s storage outage with room for backoff (full jitter, capped at max_delay).
  double retry_time_budget_ms = 120000;
  RetryConfig retry{20, 500, 10000};
  // A signed URL closer than this to its expiry is signed again before it is used.
  double url_refresh_margin_ms = 15000;
  // A part whose URL keeps expiring is failed after this many re-signs.
  std::uint32_t max_resigns = 3;
  // A failed multipart upload is aborted on storage (nothing left behind). Hosts that keep resume
  // state set false: the upload stays to be resumed later (a cancelled one is always aborted).
  bool abort_failed_uploads = true;
  std::uint64_t seed = 1;
};

enum class ActionType {
  kRead,      // file, part, offset, size: read the bytes, hash them, call part_read (re-read if reread)
  kCreate,    // file, req: create the multipart upload
  kPresign,   // file, req: presign the single PUT (the whole-file SHA-256 is known)
  kSign,      // file, req, part, count: sign URLs for parts [part, part + count)
  kSend,      // file, req, part, offset, size: PUT the part's bytes to its signed URL
  kComplete,  // file, req: complete the upload
  kDedupe,    // file, req: ask the server whether this SHA-256 is stored already
  kProbe,     // file, req: dedupe routes, before the first send: is an object of this size stored
              // whose first part has this CRC32C? (then hash first, send nothing if it is the same)
  kAbort,     // file, req: abort the multipart upload on storage
  kList,      // file, req: resumed upload: list the parts storage holds (the host also renews its
              // token); answer with claim_part() for each, then listed()
  kCancel,    // req: abort this in-flight request; its answer, if any, will be ignored
  kRelease,   // file, part (or part == kAllParts): the bytes are no longer needed
  kWake,      // at_ms: call timer() at (or after) this time
  kChanged,   // file: state or progress changed (the host re-reads stats())
  kDone,      // file (deduplicated): stored and confirmed
  kFailed,    // file, code: failed (or cancelled: code "cancelled")
};

constexpr std::uint32_t kAllParts = 0xFFFFFFFFu;

struct Action {
  explicit Action(ActionType t = ActionType::kChanged) : type(t) {}
  ActionType type;
  FileId file = 0;
  RequestId req = 0;
  std::uint32_t part = 0;  // 0-based; part number on the wire is part + 1
  std::uint32_t count = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  double at_ms = 0;
  bool reread = false;        // kRead: the part was hashed before; only verify its CRC again
  bool deduplicated = false;  // kDone
  std::string code;           // kFailed: stable error code
};

enum class FileState { kQueued, kUploading, kPaused, kCompleting, kDone, kFailed, kCancelled };
const char* to_string(FileState s);

struct FileStats {
  FileState state = FileState::kQueued;
  std::uint64_t size = 0;
  std::uint64_t part_size = 0;
  std::uint32_t part_count = 0;
  bool multipart = false;
  std::uint64_t bytes_hashed = 0;
  std::uint64_t bytes_stored = 0;     // parts storage acknowledged
  std::uint64_t bytes_in_flight = 0;  // progress of parts on the wire
  std::uint32_t parts_stored = 0;
  std::uint32_t retries = 0;  // failed attempts so far
  bool deduplicated = false;
  bool resumed = false;            // added with add_resumed (and the upload still existed)
  std::uint32_t parts_reused = 0;  // resumed: parts storage held with the same bytes (not sent)
  std::uint64_t bytes_reused = 0;
  std::string sha256;  // once hashed
  std::string error;   // kFailed / kCancelled: the code
};

struct AddResult {
  bool ok = false;
  FileId file = 0;
  std::string error_code;
  std::string error_message;
};

struct Counters {
  std::uint32_t puts_in_flight = 0;
  std::uint32_t control_in_flight = 0;
  std::uint32_t parts_held = 0;  // parts whose bytes the host holds or is reading
  std::uint32_t active_files = 0;
};

class Engine {
 public:
  explicit Engine(EngineConfig cfg = {});

  // --- events (now_ms: the host's monotonic clock) ---
  // group: files deduplicate only against files of the same group (the host maps route -> group).
  AddResult add_file(std::uint64_t size, std::int32_t priority, std::uint32_t group, double now_ms);
  // A multipart upload of this file begun earlier (another page load, another process): storage
  // holds an upload with parts of part_size (every part is sent at that size: R2 refuses mixed
  // sizes). The engine lists its parts first, then reads and hashes the file from the start as
  // usual, sending only the parts storage lacks or holds with other bytes.
  AddResult add_resumed(std::uint64_t size, std::uint64_t part_size, std::int32_t priority, std::uint32_t group,
                        double now_ms);
  // List answer, one call per part storage holds at its planned size whose bytes had this CRC32C when
  // they were sent (the host's record, or storage's own checksum). Then listed().
  void claim_part(FileId f, std::uint32_t part, std::uint32_t crc32c);
  // exists false: the upload is gone (completed, aborted, expired): start over with a new one.
  void listed(RequestId r, bool exists, bool dedupe_route, double now_ms);
  // Instead of part_read: the host found the part is not what the resumed upload began with (part 0's
  // SHA-256 differs from the one recorded). The file fails with file_mismatch and storage is left
  // alone: nothing was sent, the upload stays for the right file.
  void mismatch(FileId f, std::uint32_t part, double now_ms);
  void part_read(FileId f, std::uint32_t part, std::uint32_t crc32c, const std::string& sha256_if_last, double now_ms);
  void read_failed(FileId f, std::uint32_t part, double now_ms);
  void created(RequestId r, bool dedupe_route, double now_ms);                          // multipart upload created
  void presigned(RequestId r, double expires_at_ms, bool dedupe_route, double now_ms);  // single PUT URL
  void signed_parts(RequestId r, double expires_at_ms, double now_ms);
  void progress(RequestId r, std::uint64_t bytes_sent, double now_ms);
  void sent(RequestId r, double now_ms);
  void completed(RequestId r, double now_ms);
  void dedupe_answer(RequestId r, bool found, double now_ms);  // also: presign answered "existing"
  void probe_answer(RequestId r, bool candidate, double now_ms);
  void aborted(RequestId r, double now_ms);
  // status 0: no response (reset, DNS, unreadable 2xx). code: S3 <Code> or the handler's error code.
  // retry_after_ms < 0: none. expired: the answer says the URL expired.
  void failed(RequestId r, int status, const std::string& code, double retry_after_ms, bool expired, double now_ms);
  void timer(double now_ms);
  void pause(FileId f, double now_ms);  // f == 0: the whole queue
  void resume(FileId f, double now_ms);
  void cancel(FileId f, double now_ms);
  void set_online(bool online, double now_ms);
  void set_priority(FileId f, std::int32_t priority, double now_ms);

  // --- results ---
  std::vector<Action> take_actions();
  FileStats stats(FileId f) const;
  Counters counters() const;
  bool idle() const;                  // no file left that is not done, failed or cancelled
  std::string debug(FileId f) const;  // one line of internal state, for failing simulations
  const EngineConfig& config() const { return cfg_; }

 private:
  enum class Data : std::uint8_t { kNone, kReading, kHeld };
  enum class Ctl : std::uint8_t { kNone, kCreate, kPresign, kSign, kComplete, kDedupe, kAbort, kProbe, kList };

  // One request's failures in a row: attempts, when the streak began, when to try again.
  struct RetryState {
    std::uint32_t attempts = 0;
    double streak_start = 0;
    double retry_at = 0;
  };

  struct Part {
    Data data = Data::kNone;
    bool hashed = false;
    std::uint32_t crc = 0;
    bool signing = false;
    double expires_at = -1;  // < 0: not signed
    double margin = 0;       // sign again this long before expires_at (set_expiry)
    RequestId put = 0;       // in flight
    bool stored = false;
    std::uint64_t sent_bytes = 0;
    double last_progress = 0;
    RetryState retry;
    std::uint32_t resigns = 0;
    bool claimed = false;  // resumed: storage holds this part; verified when it is read
    std::uint32_t claim_crc = 0;
  };

  struct File {
    FileId id = 0;
    std::uint64_t seq = 0;
    std::int32_t priority = 0;
    std::uint32_t group = 0;
    PartPlan plan;
    std::vector<Part> parts;
    FileState state = FileState::kQueued;
    bool paused = false;
    bool cancel_requested = false;
    bool created = false;    // multipart upload exists on storage
    bool presigned = false;  // single: URL known
    int dedupe = -1;         // -1 unknown, 0 route does not dedupe, 1 it does
    bool dedupe_checked = false;
    int probe = -1;          // -1 not asked, 0 no candidate, 1 a stored object may be this file
    bool hash_only = false;  // candidate: hash the whole file without sending, then ask
    FileId waiting_for = 0;  // same content in flight: wait for that file
    bool twin = false;       // had such a twin: send nothing more until the dedupe answer
    std::uint32_t next_read = 0;
    bool reading = false;
    std::string sha256;
    std::uint64_t bytes_hashed = 0;
    // the file's one control request
    Ctl ctl = Ctl::kNone;
    RequestId ctl_req = 0;
    double ctl_started = 0;
    std::uint32_t ctl_first = 0, ctl_count = 0;
    RetryState ctl_retry;
    std::string fail_code;  // set when failing; reported after the abort
    bool aborting = false;
    bool deduplicated = false;
    std::uint32_t retries = 0;
    bool resumed = false;      // add_resumed: the upload existed before this engine
    bool listed = false;       // resumed: storage's parts are known (claims set)
    std::uint32_t reused = 0;  // resumed parts kept
    std::uint64_t reused_bytes = 0;
  };

  struct Req {
    FileId file;
    bool put;
    std::uint32_t part;
  };

  File* file(FileId f);
  const File* file(FileId f) const;
  File* file_of(RequestId r, bool put);
  bool terminal(const File& f) const;
  bool active(const File& f) const;
  void pump(double now);
  void schedule_wake(double now);
  void start_control(File& f, Ctl kind, ActionType t, double now, std::uint32_t first = 0, std::uint32_t count = 0);
  void end_control(File& f);
  double ctl_timeout(const File& f) const;
  bool control_failed(File& f, int status, const std::string& code, double retry_after, double now);
  void part_failed(File& f, std::uint32_t i, int status, const std::string& code, double retry_after, bool expired,
                   double now);
  // Records a failed attempt. true: give up (reason set); false: retry at st.retry_at (offline
  // failures of the network kind are parked, not counted).
  bool record_failure(RetryState& st, File& f, int status, const std::string& code, double retry_after, double now,
                      std::string* reason);
  void stop_transfers(File& f, bool release_data);
  void release(File& f, std::uint32_t i);
  void fail_file(File& f, const std::string& code, double now);
  void fail_read(FileId id, std::uint32_t part, const std::string& code, double now);
  void finish(File& f, FileState st, double now);
  void changed(File& f);
  bool waits_for_twin(File& f);
  void wake_twins(const File& done);
  bool part_ready_to_send(const Part& p, double now) const;
  bool set_expiry(Part& p, double expires_at, double now) const;  // false: expired on arrival too often
  AddResult add(std::uint64_t size, std::uint64_t part_size, std::int32_t priority, std::uint32_t group, double now);

  EngineConfig cfg_;
  RetryPolicy policy_;
  std::map<FileId, File> files_;
  std::map<RequestId, Req> reqs_;
  std::vector<Action> out_;
  FileId next_file_ = 1;
  RequestId next_req_ = 1;
  std::uint64_t seq_ = 0;
  bool online_ = true;
  bool paused_all_ = false;
  std::uint32_t puts_ = 0, controls_ = 0, held_ = 0;
  std::size_t rr_send_ = 0, rr_read_ = 0;
  double wake_at_ = -1;
  double now_ = 0;
};

}  // namespace vs3::engine
