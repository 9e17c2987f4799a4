// Pixel buffers, EXIF orientation and resizing: the format-independent middle of the image
// pipeline. Buffers are malloc'd (never new/vector) so that an allocation sized by the input fails
// softly (an empty Bitmap) instead of throwing or aborting; exposed for the tests.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace vs3 {
namespace image {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// width * height pixels of `channels` (3: RGB, 4: RGBA, straight alpha) bytes, rows packed.
struct Bitmap {
  std::uint32_t width = 0, height = 0;
  int channels = 0;
  std::unique_ptr<std::uint8_t[], FreeDeleter> pixels;

  std::size_t stride() const { return std::size_t(width) * channels; }
  std::size_t bytes() const { return stride() * height; }
  bool empty() const { return !pixels; }
  // false (and nothing allocated) if the size overflows or malloc fails.
  bool allocate(std::uint32_t w, std::uint32_t h, int ch);
};

// A read-only view of rows (a Bitmap, or a decoder's buffer).
struct View {
  const std::uint8_t* pixels = nullptr;
  std::uint32_t width = 0, height = 0;
  int channels = 0;
  std::size_t stride = 0;
};
inline View view_of(const Bitmap& b) {
  return View{b.pixels.get(), b.width, b.height, b.channels, b.stride()};
}

// The EXIF orientation (1..8) from a TIFF block (what follows "Exif\0\0" in JPEG APP1, the eXIf
// chunk of PNG, the EXIF chunk of WebP; a leading "Exif\0\0" is skipped). 1 when absent or broken.
std::uint16_t exif_orientation(const std::uint8_t* tiff, std::size_t size);

// Whether orientation o (1..8) swaps width and height (5..8).
inline bool swaps_axes(int o) {
  return o >= 5 && o <= 8;
}
// The upright image of a stored one with EXIF orientation o: row 0 / column 0 of the stored image
// are, in order 1..8: top/left, top/right, bottom/right, bottom/left, left/top, right/top,
// right/bottom, left/bottom of the upright one. Empty on allocation failure.
Bitmap orient(const View& src, int o);

// Fits (w, h) inside (max_w, max_h) keeping the aspect ratio, never enlarging; 0 = unbounded.
// Results are at least 1.
void fit_box(std::uint32_t w, std::uint32_t h, std::uint32_t max_w, std::uint32_t max_h, std::uint32_t* out_w,
             std::uint32_t* out_h);

// Resizes to exactly (out_w, out_h): separable Lanczos-3 in fixed point, preceded by an area
// (box) reduction by an integer factor when the ratio is above 3. Alpha (4 channels) is
// premultiplied before filtering and unpremultiplied after. Empty on allocation failure.
Bitmap resize(const View& src, std::uint32_t out_w, std::uint32_t out_h);
// resize() with the sampling grid given instead of in/out: output pixel o (per axis) is centred on
// input (o + 0.5) * scale - 0.5 + offset. For planes whose samples do not span the output's extent
// exactly (the 4:2:0 chroma of an odd-sized image covers one luma pixel more, at the bottom/right
// or, once the image is flipped, at the top/left). Empty on a bad scale or offset.
Bitmap resize_pitch(const View& src, std::uint32_t out_w, std::uint32_t out_h, double scale_x, double scale_y,
                    double offset_x = 0, double offset_y = 0);
// Bytes of scratch resize() needs beyond its output (for the memory estimate).
std::uint64_t resize_scratch_bytes(std::uint32_t in_w, std::uint32_t in_h, int channels, std::uint32_t out_w,
                                   std::uint32_t out_h);

}  // namespace image
}  // namespace vs3
