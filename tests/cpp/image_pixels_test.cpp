// The format-independent parts of the image pipeline: EXIF orientation parsing, fit_box, the 8
// orientation transforms and the resizer against a double-precision Lanczos-3 reference.
#include "vs3/image/pixels.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "image_helpers.hpp"

using namespace vs3::image;
using imgtest::Img;

namespace {
View view(const Img& im) {
  return View{im.px.data(), im.w, im.h, im.ch, std::size_t(im.w) * im.ch};
}
Img img(const Bitmap& b) {
  Img im;
  im.w = b.width;
  im.h = b.height;
  im.ch = b.channels;
  im.px.assign(b.pixels.get(), b.pixels.get() + b.bytes());
  return im;
}
}  // namespace

TEST(ImageExif, ReadsOrientationBothByteOrders) {
  for (int o = 1; o <= 8; ++o) {
    const auto le = imgtest::exif_tiff(o, false), be = imgtest::exif_tiff(o, true);
    EXPECT_EQ(exif_orientation(le.data(), le.size()), o);
    EXPECT_EQ(exif_orientation(be.data(), be.size()), o);
    auto prefixed = std::vector<std::uint8_t>{'E', 'x', 'i', 'f', 0, 0};
    prefixed.insert(prefixed.end(), le.begin(), le.end());
    EXPECT_EQ(exif_orientation(prefixed.data(), prefixed.size()), o);
  }
  const auto none = imgtest::exif_tiff(0);
  EXPECT_EQ(exif_orientation(none.data(), none.size()), 1);
}

TEST(ImageExif, HostileBlocksGiveOne) {
  auto t = imgtest::exif_tiff(6);
  EXPECT_EQ(exif_orientation(nullptr, 0), 1);
  EXPECT_EQ(exif_orientation(t.data(), 7), 1);
  // Every truncation: never reads past the end (ASan checks), the answer is 6 or 1.
  for (std::size_t n = 0; n <= t.size(); ++n) {
    std::vector<std::uint8_t> cut(t.begin(), t.begin() + n);
    const auto o = exif_orientation(cut.data(), cut.size());
    EXPECT_TRUE(o == 1 || o == 6);
  }
  auto bad = t;
  bad[4] = 0xF0;  // IFD offset far outside
  EXPECT_EQ(exif_orientation(bad.data(), bad.size()), 1);
  bad = t;
  bad[8] = 0xFF;  // 255+ entries claimed
  bad[9] = 0xFF;
  EXPECT_EQ(exif_orientation(bad.data(), bad.size()), 6);  // entries inside the block still read
  bad = t;
  // The orientation entry (second in IFD0) with value 9: invalid.
  bad[10 + 12 + 8] = 9;
  EXPECT_EQ(exif_orientation(bad.data(), bad.size()), 1);
}

TEST(ImageFit, KeepsAspectNeverUpscales) {
  std::uint32_t w, h;
  fit_box(4000, 3000, 1920, 1920, &w, &h);
  EXPECT_EQ(w, 1920u);
  EXPECT_EQ(h, 1440u);
  fit_box(3000, 4000, 1920, 1920, &w, &h);
  EXPECT_EQ(w, 1440u);
  EXPECT_EQ(h, 1920u);
  fit_box(4000, 3000, 0, 300, &w, &h);
  EXPECT_EQ(w, 400u);
  EXPECT_EQ(h, 300u);
  fit_box(4000, 3000, 1000, 0, &w, &h);
  EXPECT_EQ(w, 1000u);
  EXPECT_EQ(h, 750u);
  fit_box(100, 80, 1000, 1000, &w, &h);
  EXPECT_EQ(w, 100u);
  EXPECT_EQ(h, 80u);
  fit_box(100, 80, 0, 0, &w, &h);
  EXPECT_EQ(w, 100u);
  EXPECT_EQ(h, 80u);
  fit_box(10000, 10, 100, 100, &w, &h);
  EXPECT_EQ(w, 100u);
  EXPECT_EQ(h, 1u);  // never 0
}

TEST(ImageOrient, AllEightMatchTheExifDefinition) {
  const Img up = imgtest::smooth(37, 23);
  for (int o = 1; o <= 8; ++o) {
    const Img stored = imgtest::stored_for(up, o);
    const Img back = img(orient(view(stored), o));
    ASSERT_EQ(back.w, up.w) << o;
    ASSERT_EQ(back.h, up.h) << o;
    EXPECT_EQ(back.px, up.px) << "orientation " << o;
  }
}

TEST(ImageResize, MatchesFloatReference) {
  const Img src = imgtest::smooth(640, 480);
  struct Case {
    std::uint32_t w, h;
  } cases[] = {{600, 450}, {320, 240}, {200, 150}, {97, 61}, {64, 48}, {640, 200}, {17, 480}};
  for (const Case& c : cases) {
    const Img out = img(resize(view(src), c.w, c.h));
    ASSERT_EQ(out.w, c.w);
    ASSERT_EQ(out.h, c.h);
    const double p = imgtest::psnr(out, imgtest::reference_resize(src, c.w, c.h));
    EXPECT_GE(p, 40.0) << c.w << "x" << c.h;
  }
}

TEST(ImageResize, LargeRatioUsesBoxAndStaysClose) {
  const Img src = imgtest::smooth(1600, 1200);
  const Img out = img(resize(view(src), 100, 75));  // 16x: box 8 then Lanczos 2x
  EXPECT_GE(imgtest::psnr(out, imgtest::reference_resize(src, 100, 75)), 38.0);
}

TEST(ImageResize, SameSizeIsIdentity) {
  const Img src = imgtest::smooth(50, 40);
  EXPECT_EQ(img(resize(view(src), 50, 40)).px, src.px);
}

TEST(ImageResize, PremultipliedAlphaHasNoFringe) {
  // Left half: transparent red (colour that must not bleed); right half: opaque blue.
  Img src;
  src.w = 64;
  src.h = 16;
  src.ch = 4;
  src.px.resize(64 * 16 * 4);
  for (std::uint32_t y = 0; y < 16; ++y) {
    for (std::uint32_t x = 0; x < 64; ++x) {
      std::uint8_t* p = src.at(x, y);
      if (x < 32) {
        p[0] = 255, p[1] = 0, p[2] = 0, p[3] = 0;
      } else {
        p[0] = 0, p[1] = 0, p[2] = 255, p[3] = 255;
      }
    }
  }
  for (std::uint32_t w : {21u, 8u}) {  // Lanczos only, and box + Lanczos
    const Img out = img(resize(view(src), w, 16 * w / 64 ? 16 * w / 64 : 1));
    for (std::uint32_t x = 0; x < out.w; ++x) {
      const std::uint8_t* p = out.at(x, 0);
      if (p[3] > 8) {
        EXPECT_LE(p[0], 8) << "red bleeds at x=" << x << " alpha " << int(p[3]);
        EXPECT_GE(p[2], 240) << x;
      }
    }
  }
}

TEST(ImageResize, ClampsRinging) {
  // A hard black/white edge: Lanczos overshoots; the output must be clamped, not wrapped.
  Img src;
  src.w = 100;
  src.h = 4;
  src.ch = 3;
  src.px.assign(100 * 4 * 3, 0);
  for (std::uint32_t y = 0; y < 4; ++y) {
    for (std::uint32_t x = 50; x < 100; ++x) std::memset(src.at(x, y), 255, 3);
  }
  const Img out = img(resize(view(src), 37, 2));
  for (std::uint32_t x = 0; x < 37; ++x) {
    if (x < 15) EXPECT_LE(out.at(x, 0)[0], 40) << x;
    if (x > 22) EXPECT_GE(out.at(x, 0)[0], 215) << x;
  }
}

TEST(ImageResize, OneAndTwoChannels) {
  // Gray and gray+alpha bitmaps (not produced by the decoders today) go through the scalar paths.
  for (int ch : {1, 2}) {
    Img src;
    src.w = 90;
    src.h = 60;
    src.ch = ch;
    src.px.resize(90 * 60 * ch);
    for (std::uint32_t y = 0; y < 60; ++y) {
      for (std::uint32_t x = 0; x < 90; ++x) {
        for (int c = 0; c < ch; ++c) src.at(x, y)[c] = static_cast<std::uint8_t>(c == 1 ? 255 : x * 2 + y);
      }
    }
    const Img out = img(resize(view(src), 30, 20));
    ASSERT_EQ(out.ch, ch);
    for (std::uint32_t y = 2; y < 18; ++y) {
      for (std::uint32_t x = 2; x < 28; ++x) {
        const int want = int(x * 3 + 1) * 2 + int(y * 3 + 1);  // a linear ramp resamples to itself
        EXPECT_NEAR(out.at(x, y)[0], want, 2) << ch << " " << x << "," << y;
        if (ch == 2) EXPECT_EQ(out.at(x, y)[1], 255);
      }
    }
    const Img turned = img(orient(view(src), 6));
    EXPECT_EQ(turned.w, 60u);
    EXPECT_EQ(turned.at(0, 0)[0], src.at(0, 59)[0]);
  }
}
