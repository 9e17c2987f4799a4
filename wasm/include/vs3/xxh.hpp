// Streaming XXH3-128 fingerprints: a thin RAII wrapper over the xxHash library (Debian libxxhash-dev header).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vs3 {

struct Hash128 {
  std::uint64_t high;
  std::uint64_t low;
  // Canonical (big-endian) hex, as printed by `xxhsum -H2`.
  std::string hex() const;
  bool operator==(const Hash128& o) const { return high == o.high && low == o.low; }
};

class Xxh3_128 {
 public:
  explicit Xxh3_128(std::uint64_t seed = 0);
  ~Xxh3_128();
  Xxh3_128(const Xxh3_128&) = delete;
  Xxh3_128& operator=(const Xxh3_128&) = delete;

  void reset();
  void update(const std::uint8_t* data, std::size_t len);
  Hash128 digest() const;

  static Hash128 hash(const std::uint8_t* data, std::size_t len, std::uint64_t seed = 0);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t seed_;
};

}  // namespace vs3
