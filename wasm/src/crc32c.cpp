// Slicing-by-8 CRC32C: eight 256-entry tables built once at compile time, 8 bytes per step.
// WebAssembly has no CRC instruction, so this is the portable fast path (Intel's slicing-by-8).
#include "vs3/crc32c.hpp"

#include <array>

namespace vs3 {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // Castagnoli, reflected

struct Tables {
  std::uint32_t t[8][256];
};

constexpr Tables make_tables() {
  Tables tb{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    tb.t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) tb.t[s][i] = (tb.t[s - 1][i] >> 8) ^ tb.t[0][tb.t[s - 1][i] & 0xFF];
  }
  return tb;
}

constexpr Tables kT = make_tables();

}  // namespace

void Crc32c::update(const std::uint8_t* p, std::size_t len) {
  std::uint32_t c = state_;
  while (len >= 8) {
    const std::uint32_t lo =
        (std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24) ^ c;
    const std::uint32_t hi =
        std::uint32_t(p[4]) | std::uint32_t(p[5]) << 8 | std::uint32_t(p[6]) << 16 | std::uint32_t(p[7]) << 24;
    c = kT.t[7][lo & 0xFF] ^ kT.t[6][(lo >> 8) & 0xFF] ^ kT.t[5][(lo >> 16) & 0xFF] ^ kT.t[4][lo >> 24] ^
        kT.t[3][hi & 0xFF] ^ kT.t[2][(hi >> 8) & 0xFF] ^ kT.t[1][(hi >> 16) & 0xFF] ^ kT.t[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len--) c = (c >> 8) ^ kT.t[0][(c ^ *p++) & 0xFF];
  state_ = c;
}

std::uint32_t Crc32c::hash(const std::uint8_t* data, std::size_t len) {
  Crc32c c;
  c.update(data, len);
  return c.digest();
}

}  // namespace vs3
