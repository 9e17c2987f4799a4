// Streaming SHA-256 (FIPS 180-4). Sans-I/O: feed bytes, read the digest.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace vs3 {

class Sha256 {
 public:
  static constexpr std::size_t kDigestSize = 32;
  static constexpr std::size_t kBlockSize = 64;
  using Digest = std::array<std::uint8_t, kDigestSize>;

  Sha256() { reset(); }
  void reset();
  void update(const std::uint8_t* data, std::size_t len);
  // Digest of everything fed since the last reset(). Does not disturb the state:
  // more update() calls may follow and digest() can be asked again.
  Digest digest() const;
  std::string hex_digest() const;
  std::uint64_t bytes_hashed() const { return total_len_; }

  static Digest hash(const std::uint8_t* data, std::size_t len);

 private:
  std::uint32_t h_[8];
  std::uint8_t buf_[kBlockSize];
  std::size_t buf_len_;
  std::uint64_t total_len_;
};

std::string to_hex(const std::uint8_t* data, std::size_t len);

}  // namespace vs3
