// The JPEG -> lossy WebP fast path: a YCbCr JPEG is decoded to raw Y, Cb, Cr planes (no upsampling,
// no colour conversion; 4:2:0 chroma stays subsampled even under DCT scaling), each plane is resized
// and oriented on its own and handed to libwebp as YUV. Checked here: when the decoder takes it
// (only when every variant is lossy WebP, only for YCbCr files) and the plane sizes it returns, that
// its output matches the float reference of the upright image as the RGB path's does (every
// sampling, DCT scale, orientation, odd sizes, progressive and restart intervals), the full-range
// to video-range mapping at black, white and grey, truncated files, and the decoder's vectorised
// 4x4 IDCT against libjpeg's (bit for bit).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include <turbojpeg.h>
}

#include "../../wasm/src/image/codecs.hpp"
#include "image_helpers.hpp"
#include "vs3/image/image.hpp"

using namespace vs3::image;
using imgtest::Bytes;
using imgtest::Img;

namespace {

VariantOptions webp(const char* name, std::uint32_t box, int quality = 100, bool lossless = false) {
  VariantOptions v;
  v.name = name;
  v.max_width = v.max_height = box;
  v.format = OutputFormat::webp;
  v.quality = quality;
  v.lossless = lossless;
  v.method = lossless ? 0 : 4;
  return v;
}
Options with(std::initializer_list<VariantOptions> vs) {
  Options o;
  o.variants = vs;
  return o;
}
imgtest::JpegOpts sampling(int h, int v) {
  imgtest::JpegOpts o;
  o.quality = 97;
  o.luma_h = h;
  o.luma_v = v;
  return o;
}
Decoded decode(const Bytes& file, const Options& o) {
  Decoded d;
  std::string msg;
  EXPECT_EQ(decode_jpeg(file.data(), file.size(), &o, &d, &msg), Error::ok) << msg;
  return d;
}

}  // namespace

TEST(ImageYcc, PlanesOnlyWhenEveryVariantIsLossyWebp) {
  const Img im = imgtest::smooth(400, 300);
  const Bytes f420 = imgtest::write_jpeg(im, sampling(2, 2));
  const Options lossy = with({webp("a", 200), webp("b", 64, 80)});
  Decoded d = decode(f420, lossy);
  EXPECT_TRUE(d.ycc);
  EXPECT_TRUE(d.bitmap.empty());
  for (const Options& o : {with({webp("a", 200, 80, true)}), with({webp("a", 200), webp("b", 64, 80, true)})}) {
    d = decode(f420, o);
    EXPECT_FALSE(d.ycc);
    EXPECT_EQ(d.bitmap.channels, 3);
  }
  Options mixed = lossy;
  mixed.variants[1].format = OutputFormat::jpeg;
  EXPECT_FALSE(decode(f420, mixed).ycc);
  // Not YCbCr: the RGB path.
  imgtest::JpegOpts cmyk;
  cmyk.cmyk = true;
  EXPECT_FALSE(decode(imgtest::write_jpeg(im, cmyk), lossy).ycc);
  const Decoded gray = decode(imgtest::write_jpeg(imgtest::to_gray(im), imgtest::JpegOpts()), lossy);
  EXPECT_FALSE(gray.ycc);
  EXPECT_EQ(gray.bitmap.channels, 3);
}

TEST(ImageYcc, PlaneSizesPerSamplingAndScale) {
  struct Case {
    int h, v;                    // luma sampling
    std::uint32_t w, ht, box;    // image and variant box
    std::uint32_t pw[3], ph[3];  // expected plane sizes
  };
  const Case cases[] = {
      // 4:2:0 at 1/2: chroma stays subsampled (libjpeg alone would return it at the luma size).
      {2, 2, 400, 300, 200, {200, 100, 100}, {150, 75, 75}},   {2, 2, 401, 301, 200, {201, 101, 101}, {151, 76, 76}},
      {2, 2, 400, 300, 50, {50, 25, 25}, {38, 19, 19}},         // 1/8
      {2, 2, 400, 300, 300, {300, 150, 150}, {225, 113, 113}},  // 6/8
      {2, 2, 400, 300, 0, {400, 200, 200}, {300, 150, 150}},    // no scaling
      {1, 1, 400, 300, 200, {200, 200, 200}, {150, 150, 150}},  // 4:4:4
      {2, 1, 400, 300, 200, {200, 100, 100}, {150, 150, 150}},  // 4:2:2
      {1, 2, 400, 300, 200, {200, 200, 200}, {150, 75, 75}},    // 4:4:0
  };
  for (const Case& c : cases) {
    const Bytes f = imgtest::write_jpeg(imgtest::smooth(c.w, c.ht), sampling(c.h, c.v));
    const Decoded d = decode(f, with({webp("a", c.box)}));
    ASSERT_TRUE(d.ycc) << c.h << "x" << c.v << " box " << c.box;
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(d.plane_w[i], c.pw[i]) << "plane " << i << " " << c.h << "x" << c.v << " " << c.w << " box " << c.box;
      EXPECT_EQ(d.plane_h[i], c.ph[i]) << "plane " << i << " " << c.h << "x" << c.v << " " << c.ht << " box " << c.box;
      EXPECT_GE(d.planes[i].width, d.plane_w[i]);
      EXPECT_GE(d.planes[i].height, d.plane_h[i]);
    }
  }
}

TEST(ImageYcc, MatchesTheReferenceForEverySamplingScaleAndOrientation) {
  const std::pair<int, int> samplings[] = {{2, 2}, {2, 1}, {1, 2}, {1, 1}};
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{320, 240}, {237, 181}};
  int n = 0;
  for (const auto& s : samplings) {
    for (const auto& dims : sizes) {
      const Img up = imgtest::smooth(dims.first, dims.second);
      for (int o = 1; o <= 8; ++o) {
        for (std::uint32_t box : {0u, 160u, 100u, 40u}) {
          const Bytes exif = imgtest::exif_tiff(o);
          imgtest::JpegOpts jo = sampling(s.first, s.second);
          jo.exif = &exif;
          jo.progressive = (n % 3) == 1;
          jo.restart = (n % 3) == 2 ? 3 : 0;
          ++n;
          const Bytes file = imgtest::write_jpeg(imgtest::stored_for(up, o), jo);
          const Result r = process(file.data(), file.size(), with({webp("t", box)}));
          ASSERT_EQ(r.error, Error::ok) << r.message;
          std::uint32_t ew, eh;
          fit_box(up.w, up.h, box, box, &ew, &eh);
          ASSERT_EQ(r.variants[0].width, ew);
          ASSERT_EQ(r.variants[0].height, eh);
          const Img out = imgtest::decode(r.variants[0].data);
          EXPECT_GE(imgtest::psnr(out, imgtest::reference_resize(up, ew, eh)), 35.0)
              << "sampling " << s.first << "x" << s.second << ", " << dims.first << "x" << dims.second
              << ", orientation " << o << ", box " << box;
        }
      }
    }
  }
}

TEST(ImageYcc, SeveralVariantsFromOnePlaneDecode) {
  const Img im = imgtest::smooth(640, 480);
  const Bytes file = imgtest::write_jpeg(im, sampling(2, 2));
  const Result r = process(file.data(), file.size(), with({webp("full", 0), webp("medium", 320), webp("thumb", 64)}));
  ASSERT_EQ(r.error, Error::ok) << r.message;
  ASSERT_EQ(r.variants.size(), 3u);
  for (const Variant& v : r.variants) {
    EXPECT_STREQ(v.mime, "image/webp");
    EXPECT_GE(imgtest::psnr(imgtest::decode(v.data), imgtest::reference_resize(im, v.width, v.height)), 35.0) << v.name;
  }
  EXPECT_EQ(r.variants[0].width, 640u);
  EXPECT_EQ(r.variants[1].width, 320u);
  EXPECT_EQ(r.variants[2].height, 48u);
}

// JFIF stores full-range values, VP8 video-range ones: black, white and mid grey come back as they
// went in (a missing or wrong mapping shifts them by up to 16 levels, or clips).
TEST(ImageYcc, FullRangeMapsToVideoRange) {
  for (const std::uint8_t level : {std::uint8_t(0), std::uint8_t(128), std::uint8_t(255)}) {
    Img flat = imgtest::smooth(64, 64);
    for (auto& p : flat.px) p = level;
    const Bytes file = imgtest::write_jpeg(flat, sampling(2, 2));
    const Result r = process(file.data(), file.size(), with({webp("t", 32)}));
    ASSERT_EQ(r.error, Error::ok) << r.message;
    const Img out = imgtest::decode(r.variants[0].data);
    for (const std::uint8_t p : out.px) ASSERT_NEAR(int(p), int(level), 2) << "level " << int(level);
  }
  // Saturated colours keep their hue and stay inside 0..255 (chroma mapping and clamping).
  Img red = imgtest::smooth(64, 64);
  for (std::size_t i = 0; i < red.px.size(); i += 3) {
    red.px[i] = 230;
    red.px[i + 1] = 20;
    red.px[i + 2] = 30;
  }
  const Bytes file = imgtest::write_jpeg(red, sampling(2, 2));
  const Result r = process(file.data(), file.size(), with({webp("t", 32)}));
  ASSERT_EQ(r.error, Error::ok) << r.message;
  const Img out = imgtest::decode(r.variants[0].data);
  for (std::size_t i = 0; i < out.px.size(); i += 3) {
    ASSERT_NEAR(int(out.px[i]), 230, 6);
    ASSERT_NEAR(int(out.px[i + 1]), 20, 6);
    ASSERT_NEAR(int(out.px[i + 2]), 30, 6);
  }
}

TEST(ImageYcc, TruncatedFilesFailCleanly) {
  const Bytes file = imgtest::write_jpeg(imgtest::smooth(96, 80), sampling(2, 2));
  const Options o = with({webp("t", 48)});
  for (std::size_t n = 0; n < file.size(); n += (n < 700 ? 1 : 7)) {
    const Result r = process(file.data(), n, o);
    ASSERT_NE(r.error, Error::ok) << "cut at " << n;
    EXPECT_TRUE(r.variants.empty());
    EXPECT_FALSE(r.message.empty());
  }
  // Cut just before EOI: every row was decoded, the end is missing.
  const Result r = process(file.data(), file.size() - 2, o);
  EXPECT_EQ(r.error, Error::truncated_image) << r.message;
}
// Closer than the float reference: against the RGB path's lossless output of the same variant,
// the YCbCr path must be as close as the RGB path's own lossy output (both are 4:2:0 lossy WebP).
// Odd output sizes in every orientation: the chroma grid's overhang moves with the flips, and a
// chroma plane resized as in/out (or anchored at the wrong end) is off by up to a pixel (~33 dB).
TEST(ImageYcc, ChromaStaysOnTheLumaGridAtOddSizesInEveryOrientation) {
  for (const auto& s : {std::pair<int, int>{2, 2}, {1, 1}, {2, 1}}) {
    const Img up = imgtest::smooth(237, 181);
    for (int o = 1; o <= 8; ++o) {
      const Bytes exif = imgtest::exif_tiff(o);
      imgtest::JpegOpts jo = sampling(s.first, s.second);
      jo.exif = &exif;
      const Bytes file = imgtest::write_jpeg(imgtest::stored_for(up, o), jo);
      for (std::uint32_t box : {40u, 119u}) {
        Options rgb_lossy = with({webp("t", box), webp("j", 16)});
        rgb_lossy.variants[1].format = OutputFormat::jpeg;  // a JPEG variant: the RGB path
        const Result ycc = process(file.data(), file.size(), with({webp("t", box)}));
        const Result rgb = process(file.data(), file.size(), rgb_lossy);
        const Result exact = process(file.data(), file.size(), with({webp("t", box, 100, true)}));
        ASSERT_EQ(ycc.error, Error::ok) << ycc.message;
        ASSERT_EQ(rgb.error, Error::ok) << rgb.message;
        ASSERT_EQ(exact.error, Error::ok) << exact.message;
        const Img ref = imgtest::decode(exact.variants[0].data);
        const double p_ycc = imgtest::psnr(imgtest::decode(ycc.variants[0].data), ref);
        const double p_rgb = imgtest::psnr(imgtest::decode(rgb.variants[0].data), ref);
        EXPECT_GE(p_ycc, 40.0) << s.first << "x" << s.second << " orientation " << o << " box " << box;
        EXPECT_GE(p_ycc, p_rgb - 1.0) << s.first << "x" << s.second << " orientation " << o << " box " << box;
      }
    }
  }
}

// The decoder's vectorised 4x4 IDCT (the 1/2-scale decode) against libjpeg's own, through
// TurboJPEG (which runs libjpeg's C jpeg_idct_4x4): the same bytes, for the raw planes and for RGB.
TEST(ImageYcc, VectorIdctIsBitExact) {
  for (const auto& s : {std::pair<int, int>{2, 2}, {1, 1}}) {
    imgtest::JpegOpts jo = sampling(s.first, s.second);
    jo.quality = 90;
    const Img im = imgtest::smooth(333, 251);
    Img noisy = im;
    for (std::size_t i = 0; i < noisy.px.size(); ++i)
      noisy.px[i] = std::uint8_t(noisy.px[i] ^ ((i * 2654435761u) >> 29));
    const Bytes file = imgtest::write_jpeg(noisy, jo);
    tjhandle tj = tjInitDecompress();
    ASSERT_NE(tj, nullptr);
    const tjscalingfactor half = {1, 2};
    const int w = TJSCALED(333, half), h = TJSCALED(251, half);
    // Raw planes: ours (Decoded::ycc) and tjDecompressToYUVPlanes at 1/2.
    const Decoded d = decode(file, with({webp("a", std::uint32_t(w))}));
    ASSERT_TRUE(d.ycc);
    ASSERT_EQ(d.plane_w[0], std::uint32_t(w));
    int subsamp = 0, jw = 0, jh = 0, cs = 0;
    ASSERT_EQ(tjDecompressHeader3(tj, file.data(), static_cast<unsigned long>(file.size()), &jw, &jh, &subsamp, &cs),
              0);
    std::vector<std::uint8_t> planes[3];
    unsigned char* dst[3];
    int strides[3];
    for (int i = 0; i < 3; ++i) {
      strides[i] = tjPlaneWidth(i, w, subsamp);
      planes[i].resize(std::size_t(strides[i]) * tjPlaneHeight(i, h, subsamp));
      dst[i] = planes[i].data();
    }
    ASSERT_EQ(tjDecompressToYUVPlanes(tj, file.data(), static_cast<unsigned long>(file.size()), dst, w, strides, h, 0),
              0)
        << tjGetErrorStr2(tj);
    for (int i = 0; i < 3; ++i) {
      const View v = d.plane(i);  // TurboJPEG pads its planes to whole MCUs; compare the image part
      ASSERT_LE(v.width, std::uint32_t(strides[i]));
      ASSERT_LE(std::size_t(v.height) * strides[i], planes[i].size());
      for (std::uint32_t y = 0; y < v.height; ++y)
        ASSERT_EQ(std::memcmp(v.pixels + y * v.stride, planes[i].data() + std::size_t(y) * strides[i], v.width), 0)
            << "plane " << i << " row " << y << " sampling " << s.first << "x" << s.second;
    }
    // RGB at 1/2 (a JPEG variant keeps the RGB path): ours and tjDecompress2.
    Options rgb = with({webp("a", std::uint32_t(w))});
    rgb.variants[0].format = OutputFormat::jpeg;
    const Decoded r = decode(file, rgb);
    ASSERT_FALSE(r.ycc);
    std::vector<std::uint8_t> px(std::size_t(w) * h * 3);
    ASSERT_EQ(tjDecompress2(tj, file.data(), static_cast<unsigned long>(file.size()), px.data(), w, 0, h, TJPF_RGB, 0),
              0);
    ASSERT_EQ(r.bitmap.width, std::uint32_t(w));
    EXPECT_EQ(std::memcmp(r.bitmap.pixels.get(), px.data(), px.size()), 0) << "sampling " << s.first << "x" << s.second;
    tjDestroy(tj);
  }
}

// A JPEG whose frame has three components but whose only scan holds the first (a non-interleaved
// sequential file cut after its first scan, EOI appended): libjpeg accepts it and runs the IDCT of
// the other two on an all-zero table; they never get a quant table, so the vectorised IDCT must
// not be installed for them (it read quant_table->quantval: a null dereference).
TEST(ImageYcc, ComponentsWithoutAScanDecode) {
  imgtest::JpegOpts jo;
  jo.separate_scans = true;
  Bytes file = imgtest::write_jpeg(imgtest::smooth(64, 48), jo);
  // Cut at the second SOS marker and end the file there.
  int sos = 0;
  std::size_t cut = 0;
  for (std::size_t i = 2; i + 1 < file.size() && !cut; ++i) {
    if (file[i] == 0xFF && file[i + 1] == 0xDA && ++sos == 2) cut = i;
  }
  ASSERT_GT(cut, 0u);
  file.resize(cut);
  file.push_back(0xFF);
  file.push_back(0xD9);
  Options rgb = with({webp("a", 32), webp("b", 16)});
  rgb.variants[1].format = OutputFormat::jpeg;
  for (const Options& o : {with({webp("a", 32)}), rgb}) {  // the plane path, then the RGB path, at 1/2
    const Result r = process(file.data(), file.size(), o);
    ASSERT_EQ(r.error, Error::ok) << r.message;
    EXPECT_EQ(r.variants[0].width, 32u);
  }
}
