#include "vs3/crc32c.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "feed_irregular.hpp"

using vs3::Crc32c;

static std::uint32_t crc_of(const char* s) {
  return Crc32c::hash(reinterpret_cast<const std::uint8_t*>(s), std::strlen(s));
}

// Check values from RFC 3720 (iSCSI) appendix B.4 and the CRC catalogue.
TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc_of(""), 0x00000000u);
  EXPECT_EQ(crc_of("123456789"), 0xE3069283u);
  std::vector<std::uint8_t> zeros(32, 0), ones(32, 0xFF), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = std::uint8_t(i);
    dec[i] = std::uint8_t(31 - i);
  }
  EXPECT_EQ(Crc32c::hash(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c::hash(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c::hash(inc.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(Crc32c::hash(dec.data(), 32), 0x113FDB5Cu);
}

TEST(Crc32c, OneShotEqualsStreamingEqualsByteAtATime) {
  std::vector<std::uint8_t> data(100003);
  std::uint32_t x = 1;
  for (auto& b : data) b = std::uint8_t((x = x * 1103515245u + 12345u) >> 16);
  const std::uint32_t one = Crc32c::hash(data.data(), data.size());
  Crc32c a, b;
  feed_irregular(a, data, 1, 7, 8191);
  for (auto byte : data) b.update(&byte, 1);
  EXPECT_EQ(a.digest(), one);
  EXPECT_EQ(b.digest(), one);
  EXPECT_EQ(a.digest(), one);  // digest() does not disturb the state
  a.reset();
  EXPECT_EQ(a.digest(), 0u);
}
