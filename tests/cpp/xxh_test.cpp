#include "vs3/xxh.hpp"

#include <gtest/gtest.h>

#include "feed_irregular.hpp"

#include <random>
#include <vector>

using vs3::Xxh3_128;

TEST(Xxh3_128, EmptyInputKnownValue) {
  // XXH3_128bits("") with seed 0, canonical form (xxhsum -H2 of an empty file).
  EXPECT_EQ(Xxh3_128::hash(nullptr, 0).hex(), "99aa06d3014798d86001c324468d497f");
  Xxh3_128 h;
  EXPECT_EQ(h.digest().hex(), "99aa06d3014798d86001c324468d497f");
}

TEST(Xxh3_128, StreamingEqualsOneShot) {
  std::mt19937 rng(7);
  for (std::size_t len : {1u, 16u, 17u, 128u, 129u, 240u, 241u, 1024u, 65536u, 1000003u}) {
    std::vector<std::uint8_t> data(len);
    for (auto& b : data) b = std::uint8_t(rng());
    const auto one = Xxh3_128::hash(data.data(), len);
    Xxh3_128 s;
    feed_irregular(s, data, 7, 5, 4099);
    EXPECT_EQ(s.digest(), one) << "len " << len;
    EXPECT_EQ(s.digest().hex().size(), 32u);
  }
}

TEST(Xxh3_128, DifferentInputsAndSeedsDiffer) {
  const std::uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 4};
  EXPECT_FALSE(Xxh3_128::hash(a, 3) == Xxh3_128::hash(b, 3));
  EXPECT_FALSE(Xxh3_128::hash(a, 3, 0) == Xxh3_128::hash(a, 3, 1));
  Xxh3_128 s;
  s.update(a, 3);
  s.reset();
  EXPECT_EQ(s.digest().hex(), "99aa06d3014798d86001c324468d497f");
}
