// Test inputs for the image pipeline, generated with the codecs themselves (no binary fixtures):
// synthetic pictures, JPEG/PNG/WebP writers with hand-made Exif and ICC blocks, decoders for the
// outputs, a double-precision Lanczos-3 reference resize and PSNR.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace imgtest {

using Bytes = std::vector<std::uint8_t>;

struct Img {
  std::uint32_t w = 0, h = 0;
  int ch = 0;  // 1, 3 or 4; 2 (gray + alpha) for PNG
  std::vector<std::uint8_t> px;
  std::uint8_t* at(std::uint32_t x, std::uint32_t y) { return px.data() + (std::size_t(y) * w + x) * ch; }
  const std::uint8_t* at(std::uint32_t x, std::uint32_t y) const { return px.data() + (std::size_t(y) * w + x) * ch; }
};

// Smooth, asymmetric content (low-frequency waves and gradients; no two orientations alike).
// ch 4 adds an alpha wave; ch 2 is the first channel with that alpha.
Img smooth(std::uint32_t w, std::uint32_t h, int ch = 3);
// The stored image whose EXIF orientation o displays as `upright` (built from the EXIF
// definition of where row 0 / column 0 go, independently of the pipeline's transform).
Img stored_for(const Img& upright, int o);
Img to_gray(const Img& im);

// A TIFF block: IFD0 with Make, Orientation (if o != 0) and, with gps, a GPS IFD pointer with a
// latitude. big_endian: "MM" byte order.
Bytes exif_tiff(int orientation, bool big_endian = false, bool gps = true);
// "Exif\0\0" + tiff: the JPEG APP1 payload (some writers put it in WebP's EXIF chunk too).
Bytes exif_app1(const Bytes& tiff);
// A small, structurally valid ICC profile (header + empty tag table), libpng accepts it.
Bytes icc_profile();

struct JpegOpts {
  int quality = 92;
  bool progressive = false;
  bool arithmetic = false;
  bool cmyk = false;            // Adobe inverted CMYK from the RGB input (K = 255 - max(R, G, B) inverted)
  const Bytes* exif = nullptr;  // TIFF; written as APP1 "Exif\0\0" + tiff
  const Bytes* icc = nullptr;
  bool comment = false;         // a COM marker
  bool adobe = true;            // with cmyk: false writes plain (non-inverted) CMYK without an Adobe marker
  bool ycck = true;             // with cmyk and adobe: false stores the inverted CMYK as is (Adobe transform 0)
  bool full_chroma = false;     // 4:4:4 instead of 4:2:0 (YCbCr)
  bool separate_scans = false;  // sequential, one scan per component (non-interleaved), YCbCr
  int luma_h = 0, luma_v = 0;   // YCbCr luma sampling factors (chroma 1x1) when set: 2x1 is 4:2:2, 1x2 4:4:0
  int restart = 0;              // restart interval in MCUs; 0: no restart markers
};
Bytes write_jpeg(const Img& im, const JpegOpts& o = {});

// ch 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
struct PngOpts {
  int depth = 8;         // 8 or 16; also 1, 2 or 4 for gray (ch 1) and palette
  bool palette = false;  // 8-bit palette (from a quantised image), with tRNS if the image has alpha;
                         // at depth 1, 2 or 4 a gray ramp (from ch 1-4), entry 0 transparent with alpha
  bool interlace = false;
  const Bytes* exif = nullptr;
  const Bytes* icc = nullptr;
  bool text = false;  // a tEXt chunk
  bool trns = false;  // gray or RGB (ch 1 or 3, no palette): a tRNS colour key, the first pixel's colour
};
Bytes write_png(const Img& im, const PngOpts& o = {});

struct WebpOpts {
  bool lossless = false;
  int quality = 90;
  const Bytes* exif = nullptr;
  const Bytes* icc = nullptr;
};
Bytes write_webp(const Img& im, const WebpOpts& o = {});
struct AnimOpts {
  bool lossless = true;
  int quality = 75;
};
// An animation of the given frames (ch 3 or 4, all of the first one's size), 100 ms each.
Bytes write_animated_webp(const std::vector<Img>& frames, const AnimOpts& o = {});
// An animation of `frames` frames, frame i filled with colour (i * 80, 255 - i * 80, 40).
Bytes write_animated_webp(std::uint32_t w, std::uint32_t h, int frames);

// Decodes a JPEG or WebP output to RGB (ch 3) or RGBA (WebP with alpha); empty Img on failure.
Img decode(const Bytes& b);
bool webp_has_chunk(const Bytes& b, const char* fourcc);
bool jpeg_has_marker(const Bytes& b, int marker);  // e.g. 0xE1 (APP1), 0xE2, 0xFE (COM)
Bytes jpeg_icc(const Bytes& b);
Bytes webp_icc(const Bytes& b);
bool contains(const Bytes& hay, const std::string& needle);

// Double-precision Lanczos-3 resize of 3-channel im (edge pixels replicated).
Img reference_resize(const Img& im, std::uint32_t w, std::uint32_t h);
double psnr(const Img& a, const Img& b);  // over the first 3 channels; 99 when identical

}  // namespace imgtest
