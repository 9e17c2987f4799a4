// Bitmaps, the EXIF orientation reader, the 8 orientation transforms and the resizer (box
// pre-reduction + separable Lanczos-3 in fixed point, premultiplied alpha). No decoder knowledge.
#include "vs3/image/pixels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vs3 {
namespace image {

bool Bitmap::allocate(std::uint32_t w, std::uint32_t h, int ch) {
  pixels.reset();
  width = height = 0;
  channels = 0;
  const std::uint64_t n = std::uint64_t(w) * h * std::uint64_t(ch);
  if (w == 0 || h == 0 || ch < 1 || ch > 4 || n > std::numeric_limits<std::size_t>::max() / 2) return false;
  auto* p = static_cast<std::uint8_t*>(std::malloc(static_cast<std::size_t>(n)));
  if (!p) return false;
  pixels.reset(p);
  width = w;
  height = h;
  channels = ch;
  return true;
}

namespace {

template <typename T>
std::unique_ptr<T[], FreeDeleter> alloc_array(std::uint64_t count) {
  if (count == 0 || count > std::numeric_limits<std::size_t>::max() / sizeof(T) / 2) return nullptr;
  return std::unique_ptr<T[], FreeDeleter>(static_cast<T*>(std::malloc(static_cast<std::size_t>(count) * sizeof(T))));
}

std::uint32_t read_u32(const std::uint8_t* p, bool le) {
  return le ? (std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24)
            : (std::uint32_t(p[3]) | std::uint32_t(p[2]) << 8 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[0]) << 24);
}
std::uint16_t read_u16(const std::uint8_t* p, bool le) {
  return le ? std::uint16_t(p[0] | p[1] << 8) : std::uint16_t(p[1] | p[0] << 8);
}

}  // namespace

std::uint16_t exif_orientation(const std::uint8_t* tiff, std::size_t size) {
  if (!tiff) return 1;
  if (size >= 6 && std::memcmp(tiff, "Exif\0\0", 6) == 0) {
    tiff += 6;
    size -= 6;
  }
  if (size < 8) return 1;
  bool le;
  if (tiff[0] == 'I' && tiff[1] == 'I' && tiff[2] == 42 && tiff[3] == 0) {
    le = true;
  } else if (tiff[0] == 'M' && tiff[1] == 'M' && tiff[2] == 0 && tiff[3] == 42) {
    le = false;
  } else {
    return 1;
  }
  const std::uint32_t ifd = read_u32(tiff + 4, le);
  if (ifd < 8 || ifd > size - 2) return 1;
  const std::uint16_t count = read_u16(tiff + ifd, le);
  const std::size_t first = std::size_t(ifd) + 2;
  // Only the entries that are inside the block: the loop is bounded by the input size.
  const std::size_t fit = (size - first) / 12;
  const std::size_t n = std::min<std::size_t>(count, fit);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* e = tiff + first + i * 12;
    if (read_u16(e, le) != 0x0112) continue;
    const std::uint16_t type = read_u16(e + 2, le);
    const std::uint32_t cnt = read_u32(e + 4, le);
    if (type != 3 || cnt < 1) return 1;  // SHORT; a count of 1 keeps the value inline
    const std::uint16_t v = read_u16(e + 8, le);
    return (v >= 1 && v <= 8) ? v : 1;
  }
  return 1;
}

void fit_box(std::uint32_t w, std::uint32_t h, std::uint32_t max_w, std::uint32_t max_h, std::uint32_t* out_w,
             std::uint32_t* out_h) {
  std::uint32_t ow = w, oh = h;
  // Compare w/h ratios with integers: max_w/w < max_h/h  <=>  max_w*h < max_h*w.
  const bool w_limits = max_w != 0 && max_w < w;
  const bool h_limits = max_h != 0 && max_h < h;
  if (w_limits && (!h_limits || std::uint64_t(max_w) * h <= std::uint64_t(max_h) * w)) {
    ow = max_w;
    oh = static_cast<std::uint32_t>((std::uint64_t(h) * max_w * 2 + w) / (std::uint64_t(w) * 2));
  } else if (h_limits) {
    oh = max_h;
    ow = static_cast<std::uint32_t>((std::uint64_t(w) * max_h * 2 + h) / (std::uint64_t(h) * 2));
  }
  if (max_w && ow > max_w) ow = max_w;
  if (max_h && oh > max_h) oh = max_h;
  *out_w = std::max<std::uint32_t>(ow, 1);
  *out_h = std::max<std::uint32_t>(oh, 1);
}

namespace {

// Source pixel (column, row) of upright pixel (x, y) for orientation o; W, H: stored size.
template <int CH>
void orient_rows(const View& s, int o, Bitmap* out) {
  const std::uint32_t W = s.width, H = s.height;
  const std::uint32_t ow = out->width, oh = out->height;
  std::uint8_t* dst = out->pixels.get();
  for (std::uint32_t y = 0; y < oh; ++y) {
    std::uint8_t* d = dst + std::size_t(y) * ow * CH;
    if (o <= 4) {
      const std::uint32_t sy = (o == 3 || o == 4) ? H - 1 - y : y;
      const std::uint8_t* row = s.pixels + sy * s.stride;
      if (o == 1 || o == 4) {
        std::memcpy(d, row, std::size_t(ow) * CH);
      } else {
        for (std::uint32_t x = 0; x < ow; ++x)
          std::memcpy(d + std::size_t(x) * CH, row + std::size_t(W - 1 - x) * CH, CH);
      }
      continue;
    }
    // 5..8: upright row y is a stored column.
    const std::uint32_t sx = (o == 5 || o == 6) ? y : W - 1 - y;
    const std::uint8_t* col = s.pixels + std::size_t(sx) * CH;
    if (o == 5 || o == 8) {  // upright x runs down the stored column
      for (std::uint32_t x = 0; x < ow; ++x) std::memcpy(d + std::size_t(x) * CH, col + std::size_t(x) * s.stride, CH);
    } else {  // 6, 7: upright x runs up the stored column
      for (std::uint32_t x = 0; x < ow; ++x)
        std::memcpy(d + std::size_t(x) * CH, col + std::size_t(H - 1 - x) * s.stride, CH);
    }
  }
}

}  // namespace

Bitmap orient(const View& src, int o) {
  Bitmap out;
  if (o < 1 || o > 8) o = 1;
  const bool swap = swaps_axes(o);
  if (!out.allocate(swap ? src.height : src.width, swap ? src.width : src.height, src.channels)) return out;
  switch (src.channels) {
    case 3: orient_rows<3>(src, o, &out); break;
    case 4: orient_rows<4>(src, o, &out); break;
    case 1: orient_rows<1>(src, o, &out); break;
    default: orient_rows<2>(src, o, &out); break;
  }
  return out;
}

// --- resize -----------------------------------------------------------------------------------------
namespace {

constexpr int kWeightBits = 14;  // filter weights: Q14, summing to exactly 1 << 14 per output
constexpr int kMidBits = 6;      // horizontal pass output: Q6 in int16 (255 * 64 * 1.3 < 32767)

double lanczos3(double t) {
  t = std::fabs(t);
  if (t < 1e-9) return 1.0;
  if (t >= 3.0) return 0.0;
  constexpr double kPi = 3.14159265358979323846;
  const double pt = kPi * t;
  return 3.0 * std::sin(pt) * std::sin(pt / 3.0) / (pt * pt);
}

// Per output position: the first input index, the tap count and the weights (row of max_taps).
struct Taps {
  std::unique_ptr<std::int32_t[], FreeDeleter> start, count;
  std::unique_ptr<std::int16_t[], FreeDeleter> weights;  // row o at o * stride, zero after count[o]
  int max_taps = 0;
  int stride = 0;  // max_taps rounded up to 8: one-channel rows read 8 taps at a time

  // out positions over in positions; `scale` input pixels per output pixel (>= 1 for a downscale),
  // output pixel o centred on input (o + 0.5) * scale - 0.5 + offset.
  bool build(std::uint32_t in, std::uint32_t out, double scale, double offset) {
    const double fs = std::max(scale, 1.0);
    const double support = 3.0 * fs;
    max_taps = static_cast<int>(std::ceil(support * 2)) + 2;
    stride = (max_taps + 7) & ~7;
    start = alloc_array<std::int32_t>(out);
    count = alloc_array<std::int32_t>(out);
    weights = alloc_array<std::int16_t>(std::uint64_t(out) * stride);
    auto tmp = alloc_array<double>(max_taps);
    if (!start || !count || !weights || !tmp) return false;
    for (std::uint32_t o = 0; o < out; ++o) {
      // Centre of output pixel o in input coordinates (input pixel i is centred on i).
      const double centre = (o + 0.5) * scale - 0.5 + offset;
      std::int64_t lo = static_cast<std::int64_t>(std::ceil(centre - support));
      std::int64_t hi = static_cast<std::int64_t>(std::floor(centre + support));
      lo = std::max<std::int64_t>(lo, 0);
      hi = std::min<std::int64_t>(hi, std::int64_t(in) - 1);
      if (hi < lo) hi = lo = std::min<std::int64_t>(std::max<std::int64_t>(std::llround(centre), 0), in - 1);
      int n = static_cast<int>(hi - lo + 1);
      if (n > max_taps) n = max_taps;
      double sum = 0;
      for (int k = 0; k < n; ++k) sum += tmp[k] = lanczos3((lo + k - centre) / fs);
      if (std::fabs(sum) < 1e-12) {
        for (int k = 0; k < n; ++k) tmp[k] = 0;
        tmp[0] = sum = 1;
      }
      std::int16_t* w = weights.get() + std::size_t(o) * stride;
      int total = 0, big = 0;
      for (int k = 0; k < n; ++k) {
        w[k] = static_cast<std::int16_t>(std::lround(tmp[k] / sum * (1 << kWeightBits)));
        total += w[k];
        if (w[k] > w[big]) big = k;
      }
      w[big] = static_cast<std::int16_t>(w[big] + ((1 << kWeightBits) - total));
      // Drop zero taps at both ends (an axis that is not resized becomes one tap per pixel).
      int first = 0, last = n - 1;
      while (first < last && w[first] == 0) ++first;
      while (last > first && w[last] == 0) --last;
      if (first > 0) std::memmove(w, w + first, sizeof(std::int16_t) * (last - first + 1));
      std::fill(w + (last - first + 1), w + stride, std::int16_t(0));
      start[o] = static_cast<std::int32_t>(lo + first);
      count[o] = last - first + 1;
    }
    return true;
  }
};

inline std::uint32_t load_u32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline std::uint8_t premul(std::uint8_t c, std::uint8_t a) {
  const unsigned t = unsigned(c) * a + 128;
  return static_cast<std::uint8_t>((t + (t >> 8)) >> 8);
}

// Horizontal pass for one row: Q0 input -> Q6 int16 output. `row` is padded: a 4-byte load at
// any pixel, and (one channel) an 8-byte load at any tap, stay inside it. With SSE2 (x86-64, or wasm SIMD through
// Emscripten's emmintrin.h: _mm_madd_epi16 is i32x4.dot_i16x8_s) two taps of all channels go through one multiply-add;
// mid gets 4 values per output, so with 3 channels one value spills into the next slot (rewritten next, and the buffer
// has room at its end).
template <int CH>
void filter_row(const std::uint8_t* row, const Taps& t, std::uint32_t out_w, std::int16_t* mid) {
  constexpr int kDown = kWeightBits - kMidBits;
#if defined(__SSE2__)
  if (CH == 3 || CH == 4) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i round = _mm_set1_epi32(1 << (kDown - 1));
    for (std::uint32_t o = 0; o < out_w; ++o) {
      const std::uint8_t* p = row + std::size_t(t.start[o]) * CH;
      const std::int16_t* w = t.weights.get() + std::size_t(o) * t.stride;
      const int n = t.count[o];
      __m128i acc = round;
      int k = 0;
      for (; k + 1 < n; k += 2) {
        const __m128i a = _mm_cvtsi32_si128(load_u32(p + std::ptrdiff_t(k) * CH));
        const __m128i b = _mm_cvtsi32_si128(load_u32(p + std::ptrdiff_t(k + 1) * CH));
        const __m128i ab = _mm_unpacklo_epi8(_mm_unpacklo_epi8(a, b), zero);  // a0 b0 a1 b1 .. as int16
        const __m128i ww = _mm_set1_epi32(int(std::uint16_t(w[k])) | int(std::uint32_t(std::uint16_t(w[k + 1])) << 16));
        acc = _mm_add_epi32(acc, _mm_madd_epi16(ab, ww));
      }
      if (k < n) {
        const __m128i a =
            _mm_unpacklo_epi8(_mm_unpacklo_epi8(_mm_cvtsi32_si128(load_u32(p + std::ptrdiff_t(k) * CH)), zero), zero);
        acc = _mm_add_epi32(acc, _mm_madd_epi16(a, _mm_set1_epi32(std::uint16_t(w[k]))));
      }
      acc = _mm_srai_epi32(acc, kDown);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(mid + std::size_t(o) * CH), _mm_packs_epi32(acc, acc));
    }
    return;
  }
  if (CH == 1) {  // 8 taps per multiply-add (weights are zero past count[o]), four outputs per sum
    const __m128i zero = _mm_setzero_si128();
    const auto dot = [&](std::uint32_t o) {
      const std::uint8_t* p = row + t.start[o];
      const std::int16_t* w = t.weights.get() + std::size_t(o) * t.stride;
      __m128i acc = zero;
      for (int k = 0; k < t.count[o]; k += 8) {
        const __m128i px = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + k)), zero);
        acc = _mm_add_epi32(acc, _mm_madd_epi16(px, _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k))));
      }
      return acc;
    };
    const __m128i round = _mm_set1_epi32(1 << (kDown - 1));
    std::uint32_t o = 0;
    for (; o + 4 <= out_w; o += 4) {
      const __m128i a0 = dot(o), a1 = dot(o + 1), a2 = dot(o + 2), a3 = dot(o + 3);
      // Transpose-add: lane i of the sum is the total of a_i.
      const __m128i s01 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
      const __m128i s23 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
      const __m128i sum = _mm_add_epi32(_mm_unpacklo_epi64(s01, s23), _mm_unpackhi_epi64(s01, s23));
      const __m128i v = _mm_srai_epi32(_mm_add_epi32(sum, round), kDown);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(mid + o), _mm_packs_epi32(v, v));
    }
    for (; o < out_w; ++o) {
      __m128i a = dot(o);
      a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0x4E));
      a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0xB1));
      mid[o] = static_cast<std::int16_t>((_mm_cvtsi128_si32(a) + (1 << (kDown - 1))) >> kDown);
    }
    return;
  }
#endif
  constexpr int kRound = 1 << (kDown - 1);
  for (std::uint32_t o = 0; o < out_w; ++o) {
    const std::uint8_t* p = row + std::size_t(t.start[o]) * CH;
    const std::int16_t* w = t.weights.get() + std::size_t(o) * t.stride;
    const int n = t.count[o];
    std::int32_t acc[CH] = {};
    for (int k = 0; k < n; ++k) {
      for (int c = 0; c < CH; ++c) acc[c] += w[k] * p[k * CH + c];
    }
    for (int c = 0; c < CH; ++c) mid[std::size_t(o) * CH + c] = static_cast<std::int16_t>((acc[c] + kRound) >> kDown);
  }
}

// Vertical pass for one output row: n rows of Q6 (row k at r0 + k * stride) -> clamped bytes.
void filter_column(const std::int16_t* r0, std::size_t stride, const std::int16_t* w, int n, std::size_t len,
                   std::uint8_t* d) {
  constexpr int kShift = kWeightBits + kMidBits;
  constexpr std::int32_t kRound = 1 << (kShift - 1);
  std::size_t i = 0;
#if defined(__SSE2__)
  __m128i pairs[64];  // weights of taps (k, k + 1) as int16 pairs; max_taps is far below 128
  const int npairs = (n + 1) / 2;
  for (int j = 0; j < npairs && j < 64; ++j) {
    const std::uint16_t lo = std::uint16_t(w[std::ptrdiff_t(2) * j]),
                        hi = 2 * j + 1 < n ? std::uint16_t(w[std::ptrdiff_t(2) * j + 1]) : 0;
    pairs[j] = _mm_set1_epi32(int(lo) | int(std::uint32_t(hi) << 16));
  }
  if (npairs <= 64) {
    const __m128i round = _mm_set1_epi32(kRound), zero = _mm_setzero_si128();
    for (; i + 8 <= len; i += 8) {
      __m128i lo = round, hi = round;
      for (int j = 0; j < npairs; ++j) {
        const std::int16_t* ra = r0 + std::size_t(2 * j) * stride + i;
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ra));
        const __m128i b = 2 * j + 1 < n ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(ra + stride)) : zero;
        lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), pairs[j]));
        hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(a, b), pairs[j]));
      }
      const __m128i v16 = _mm_packs_epi32(_mm_srai_epi32(lo, kShift), _mm_srai_epi32(hi, kShift));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(d + i), _mm_packus_epi16(v16, v16));  // clamps to 0..255
    }
  }
#endif
  for (; i < len; ++i) {
    std::int32_t a = kRound;
    for (int k = 0; k < n; ++k) a += std::int32_t(w[k]) * r0[std::size_t(k) * stride + i];
    const std::int32_t v = a >> kShift;
    d[i] = static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

// Area average by (kx, ky) (partial blocks at the right and bottom edges averaged over what they
// hold), premultiplying 4-channel input.
template <int CH>
bool box_reduce(const View& s, std::uint32_t kx, std::uint32_t ky, Bitmap* out) {
  const std::uint32_t bw = (s.width + kx - 1) / kx, bh = (s.height + ky - 1) / ky;
  if (!out->allocate(bw, bh, CH)) return false;
  auto acc = alloc_array<std::uint32_t>(std::uint64_t(bw) * CH);
  if (!acc) return false;
  for (std::uint32_t by = 0; by < bh; ++by) {
    std::memset(acc.get(), 0, sizeof(std::uint32_t) * bw * CH);
    const std::uint32_t y0 = by * ky, y1 = std::min(y0 + ky, s.height);
    for (std::uint32_t y = y0; y < y1; ++y) {
      const std::uint8_t* row = s.pixels + std::size_t(y) * s.stride;
      for (std::uint32_t bx = 0; bx < bw; ++bx) {
        const std::uint32_t x0 = bx * kx, x1 = std::min(x0 + kx, s.width);
        std::uint32_t* a = acc.get() + std::size_t(bx) * CH;
        for (std::uint32_t x = x0; x < x1; ++x) {
          const std::uint8_t* p = row + std::size_t(x) * CH;
          if (CH == 4) {
            a[0] += premul(p[0], p[3]);
            a[1] += premul(p[1], p[3]);
            a[2] += premul(p[2], p[3]);
            a[3] += p[3];
          } else {
            for (int c = 0; c < CH; ++c) a[c] += p[c];
          }
        }
      }
    }
    std::uint8_t* d = out->pixels.get() + std::size_t(by) * out->stride();
    for (std::uint32_t bx = 0; bx < bw; ++bx) {
      const std::uint32_t x0 = bx * kx, x1 = std::min(x0 + kx, s.width);
      const std::uint32_t n = (x1 - x0) * (y1 - y0);
      for (int c = 0; c < CH; ++c) d[bx * CH + c] = static_cast<std::uint8_t>((acc[bx * CH + c] + n / 2) / n);
    }
  }
  return true;
}

std::uint32_t box_factor(double ratio) {
  if (ratio < 4.0) return 1;
  return static_cast<std::uint32_t>(ratio / 2.0);  // the Lanczos pass then reduces by 2..3
}

template <int CH>
Bitmap lanczos(const View& s, bool premultiply, std::uint32_t out_w, std::uint32_t out_h, double scale_x,
               double scale_y, double offset_x = 0, double offset_y = 0) {
  Bitmap out;
  Taps tx, ty;
  if (!tx.build(s.width, out_w, scale_x, offset_x) || !ty.build(s.height, out_h, scale_y, offset_y)) return out;
  // Only the input rows some output row uses go through the horizontal pass.
  const std::uint32_t row0 = static_cast<std::uint32_t>(ty.start[0]);
  const std::uint32_t row1 = static_cast<std::uint32_t>(ty.start[out_h - 1] + ty.count[out_h - 1]);
  const std::size_t mid_stride = std::size_t(out_w) * CH;
  auto mid = alloc_array<std::int16_t>(std::uint64_t(mid_stride) * (row1 - row0) + 4);
  constexpr int kPad = 16;
  auto tmp = alloc_array<std::uint8_t>(std::uint64_t(s.width) * CH + kPad);  // a padded (premultiplied) row
  if (!mid || !tmp || !out.allocate(out_w, out_h, CH)) return Bitmap();
  std::memset(tmp.get() + std::size_t(s.width) * CH, 0, kPad);
  for (std::uint32_t y = row0; y < row1; ++y) {
    const std::uint8_t* row = s.pixels + std::size_t(y) * s.stride;
    if (CH == 4 && premultiply) {
      std::uint8_t* t = tmp.get();
      for (std::uint32_t x = 0; x < s.width; ++x) {
        const std::uint8_t a = row[x * 4 + 3];
        t[x * 4 + 0] = premul(row[x * 4 + 0], a);
        t[x * 4 + 1] = premul(row[x * 4 + 1], a);
        t[x * 4 + 2] = premul(row[x * 4 + 2], a);
        t[x * 4 + 3] = a;
      }
      row = t;
    } else if (CH != 4) {
      std::memcpy(tmp.get(), row, std::size_t(s.width) * CH);
      row = tmp.get();
    }
    filter_row<CH>(row, tx, out_w, mid.get() + (y - row0) * mid_stride);
  }
  // 1/a in Q16 for unpremultiplying.
  std::uint32_t inv[256] = {};
  if (CH == 4) {
    for (unsigned a = 1; a < 256; ++a) inv[a] = ((255u << 16) + a / 2) / a;
  }
  for (std::uint32_t y = 0; y < out_h; ++y) {
    std::uint8_t* d = out.pixels.get() + std::size_t(y) * mid_stride;
    filter_column(mid.get() + (ty.start[y] - row0) * mid_stride, mid_stride,
                  ty.weights.get() + std::size_t(y) * ty.stride, ty.count[y], mid_stride, d);
    if (CH == 4) {
      for (std::uint32_t x = 0; x < out_w; ++x) {
        std::uint8_t* p = d + std::size_t(x) * 4;
        const std::uint32_t al = p[3];
        if (al == 255) continue;
        for (int c = 0; c < 3; ++c) {
          const std::uint32_t v = (p[c] * inv[al] + 32768) >> 16;
          p[c] = static_cast<std::uint8_t>(al == 0 ? 0 : v > 255 ? 255 : v);
        }
      }
    }
  }
  return out;
}

template <int CH>
Bitmap resize_ch(const View& src, std::uint32_t out_w, std::uint32_t out_h, double sx, double sy, double ox,
                 double oy) {
  const std::uint32_t kx = box_factor(sx), ky = box_factor(sy);
  if (kx == 1 && ky == 1) return lanczos<CH>(src, CH == 4, out_w, out_h, sx, sy, ox, oy);
  Bitmap boxed;
  if (!box_reduce<CH>(src, kx, ky, &boxed)) return Bitmap();
  // The boxed pixel i covers input [i*k, (i+1)*k): an input centre c is (c + 0.5) / k - 0.5 there.
  return lanczos<CH>(view_of(boxed), false, out_w, out_h, sx / kx, sy / ky, ox / kx, oy / ky);
}

}  // namespace

std::uint64_t resize_scratch_bytes(std::uint32_t in_w, std::uint32_t in_h, int channels, std::uint32_t out_w,
                                   std::uint32_t out_h) {
  if (out_w == 0 || out_h == 0) return 0;
  const std::uint32_t kx = box_factor(double(in_w) / out_w), ky = box_factor(double(in_h) / out_h);
  std::uint64_t bytes = 0;
  std::uint64_t w = in_w, h = in_h;
  if (kx > 1 || ky > 1) {
    w = (in_w + kx - 1) / kx;
    h = (in_h + ky - 1) / ky;
    bytes += w * h * channels + w * channels * 4;
  }
  bytes += std::uint64_t(out_w) * channels * 2 * h;  // the Q6 intermediate
  bytes += std::uint64_t(out_w) * channels * 4 + w * channels;
  bytes += (std::uint64_t(out_w) + out_h) * (8 + 2 * 32);  // taps (upper bound)
  return bytes;
}

Bitmap resize(const View& src, std::uint32_t out_w, std::uint32_t out_h) {
  if (out_w == 0 || out_h == 0) return Bitmap();
  return resize_pitch(src, out_w, out_h, double(src.width) / out_w, double(src.height) / out_h);
}

Bitmap resize_pitch(const View& src, std::uint32_t out_w, std::uint32_t out_h, double scale_x, double scale_y,
                    double offset_x, double offset_y) {
  if (!src.pixels || src.width == 0 || src.height == 0 || out_w == 0 || out_h == 0) return Bitmap();
  for (const double v : {scale_x, scale_y}) {
    if (!(v > 0) || v > 1e6) return Bitmap();
  }
  for (const double v : {offset_x, offset_y}) {
    if (!(v > -1e6 && v < 1e6)) return Bitmap();
  }
  switch (src.channels) {
    case 3: return resize_ch<3>(src, out_w, out_h, scale_x, scale_y, offset_x, offset_y);
    case 4: return resize_ch<4>(src, out_w, out_h, scale_x, scale_y, offset_x, offset_y);
    case 1: return resize_ch<1>(src, out_w, out_h, scale_x, scale_y, offset_x, offset_y);
    default: return resize_ch<2>(src, out_w, out_h, scale_x, scale_y, offset_x, offset_y);
  }
}

}  // namespace image
}  // namespace vs3
