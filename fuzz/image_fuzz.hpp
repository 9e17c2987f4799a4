// fuzz/image_fuzz.hpp: what the three decoder harnesses (fuzz_jpeg, fuzz_png, fuzz_webp) share.
// One input is probed, then processed with two small variants (a 48 px WebP and a 24 px JPEG, or,
// for a quarter of the inputs, two lossy WebPs: JPEG's YCbCr path) and a low pixel limit (4 MP)
// and memory limit (256 MiB), so an execution stays fast and a "bomb" is refused by the limit
// instead of being decoded. Which knobs are on (EXIF orientation, ICC, lossless, progressive, the
// WebP-only pair) depends on the input's length, so a crash file reproduces alone. Besides "no crash,
// no leak, no hang", it checks what the pipeline promises: an error comes with a message and no
// variant; a success has every variant within its box, never upscaled, as an image the pipeline's
// own probe reads back with the same size and type; probe and process agree on the header.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_require.hpp"
#include "vs3/image/image.hpp"

namespace vs3_fuzz {

inline bool starts_with(const std::uint8_t* d, std::size_t n, const char* magic, std::size_t len, std::size_t at = 0) {
  return n >= at + len && std::memcmp(d + at, magic, len) == 0;
}

inline int fuzz_image(const std::uint8_t* data, std::size_t size) {
  using namespace vs3::image;
  const Result probed = probe(data, size);
  VS3_FUZZ_REQUIRE(probed.error == Error::ok || !probed.message.empty());
  VS3_FUZZ_REQUIRE(probed.variants.empty());

  const unsigned knobs = unsigned(size % 16);
  Options o;
  o.max_input_pixels = 4'000'000;
  o.max_memory_bytes = 256u << 20;
  o.auto_orient = (knobs & 1) == 0;
  o.keep_icc = (knobs & 2) != 0;
  VariantOptions webp;
  webp.name = "webp";
  webp.max_width = webp.max_height = 48;
  webp.format = OutputFormat::webp;
  webp.quality = 50;
  webp.method = 0;
  webp.lossless = (knobs & 4) != 0;
  VariantOptions jpeg;
  jpeg.name = "jpeg";
  jpeg.max_width = jpeg.max_height = 24;
  jpeg.format = OutputFormat::jpeg;
  jpeg.quality = 50;
  jpeg.progressive = (knobs & 4) == 0;
  o.variants = {webp, jpeg};
  if ((knobs & 12) == 8) {  // lossy WebP only: a YCbCr JPEG is decoded to planes (Decoded::ycc)
    VariantOptions small = webp;
    small.name = "small";
    small.max_width = small.max_height = 24;
    o.variants = {webp, small};
  }

  const Result r = process(data, size, o);
  if (r.error != Error::ok) {
    VS3_FUZZ_REQUIRE(!r.message.empty());
    VS3_FUZZ_REQUIRE(r.variants.empty());
    VS3_FUZZ_REQUIRE(std::strlen(error_code(r.error)) > 0);
    return 0;
  }
  // Decoded: the header probe must have read the same image.
  VS3_FUZZ_REQUIRE(probed.error == Error::ok);
  VS3_FUZZ_REQUIRE(probed.info.width == r.info.width && probed.info.height == r.info.height);
  VS3_FUZZ_REQUIRE(std::strcmp(probed.info.mime, r.info.mime) == 0);
  VS3_FUZZ_REQUIRE(std::uint64_t(r.info.width) * r.info.height <= o.max_input_pixels);
  VS3_FUZZ_REQUIRE(r.variants.size() == o.variants.size());
  const bool swap = o.auto_orient && r.info.orientation >= 5 && r.info.orientation <= 8;
  const std::uint32_t upright_w = swap ? r.info.height : r.info.width, upright_h = swap ? r.info.width : r.info.height;
  for (std::size_t k = 0; k < r.variants.size(); ++k) {
    const Variant& v = r.variants[k];
    const VariantOptions& want = o.variants[k];
    VS3_FUZZ_REQUIRE(v.width >= 1 && v.height >= 1);
    VS3_FUZZ_REQUIRE(v.width <= want.max_width && v.height <= want.max_height);
    VS3_FUZZ_REQUIRE(v.width <= upright_w && v.height <= upright_h);  // never upscaled
    VS3_FUZZ_REQUIRE(!v.data.empty());
    const Result back = probe(v.data.data(), v.data.size());
    VS3_FUZZ_REQUIRE(back.error == Error::ok);
    VS3_FUZZ_REQUIRE(back.info.width == v.width && back.info.height == v.height);
    VS3_FUZZ_REQUIRE(std::strcmp(back.info.mime, v.mime) == 0);
  }
  return 0;
}

}  // namespace vs3_fuzz
