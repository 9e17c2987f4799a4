// Native SHA-256 and CRC32C throughput, for comparison with the WASM figures (scripts/bench.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "vs3/crc32c.hpp"
#include "vs3/sha256.hpp"

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  std::vector<std::uint8_t> buf(mib << 20);
  std::uint32_t x = 1;
  for (auto& b : buf) {
    x = x * 1664525u + 1013904223u;
    b = std::uint8_t(x >> 24);
  }
  vs3::Sha256 s;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t off = 0; off < buf.size(); off += 4 << 20)
    s.update(buf.data() + off, std::min<std::size_t>(4 << 20, buf.size() - off));
  const auto hex = s.hex_digest();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("native vs3 sha256: %8.1f MB/s  (%zu MiB, %s)\n", buf.size() / sec / 1e6, mib, hex.substr(0, 16).c_str());
  // The per-part checksum: CRC32C (slicing-by-8) on the same bytes.
  vs3::Crc32c c;
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t off = 0; off < buf.size(); off += 4 << 20)
    c.update(buf.data() + off, std::min<std::size_t>(4 << 20, buf.size() - off));
  const double sec2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("native vs3 crc32c: %8.1f MB/s  (%zu MiB, %08x)\n", buf.size() / sec2 / 1e6, mib, c.digest());
  return 0;
}
