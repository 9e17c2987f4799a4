#include "vs3/sha256.hpp"

#include <gtest/gtest.h>

#include "feed_irregular.hpp"

#include <random>
#include <string>
#include <vector>

using vs3::Sha256;

namespace {
std::string hex_of(const std::string& s) {
  const auto d = Sha256::hash(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  return vs3::to_hex(d.data(), d.size());
}
}  // namespace

// NIST FIPS 180-4 / CAVP example vectors.
TEST(Sha256, NistVectors) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmno"
                   "pqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, MillionA) {
  const std::string a(1000000, 'a');
  EXPECT_EQ(hex_of(a), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same million bytes fed one at a time.
  Sha256 s;
  for (char c : a) s.update(reinterpret_cast<const std::uint8_t*>(&c), 1);
  EXPECT_EQ(s.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(s.bytes_hashed(), 1000000u);
}

// Padding edge cases: lengths around the 55/56/64-byte block boundaries.
TEST(Sha256, OneShotEqualsStreamingEqualsByteAtATime) {
  std::mt19937 rng(42);
  for (std::size_t len : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 127u, 128u, 129u, 1000u, 4096u, 100003u}) {
    std::vector<std::uint8_t> data(len);
    for (auto& b : data) b = std::uint8_t(rng());
    const auto one = Sha256::hash(data.data(), data.size());

    Sha256 bytewise;
    for (auto b : data) bytewise.update(&b, 1);
    EXPECT_EQ(bytewise.digest(), one) << "len " << len;

    // Irregular chunk sizes, so chunks straddle block boundaries in every way.
    Sha256 chunked;
    feed_irregular(chunked, data, 1, 3, 97);
    EXPECT_EQ(chunked.digest(), one) << "len " << len;
  }
}

TEST(Sha256, DigestDoesNotDisturbStateAndResetWorks) {
  Sha256 s;
  s.update(reinterpret_cast<const std::uint8_t*>("ab"), 2);
  const auto mid = s.hex_digest();
  EXPECT_EQ(mid, s.hex_digest());
  s.update(reinterpret_cast<const std::uint8_t*>("c"), 1);
  EXPECT_EQ(s.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  s.reset();
  EXPECT_EQ(s.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.bytes_hashed(), 0u);
}
