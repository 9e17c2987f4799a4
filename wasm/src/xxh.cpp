#include "vs3/xxh.hpp"

#include <new>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "vs3/sha256.hpp"  // to_hex

namespace vs3 {

struct Xxh3_128::State {
  XXH3_state_t* st;
};

std::string Hash128::hex() const {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH128_hash_t{low, high});
  return to_hex(c.digest, sizeof c.digest);
}

Xxh3_128::Xxh3_128(std::uint64_t seed) : state_(new State{XXH3_createState()}), seed_(seed) {
  if (!state_->st) throw std::bad_alloc();
  reset();
}

Xxh3_128::~Xxh3_128() {
  XXH3_freeState(state_->st);
}

void Xxh3_128::reset() {
  XXH3_128bits_reset_withSeed(state_->st, seed_);
}

void Xxh3_128::update(const std::uint8_t* data, std::size_t len) {
  XXH3_128bits_update(state_->st, data, len);
}

Hash128 Xxh3_128::digest() const {
  const XXH128_hash_t h = XXH3_128bits_digest(state_->st);
  return Hash128{h.high64, h.low64};
}

Hash128 Xxh3_128::hash(const std::uint8_t* data, std::size_t len, std::uint64_t seed) {
  const XXH128_hash_t h = XXH3_128bits_withSeed(data, len, seed);
  return Hash128{h.high64, h.low64};
}

}  // namespace vs3
