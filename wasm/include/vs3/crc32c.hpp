// CRC32C (Castagnoli), the per-part integrity checksum that S3 and R2 verify when it is signed into a
// part URL (x-amz-checksum-crc32c). Chosen over a per-part SHA-256 because the whole-file SHA-256 is
// already computed on the same bytes: a CRC adds ~1/10 of the cost (docs/benchmarks.md).
#pragma once
#include <cstddef>
#include <cstdint>

namespace vs3 {

class Crc32c {
 public:
  void reset() { state_ = 0xFFFFFFFFu; }
  // @pre data points to len readable bytes (len may be 0).
  void update(const std::uint8_t* data, std::size_t len);
  // CRC of everything fed since reset(); does not disturb the state.
  std::uint32_t digest() const { return state_ ^ 0xFFFFFFFFu; }
  static std::uint32_t hash(const std::uint8_t* data, std::size_t len);

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;
};

}  // namespace vs3
