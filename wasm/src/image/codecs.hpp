// Internal interface between the pipeline (pipeline.cpp) and the codec wrappers (jpeg.cpp,
// png.cpp, webp.cpp): what a decoder returns, what it asks the pipeline while decoding, and the
// encoders. Not installed: only wasm/src/image/ includes it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vs3/image/image.hpp"
#include "vs3/image/pixels.hpp"

namespace vs3 {
namespace image {

enum class Format { jpeg, png, webp, other };

// The format from the first bytes; *mime is always set (application/octet-stream when unknown),
// *unsupported_message when the format is not decodable here.
Format sniff(const std::uint8_t* data, std::size_t size, const char** mime, const char** unsupported_message);

struct Decoded {
  Info info;
  Bitmap bitmap;                  // RGB or RGBA; empty when only the header was read or when ycc
  std::vector<std::uint8_t> icc;  // the ICC profile, read only when Options::keep_icc
  // The YCbCr fast path (a YCbCr JPEG when every variant is lossy WebP, see wants_ycc): Y, Cb, Cr
  // as the JPEG stores them (full-range JFIF values), without upsampling or colour conversion.
  // Plane i is plane_w[i] x plane_h[i] samples in planes[i], whose width is the row stride; the
  // chroma planes may be smaller than Y (subsampled) or not.
  bool ycc = false;
  Bitmap planes[3];
  std::uint32_t plane_w[3] = {}, plane_h[3] = {};
  // Luma samples per sample of plane i, across and down (1 for Y; 2 for 4:2:0 chroma): chroma
  // sample k is centred on luma (k + 0.5) * pitch - 0.5, as JFIF places it.
  double pitch_x[3] = {1, 1, 1}, pitch_y[3] = {1, 1, 1};
  View plane(int i) const { return View{planes[i].pixels.get(), plane_w[i], plane_h[i], 1, planes[i].width}; }
};

// Whether a YCbCr decoder may return planes (Decoded::ycc): only when every variant is lossy WebP,
// which is YUV 4:2:0 inside, so the RGB round trip (JPEG's colour conversion, WebP's back) is skipped.
bool wants_ycc(const Options& options);

// What a decoder asks the pipeline once it knows the header (both in pipeline.cpp).
// The size (stored orientation) the decode must at least have to cover every variant; (0, 0) when
// a variant wants the original size.
void decode_target(const Options& options, const Info& info, std::uint32_t* width, std::uint32_t* height);
// ok, image_too_large or image_memory_limit (with *message) for a decode to (dw, dh) x channels
// that needs decoder_bytes of the decoder's own memory on top of the output. decoded_bytes, when
// not 0, is what the decode's output really takes (the padded planes of a ycc decode); ycc: every
// variant resizes (chroma planes are resized even for an output at the decoded size).
Error check_budget(const Options& options, const Info& info, std::uint32_t dw, std::uint32_t dh, int channels,
                   std::uint64_t decoder_bytes, std::string* message, std::uint64_t decoded_bytes = 0,
                   bool ycc = false);

// options == nullptr: header only (probe). Otherwise decode, checking the limits first.
Error decode_jpeg(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                  std::string* message);
Error decode_png(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                 std::string* message);
Error decode_webp(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                  std::string* message);

// icc: embed when non-null and non-empty. Alpha is kept in WebP, composited over white in JPEG.
Error encode_webp(const View& image, const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                  std::vector<std::uint8_t>* out, std::string* message);
// Lossy WebP from full-range (JFIF) Y, Cb, Cr planes: Y is the output size, Cb and Cr are exactly
// (width + 1) / 2 x (height + 1) / 2 (4:2:0); the values are mapped to WebP's video range here.
Error encode_webp_ycc(const View planes[3], const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                      std::vector<std::uint8_t>* out, std::string* message);
Error encode_jpeg(const View& image, const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                  std::vector<std::uint8_t>* out, std::string* message);
// Rough peak bytes an encoder needs for a w x h output (for the memory estimate).
std::uint64_t encoder_bytes(const VariantOptions& v, std::uint32_t w, std::uint32_t h);

}  // namespace image
}  // namespace vs3
