// Test helper: feeds bytes to a streaming hasher in irregular chunk sizes, so that chunks straddle
// block boundaries in every way. Chunk sizes follow step -> step * mul % mod + 1.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

template <typename Hasher>
void feed_irregular(Hasher& h, const std::vector<std::uint8_t>& data, std::size_t step, std::size_t mul,
                    std::size_t mod) {
  for (std::size_t off = 0; off < data.size();) {
    const std::size_t n = std::min(step, data.size() - off);
    h.update(data.data() + off, n);
    off += n;
    step = step * mul % mod + 1;
  }
}
