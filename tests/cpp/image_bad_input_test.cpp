// Hostile and broken input for the image pipeline: every truncation of small files, random byte
// flips, decompression bombs refused from the header, the memory limit, unsupported formats and
// bad options. The only requirement besides the error codes: no crash, abort or hang.
#include "vs3/image/image.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>

#include "image_helpers.hpp"

using namespace vs3::image;
using imgtest::Bytes;

namespace {

Options small_options() {
  Options o;
  VariantOptions v;
  v.name = "t";
  v.max_width = 16;
  v.max_height = 16;
  v.method = 0;
  o.variants.push_back(v);
  return o;
}

std::vector<std::pair<const char*, Bytes>> small_files() {
  const imgtest::Img im = imgtest::smooth(24, 16), rgba = imgtest::smooth(24, 16, 4);
  const Bytes exif = imgtest::exif_tiff(6);
  const Bytes icc = imgtest::icc_profile();
  imgtest::JpegOpts base, prog;
  base.exif = &exif;
  base.icc = &icc;
  prog.progressive = true;
  imgtest::PngOpts png, inter;
  png.exif = &exif;
  png.icc = &icc;
  inter.interlace = true;
  inter.depth = 16;
  imgtest::WebpOpts lossy, lossless;
  lossy.exif = &exif;
  lossless.lossless = true;
  return {{"jpeg", imgtest::write_jpeg(im, base)},
          {"jpeg progressive", imgtest::write_jpeg(im, prog)},
          {"png", imgtest::write_png(rgba, png)},
          {"png interlaced 16", imgtest::write_png(im, inter)},
          {"webp lossy", imgtest::write_webp(rgba, lossy)},
          {"webp lossless", imgtest::write_webp(rgba, lossless)},
          {"webp animated", imgtest::write_animated_webp(16, 12, 2)}};
}

bool is_decode_error(Error e) {
  return e == Error::truncated_image || e == Error::corrupt_image || e == Error::unsupported_image;
}

}  // namespace

TEST(ImageBadInput, EveryTruncationIsAnError) {
  const Options o = small_options();
  for (const auto& f : small_files()) {
    ASSERT_EQ(process(f.second.data(), f.second.size(), o).error, Error::ok) << f.first;
    int truncated = 0;
    for (std::size_t n = 0; n < f.second.size(); ++n) {
      const Bytes cut(f.second.begin(), f.second.begin() + n);  // its own allocation: ASan sees overreads
      const Result r = process(cut.data(), cut.size(), o);
      ASSERT_TRUE(is_decode_error(r.error)) << f.first << " cut at " << n << ": " << error_code(r.error);
      EXPECT_FALSE(r.message.empty());
      EXPECT_TRUE(r.variants.empty());
      truncated += r.error == Error::truncated_image;
      const Result p = probe(cut.data(), cut.size());
      EXPECT_NE(p.error, Error::bad_image_options);
    }
    // Past the signature, nearly every cut is reported as truncated.
    EXPECT_GT(truncated, int(f.second.size() * 7 / 10)) << f.first;
  }
}

TEST(ImageBadInput, RandomByteFlipsNeverCrash) {
  const Options o = small_options();
  std::mt19937 rng(1234);
  for (const auto& f : small_files()) {
    int ok = 0, errors = 0;
    for (int i = 0; i < 400; ++i) {
      Bytes b = f.second;
      const int flips = 1 + int(rng() % 4);
      for (int k = 0; k < flips; ++k) b[rng() % b.size()] ^= std::uint8_t(1 + rng() % 255);
      const Result r = process(b.data(), b.size(), o);
      if (r.error == Error::ok) {
        ++ok;
        ASSERT_EQ(r.variants.size(), 1u);
        EXPECT_FALSE(r.variants[0].data.empty());
      } else {
        ++errors;
        EXPECT_FALSE(r.message.empty());
      }
      probe(b.data(), b.size());
    }
    EXPECT_EQ(ok + errors, 400) << f.first;
  }
}

TEST(ImageBadInput, HeaderBombsAreRefusedFromTheHeader) {
  const auto t0 = std::chrono::steady_clock::now();
  // JPEG: a 16x16 file whose SOF claims 12000x9000 (108 MP).
  Bytes jpeg = imgtest::write_jpeg(imgtest::smooth(16, 16));
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = 9000 >> 8, jpeg[i + 6] = 9000 & 0xFF;
      jpeg[i + 7] = 12000 >> 8, jpeg[i + 8] = 12000 & 0xFF;
      break;
    }
  }
  Result r = process(jpeg.data(), jpeg.size(), small_options());
  EXPECT_EQ(r.error, Error::image_too_large) << r.message;
  EXPECT_EQ(r.info.width, 12000u);
  EXPECT_EQ(r.info.height, 9000u);
  // PNG: IHDR of 12000x9000 RGBA with a correct CRC and no image data.
  Bytes png = imgtest::write_png(imgtest::smooth(16, 16));
  const std::uint32_t w = 12000, h = 9000;
  for (int k = 0; k < 4; ++k) {
    png[16 + k] = std::uint8_t(w >> (24 - 8 * k));
    png[20 + k] = std::uint8_t(h >> (24 - 8 * k));
  }
  // CRC-32 of "IHDR" + 13 data bytes (bitwise, no zlib needed).
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 12; i < 12 + 17; ++i) {
    crc ^= png[i];
    for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  crc ^= 0xFFFFFFFFu;
  for (int k = 0; k < 4; ++k) png[29 + k] = std::uint8_t(crc >> (24 - 8 * k));
  r = process(png.data(), png.size(), small_options());
  EXPECT_EQ(r.error, Error::image_too_large) << r.message;
  EXPECT_EQ(r.info.width, 12000u);
  // WebP: a VP8L header claiming 16383x16383 (268 MP).
  Bytes webp = imgtest::write_webp(imgtest::smooth(16, 16), imgtest::WebpOpts{true, 90, nullptr, nullptr});
  ASSERT_EQ(std::memcmp(webp.data() + 12, "VP8L", 4), 0);
  const std::uint32_t bits = (16383 - 1) | ((16383 - 1) << 14) | (std::uint32_t(webp[21 + 3] >> 4) << 28);
  for (int k = 0; k < 4; ++k) webp[21 + k] = std::uint8_t(bits >> (8 * k));
  r = process(webp.data(), webp.size(), small_options());
  EXPECT_EQ(r.error, Error::image_too_large) << r.message;
  EXPECT_EQ(r.info.width, 16383u);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 500.0);
  // A lower limit applies to ordinary images too.
  Options o = small_options();
  o.max_input_pixels = 16 * 16 - 1;
  const Bytes ok16 = imgtest::write_jpeg(imgtest::smooth(16, 16));
  EXPECT_EQ(process(ok16.data(), ok16.size(), o).error, Error::image_too_large);
  o.max_input_pixels = 16 * 16;
  EXPECT_EQ(process(ok16.data(), ok16.size(), o).error, Error::ok);
}

TEST(ImageBadInput, MemoryLimit) {
  const Bytes jpeg = imgtest::write_jpeg(imgtest::smooth(800, 600));
  const Bytes png = imgtest::write_png(imgtest::smooth(800, 600));
  const Bytes prog = imgtest::write_jpeg(imgtest::smooth(800, 600), imgtest::JpegOpts{90, true});
  const Bytes webp = imgtest::write_webp(imgtest::smooth(800, 600));
  for (const Bytes* b : {&jpeg, &png, &prog, &webp}) {
    Options o = small_options();
    o.variants[0].max_width = 0;  // full size: 1.44 MB decoded at least
    o.variants[0].max_height = 0;
    o.max_memory_bytes = 1 << 20;
    Result r = process(b->data(), b->size(), o);
    EXPECT_EQ(r.error, Error::image_memory_limit) << r.message;
    EXPECT_NE(r.message.find("MiB"), std::string::npos) << r.message;
    o.max_memory_bytes = 64 << 20;
    r = process(b->data(), b->size(), o);
    EXPECT_EQ(r.error, Error::ok) << r.message;
  }
  // A small variant of the JPEG decodes at 1/8 scale, so it fits where the full size does not.
  Options o = small_options();
  o.max_memory_bytes = 1 << 20;
  EXPECT_EQ(process(jpeg.data(), jpeg.size(), o).error, Error::ok);
}

TEST(ImageBadInput, UnsupportedFormatsAreNamed) {
  struct Case {
    Bytes bytes;
    const char* mime;
    const char* word;
  };
  auto b = [](const char* s, std::size_t n) { return Bytes(s, s + n); };
  const Case cases[] = {
      {b("GIF89a\x01\0\x01\0\0\0\0;", 13), "image/gif", "GIF"},
      {b("\0\0\0\x18"
         "ftypheic\0\0\0\0mif1heic",
         24),
       "image/heic", "HEIC"},
      {b("\0\0\0\x18"
         "ftypmif1\0\0\0\0mif1heic",
         24),
       "image/heic", "HEIC"},
      {b("\0\0\0\x1c"
         "ftypavif\0\0\0\0avifmif1miaf",
         28),
       "image/avif", "AVIF"},
      {b("\0\0\0\x14"
         "ftypmif1\0\0\0\0mif1",
         20),
       "image/heif", "HEIF"},
      {b("%PDF-1.7\n", 9), "application/pdf", "PDF"},
      {b("II*\0\x08\0\0\0", 8), "image/tiff", "TIFF"},
      {b("\xFF\x0A\xFA\x7F", 4), "image/jxl", "JPEG XL"},
      {b("BM\x3A\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0", 26), "image/bmp", "BMP"},
      {b("\0\0\1\0\1\0\x10\x10", 8), "image/x-icon", "ICO"},
      {b("\0\0\0\x18"
         "ftypisom\0\0\0\0isomiso2",
         24),
       "video/mp4", "video"},
      {b("\0\0\0\x14"
         "ftypqt  \0\0\0\0qt  ",
         20),
       "video/quicktime", "video"},
      {b("hello world", 11), "application/octet-stream", "JPEG, PNG or WebP"},
      {Bytes(), "application/octet-stream", "JPEG, PNG or WebP"},
  };
  for (const Case& c : cases) {
    const Result r = process(c.bytes.data(), c.bytes.size(), small_options());
    EXPECT_EQ(r.error, Error::unsupported_image) << c.mime;
    EXPECT_STREQ(r.info.mime, c.mime);
    EXPECT_NE(r.message.find(c.word), std::string::npos) << r.message;
    const Result p = probe(c.bytes.data(), c.bytes.size());
    EXPECT_EQ(p.error, Error::unsupported_image);
    EXPECT_STREQ(p.info.mime, c.mime);
  }
  const Result heic = process(cases[1].bytes.data(), cases[1].bytes.size(), small_options());
  EXPECT_EQ(heic.message, "HEIC images are not supported; convert to JPEG");
}

TEST(ImageBadInput, BadOptions) {
  const Bytes jpeg = imgtest::write_jpeg(imgtest::smooth(16, 16));
  auto check = [&](const Options& o, const char* what) {
    const Result r = process(jpeg.data(), jpeg.size(), o);
    EXPECT_EQ(r.error, Error::bad_image_options) << what;
    EXPECT_FALSE(r.message.empty()) << what;
    EXPECT_TRUE(r.variants.empty());
  };
  Options o = small_options();
  o.variants.clear();
  check(o, "no variants");
  o = small_options();
  o.variants.resize(kMaxVariants + 1, o.variants[0]);
  check(o, "too many variants");
  for (int q : {-1, 101, 1000}) {
    o = small_options();
    o.variants[0].quality = q;
    check(o, "quality");
  }
  for (int m : {-1, 7}) {
    o = small_options();
    o.variants[0].method = m;
    check(o, "method");
  }
  o = small_options();
  o.variants[0].format = static_cast<OutputFormat>(7);
  check(o, "format");
  o = small_options();
  o.variants[0].max_width = 65536;
  check(o, "max width");
  o = small_options();
  o.max_input_pixels = 0;
  check(o, "max pixels 0");
  o = small_options();
  o.max_memory_bytes = 0;
  check(o, "max memory 0");
  // Edges that are valid.
  o = small_options();
  o.variants.resize(kMaxVariants, o.variants[0]);
  o.variants[0].quality = 0;
  o.variants[1].quality = 100;
  o.variants[2].method = 6;
  o.variants[3].max_width = 65535;
  EXPECT_EQ(process(jpeg.data(), jpeg.size(), o).error, Error::ok);
}

TEST(ImageBadInput, WebpOutputTooWideFailsCleanly) {
  // 17000x2 JPEG -> WebP at original size: above WebP's 16383 limit -> encode_failed; JPEG fine.
  const Bytes wide = imgtest::write_jpeg(imgtest::smooth(17000, 2));
  Options o = small_options();
  o.variants[0].max_width = 0;
  o.variants[0].max_height = 0;
  Result r = process(wide.data(), wide.size(), o);
  EXPECT_EQ(r.error, Error::encode_failed);
  EXPECT_NE(r.message.find("16383"), std::string::npos);
  o.variants[0].format = OutputFormat::jpeg;
  r = process(wide.data(), wide.size(), o);
  EXPECT_EQ(r.error, Error::ok) << r.message;
}

TEST(ImageBadInput, TooManyProgressiveScansAreRefused) {
  // A progressive JPEG whose last scan is repeated 600 times: libjpeg would decode every scan
  // (slow, quadratic in the worst case); the decoder stops at 500 scans.
  const Bytes file = imgtest::write_jpeg(imgtest::smooth(64, 48), imgtest::JpegOpts{90, true});
  std::size_t last_sos = 0;
  for (std::size_t i = 2; i + 1 < file.size(); ++i) {
    if (file[i] == 0xFF && file[i + 1] == 0xDA) last_sos = i;
  }
  ASSERT_GT(last_sos, 0u);
  const std::size_t eoi = file.size() - 2;
  Bytes hostile(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(last_sos));
  for (int i = 0; i < 600; ++i) hostile.insert(hostile.end(), file.begin() + last_sos, file.begin() + eoi);
  hostile.insert(hostile.end(), file.begin() + eoi, file.end());
  const Result r = process(hostile.data(), hostile.size(), small_options());
  EXPECT_EQ(r.error, Error::corrupt_image);
  EXPECT_NE(r.message.find("500 scans"), std::string::npos) << r.message;
}

TEST(ImageBadInput, JpegOutputTooWideFailsCleanly) {
  // 66000x1 PNG -> JPEG at original size: above JPEG's 65500 px limit.
  const Bytes wide = imgtest::write_png(imgtest::smooth(66000, 1));
  Options o = small_options();
  o.variants[0].max_width = 0;
  o.variants[0].max_height = 0;
  o.variants[0].format = OutputFormat::jpeg;
  const Result r = process(wide.data(), wide.size(), o);
  EXPECT_EQ(r.error, Error::encode_failed);
  EXPECT_NE(r.message.find("65500"), std::string::npos) << r.message;
}
