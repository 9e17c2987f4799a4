#include "vs3/sha256.hpp"

#include <cstring>

namespace vs3 {
namespace {

constexpr std::uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

inline std::uint32_t rotr(std::uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_bswap32(v);
#else
  return v;
#endif
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = std::uint8_t(v >> 24);
  p[1] = std::uint8_t(v >> 16);
  p[2] = std::uint8_t(v >> 8);
  p[3] = std::uint8_t(v);
}

// Compresses `blocks` consecutive 64-byte blocks into state h. Fully unrolled; the message schedule
// lives in a 16-word ring computed alongside the rounds, and the working variables rotate by name
// instead of being shuffled, so the compiler keeps everything in registers (WASM locals).
#define VS3_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define VS3_S0(x) (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define VS3_S1(x) (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define VS3_s0(x) (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define VS3_s1(x) (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))
#define VS3_W(i) w[(i)&15]
#define VS3_SCHED(i) (VS3_W(i) += VS3_s1(VS3_W((i)-2)) + VS3_W((i)-7) + VS3_s0(VS3_W((i)-15)))
#define VS3_RND(a, b, c, d, e, f, g, h, k, wi)                                    \
  do {                                                                            \
    const std::uint32_t t1 = (h) + VS3_S1(e) + VS3_CH(e, f, g) + (k) + (wi);      \
    const std::uint32_t ab = (a) ^ (b);                                           \
    (d) += t1;                                                                    \
    /* Maj(a,b,c) = b ^ ((a^b) & (b^c)); next round's b^c is this round's a^b. */ \
    (h) = t1 + VS3_S0(a) + ((b) ^ (ab & bc));                                     \
    bc = ab;                                                                      \
  } while (0)
#define VS3_R8(i, W)                                         \
  VS3_RND(a, b, c, d, e, f, g, hh, kK[(i) + 0], W((i) + 0)); \
  VS3_RND(hh, a, b, c, d, e, f, g, kK[(i) + 1], W((i) + 1)); \
  VS3_RND(g, hh, a, b, c, d, e, f, kK[(i) + 2], W((i) + 2)); \
  VS3_RND(f, g, hh, a, b, c, d, e, kK[(i) + 3], W((i) + 3)); \
  VS3_RND(e, f, g, hh, a, b, c, d, kK[(i) + 4], W((i) + 4)); \
  VS3_RND(d, e, f, g, hh, a, b, c, kK[(i) + 5], W((i) + 5)); \
  VS3_RND(c, d, e, f, g, hh, a, b, kK[(i) + 6], W((i) + 6)); \
  VS3_RND(b, c, d, e, f, g, hh, a, kK[(i) + 7], W((i) + 7))
void compress(std::uint32_t h[8], const std::uint8_t* p, std::size_t blocks) {
  std::uint32_t w[16];
  while (blocks--) {
    for (std::size_t i = 0; i < 16; ++i) w[i] = load_be32(p + 4 * i);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    std::uint32_t bc = b ^ c;
    VS3_R8(0, VS3_W);
    VS3_R8(8, VS3_W);
    for (int base = 16; base < 64; base += 16) {
      // (base + j) & 15 == j: the ring indexes stay constants, so w[] stays in registers.
      const std::uint32_t* k = kK + base;
#define VS3_RK(a, b, c, d, e, f, g, h, j) VS3_RND(a, b, c, d, e, f, g, h, k[j], VS3_SCHED(j))
      VS3_RK(a, b, c, d, e, f, g, hh, 0);
      VS3_RK(hh, a, b, c, d, e, f, g, 1);
      VS3_RK(g, hh, a, b, c, d, e, f, 2);
      VS3_RK(f, g, hh, a, b, c, d, e, 3);
      VS3_RK(e, f, g, hh, a, b, c, d, 4);
      VS3_RK(d, e, f, g, hh, a, b, c, 5);
      VS3_RK(c, d, e, f, g, hh, a, b, 6);
      VS3_RK(b, c, d, e, f, g, hh, a, 7);
      VS3_RK(a, b, c, d, e, f, g, hh, 8);
      VS3_RK(hh, a, b, c, d, e, f, g, 9);
      VS3_RK(g, hh, a, b, c, d, e, f, 10);
      VS3_RK(f, g, hh, a, b, c, d, e, 11);
      VS3_RK(e, f, g, hh, a, b, c, d, 12);
      VS3_RK(d, e, f, g, hh, a, b, c, 13);
      VS3_RK(c, d, e, f, g, hh, a, b, 14);
      VS3_RK(b, c, d, e, f, g, hh, a, 15);
#undef VS3_RK
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
    p += 64;
  }
}
#undef VS3_R8
#undef VS3_RND
#undef VS3_SCHED
#undef VS3_W
#undef VS3_s1
#undef VS3_s0
#undef VS3_S1
#undef VS3_S0
#undef VS3_CH

}  // namespace

void Sha256::reset() {
  std::memcpy(h_, kInit, sizeof h_);
  buf_len_ = 0;
  total_len_ = 0;
}

void Sha256::update(const std::uint8_t* data, std::size_t len) {
  if (len == 0) return;
  total_len_ += len;
  if (buf_len_ > 0) {
    const std::size_t take = (kBlockSize - buf_len_ < len) ? kBlockSize - buf_len_ : len;
    std::memcpy(buf_ + buf_len_, data, take);
    buf_len_ += take;
    data += take;
    len -= take;
    if (buf_len_ < kBlockSize) return;
    compress(h_, buf_, 1);
    buf_len_ = 0;
  }
  const std::size_t blocks = len / kBlockSize;
  if (blocks) {
    compress(h_, data, blocks);
    data += blocks * kBlockSize;
    len -= blocks * kBlockSize;
  }
  if (len) {
    std::memcpy(buf_, data, len);
    buf_len_ = len;
  }
}

Sha256::Digest Sha256::digest() const {
  std::uint32_t h[8];
  std::memcpy(h, h_, sizeof h);
  std::uint8_t tail[2 * kBlockSize] = {0};
  std::memcpy(tail, buf_, buf_len_);
  tail[buf_len_] = 0x80;
  const std::size_t tail_len = (buf_len_ + 1 + 8 <= kBlockSize) ? kBlockSize : 2 * kBlockSize;
  const std::uint64_t bits = total_len_ * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = std::uint8_t(bits >> (8 * i));
  compress(h, tail, tail_len / kBlockSize);
  Digest out;
  for (std::size_t i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, h[i]);
  return out;
}

std::string Sha256::hex_digest() const {
  const Digest d = digest();
  return to_hex(d.data(), d.size());
}

Sha256::Digest Sha256::hash(const std::uint8_t* data, std::size_t len) {
  Sha256 s;
  s.update(data, len);
  return s.digest();
}

std::string to_hex(const std::uint8_t* data, std::size_t len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

}  // namespace vs3
