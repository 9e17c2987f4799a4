// The image pipeline (issue 8): sniff, decode (JPEG, PNG, WebP), orient, resize and encode (WebP,
// JPEG) in one pass over a whole encoded file held in memory. Sans-I/O: bytes in, bytes out, no
// clock, no threads, no exceptions out of the API; hostile input gives an Error, never a crash.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vs3 {
namespace image {

enum class Error {
  ok,
  unsupported_image,   // not JPEG, PNG or WebP (GIF, AVIF, HEIC, anything else)
  corrupt_image,       // the decoder refused the data
  truncated_image,     // the data ends early (JPEG: premature end of data is an error, not a warning)
  image_too_large,     // width * height above Options::max_input_pixels (checked from the header)
  image_memory_limit,  // the estimated or actual memory need is above Options::max_memory_bytes
  bad_image_options,   // see validate()
  encode_failed,       // the encoder failed (e.g. WebP output above 16383 px per side)
};
// Stable strings used by the JS side: "unsupported_image", ...; "" for ok.
const char* error_code(Error e);

enum class OutputFormat { webp, jpeg };

struct VariantOptions {
  std::string name;
  std::uint32_t max_width = 0;   // 0: unbounded; at most 65535
  std::uint32_t max_height = 0;  // 0: unbounded; both 0: the original size
  OutputFormat format = OutputFormat::webp;
  int quality = 80;          // 0..100
  bool lossless = false;     // WebP only
  int method = 4;            // WebP effort, 0 (fast) ..6 (small)
  bool progressive = false;  // JPEG only
};

constexpr std::size_t kMaxVariants = 16;
constexpr std::uint32_t kMaxVariantSide = 65535;

struct Options {
  std::uint64_t max_input_pixels = 100'000'000;  // >= 1
  std::uint64_t max_memory_bytes = 1ull << 30;   // >= 1; an estimate checked before decoding
  bool keep_icc = false;                         // embed the input's ICC profile in every output
  bool auto_orient = true;                       // apply the EXIF orientation
  std::vector<VariantOptions> variants;          // 1..kMaxVariants
};

struct Info {
  const char* mime = "";                // sniffed: image/jpeg, image/png, image/webp, image/gif, image/heic, ...
  std::uint32_t width = 0, height = 0;  // as stored (before orientation)
  std::uint16_t orientation = 1;        // EXIF 1..8 (1 when absent or invalid)
  bool has_alpha = false;
  bool animated = false;
  std::uint32_t frames = 0;  // 1 for still images
  bool has_icc = false;
};

struct Variant {
  std::string name;
  std::uint32_t width = 0, height = 0;  // upright (after orientation when auto_orient)
  const char* mime = "";                // image/webp or image/jpeg
  std::vector<std::uint8_t> data;
};

struct Result {
  Error error = Error::ok;
  std::string message;  // human-readable when error != ok
  Info info;            // filled as far as the header was read, also on errors
  std::vector<Variant> variants;
};

// Header only: format, dimensions, orientation, alpha, frames, ICC. No pixel is decoded.
Result probe(const std::uint8_t* data, std::size_t size);
// Decodes once (JPEG at the smallest DCT scale that still covers the largest variant) and makes
// every variant from that decode. Output carries no metadata except the ICC profile if asked.
// JPEG output of an image with alpha is composited over white.
Result process(const std::uint8_t* data, std::size_t size, const Options& options);
// bad_image_options with a message, or ok. process() calls it first.
Error validate(const Options& options, std::string* message);

}  // namespace image
}  // namespace vs3
