// The image pipeline end to end on generated files: all 8 EXIF orientations (landscape and
// portrait) against a float reference, metadata stripping and ICC keeping, every input flavour
// (progressive/CMYK/grayscale/arithmetic JPEG, 16-bit/palette/alpha/interlaced PNG, lossy/lossless/
// alpha/animated WebP), output formats, several variants from one decode, probe.
#include "vs3/image/image.hpp"

#include <gtest/gtest.h>

#include "image_helpers.hpp"

using namespace vs3::image;
using imgtest::Bytes;
using imgtest::Img;

namespace {

VariantOptions variant(const char* name, std::uint32_t w, std::uint32_t h, OutputFormat f = OutputFormat::webp,
                       int quality = 80) {
  VariantOptions v;
  v.name = name;
  v.max_width = w;
  v.max_height = h;
  v.format = f;
  v.quality = quality;
  return v;
}
// Near-lossless output for pixel comparisons: lossless WebP.
VariantOptions exact(const char* name, std::uint32_t w, std::uint32_t h) {
  VariantOptions v = variant(name, w, h);
  v.lossless = true;
  v.method = 0;
  return v;
}
Options one(const VariantOptions& v) {
  Options o;
  o.variants.push_back(v);
  return o;
}
Result run(const Bytes& b, const Options& o) {
  return process(b.data(), b.size(), o);
}

}  // namespace

TEST(ImagePipeline, AllOrientationsLandscapeAndPortrait) {
  for (const auto& dims : {std::pair<std::uint32_t, std::uint32_t>{320, 240}, {240, 320}}) {
    const Img up = imgtest::smooth(dims.first, dims.second);
    // Upright box 160x160: landscape -> 160x120, portrait -> 120x160.
    const std::uint32_t ew = dims.first > dims.second ? 160 : 120, eh = dims.first > dims.second ? 120 : 160;
    const Img ref = imgtest::reference_resize(up, ew, eh);
    for (int o = 1; o <= 8; ++o) {
      const Bytes exif = imgtest::exif_tiff(o);
      imgtest::JpegOpts jo;
      jo.quality = 97;
      jo.exif = &exif;
      const Bytes file = imgtest::write_jpeg(imgtest::stored_for(up, o), jo);
      const Result r = run(file, one(exact("t", 160, 160)));
      ASSERT_EQ(r.error, Error::ok) << r.message;
      EXPECT_EQ(r.info.orientation, o);
      EXPECT_EQ(r.info.width, o >= 5 ? dims.second : dims.first);
      ASSERT_EQ(r.variants.size(), 1u);
      EXPECT_EQ(r.variants[0].width, ew) << "orientation " << o;
      EXPECT_EQ(r.variants[0].height, eh) << "orientation " << o;
      const Img out = imgtest::decode(r.variants[0].data);
      EXPECT_GE(imgtest::psnr(out, ref), 35.0) << "orientation " << o << " " << dims.first << "x" << dims.second;
    }
  }
}

TEST(ImagePipeline, OrientationFromPngAndWebp) {
  const Img up = imgtest::smooth(120, 90);
  const Img ref = imgtest::reference_resize(up, 60, 45);
  for (int o : {3, 6, 8}) {
    const Bytes exif = imgtest::exif_tiff(o, true);
    imgtest::PngOpts po;
    po.exif = &exif;
    imgtest::WebpOpts wo;
    wo.lossless = true;
    wo.exif = &exif;
    for (const Bytes& file :
         {imgtest::write_png(imgtest::stored_for(up, o), po), imgtest::write_webp(imgtest::stored_for(up, o), wo)}) {
      const Result r = run(file, one(exact("t", 60, 60)));
      ASSERT_EQ(r.error, Error::ok) << r.message;
      EXPECT_EQ(r.info.orientation, o) << r.info.mime;
      ASSERT_EQ(r.variants.size(), 1u);
      EXPECT_EQ(r.variants[0].width, 60u);
      EXPECT_EQ(r.variants[0].height, 45u);
      EXPECT_GE(imgtest::psnr(imgtest::decode(r.variants[0].data), ref), 35.0) << r.info.mime << " " << o;
    }
  }
}

TEST(ImagePipeline, AutoOrientOffKeepsStoredLayout) {
  const Img up = imgtest::smooth(80, 60);
  const Bytes exif = imgtest::exif_tiff(6);
  imgtest::JpegOpts jo;
  jo.exif = &exif;
  Options o = one(variant("t", 0, 0));
  o.auto_orient = false;
  const Result r = run(imgtest::write_jpeg(imgtest::stored_for(up, 6), jo), o);
  ASSERT_EQ(r.error, Error::ok) << r.message;
  EXPECT_EQ(r.info.orientation, 6);
  EXPECT_EQ(r.variants[0].width, 60u);  // stored: 60x80
  EXPECT_EQ(r.variants[0].height, 80u);
}

TEST(ImagePipeline, StripsExifGpsCommentsAndText) {
  const Img im = imgtest::smooth(64, 48);
  const Bytes exif = imgtest::exif_tiff(1);
  const Bytes icc = imgtest::icc_profile();
  imgtest::JpegOpts jo;
  jo.exif = &exif;
  jo.icc = &icc;
  jo.comment = true;
  imgtest::PngOpts po;
  po.exif = &exif;
  po.icc = &icc;
  po.text = true;
  imgtest::WebpOpts wo;
  wo.exif = &exif;
  wo.icc = &icc;
  for (const Bytes& file : {imgtest::write_jpeg(im, jo), imgtest::write_png(im, po), imgtest::write_webp(im, wo)}) {
    ASSERT_TRUE(imgtest::contains(file, "vs3cam-secret"));
    Options o;
    o.variants = {variant("w", 32, 32), variant("j", 32, 32, OutputFormat::jpeg)};
    const Result r = run(file, o);
    ASSERT_EQ(r.error, Error::ok) << r.message;
    EXPECT_TRUE(r.info.has_icc) << r.info.mime;
    ASSERT_EQ(r.variants.size(), 2u);
    for (const Variant& v : r.variants) {
      for (const char* s : {"vs3cam-secret", "Exif", "vs3-comment", "vs3-text-secret", "vs3-icc-marker"}) {
        EXPECT_FALSE(imgtest::contains(v.data, s)) << s << " in " << v.mime << " from " << r.info.mime;
      }
    }
    EXPECT_FALSE(imgtest::webp_has_chunk(r.variants[0].data, "EXIF"));
    EXPECT_FALSE(imgtest::webp_has_chunk(r.variants[0].data, "ICCP"));
    EXPECT_FALSE(imgtest::webp_has_chunk(r.variants[0].data, "XMP "));
    EXPECT_FALSE(imgtest::jpeg_has_marker(r.variants[1].data, 0xE1));  // APP1: Exif / XMP
    EXPECT_FALSE(imgtest::jpeg_has_marker(r.variants[1].data, 0xE2));  // APP2: ICC
    EXPECT_FALSE(imgtest::jpeg_has_marker(r.variants[1].data, 0xFE));  // COM
  }
}

TEST(ImagePipeline, KeepsIccOnlyWhenAsked) {
  const Img im = imgtest::smooth(64, 48);
  const Bytes icc = imgtest::icc_profile();
  imgtest::JpegOpts jo;
  jo.icc = &icc;
  imgtest::PngOpts po;
  po.icc = &icc;
  imgtest::WebpOpts wo;
  wo.icc = &icc;
  for (const Bytes& file : {imgtest::write_jpeg(im, jo), imgtest::write_png(im, po), imgtest::write_webp(im, wo)}) {
    Options o;
    o.keep_icc = true;
    o.variants = {variant("w", 32, 32), variant("j", 32, 32, OutputFormat::jpeg)};
    const Result r = run(file, o);
    ASSERT_EQ(r.error, Error::ok) << r.message;
    EXPECT_EQ(imgtest::webp_icc(r.variants[0].data), icc) << r.info.mime;
    EXPECT_EQ(imgtest::jpeg_icc(r.variants[1].data), icc) << r.info.mime;
    EXPECT_FALSE(imgtest::webp_has_chunk(r.variants[0].data, "EXIF"));
  }
  // keep_icc with an input that has none: nothing added.
  Options o = one(variant("w", 32, 32));
  o.keep_icc = true;
  const Result r = run(imgtest::write_jpeg(im), o);
  ASSERT_EQ(r.error, Error::ok);
  EXPECT_FALSE(r.info.has_icc);
  EXPECT_TRUE(imgtest::webp_icc(r.variants[0].data).empty());
}

TEST(ImagePipeline, JpegFlavours) {
  const Img im = imgtest::smooth(200, 150);
  const Img ref = imgtest::reference_resize(im, 100, 75);
  struct Case {
    const char* name;
    imgtest::JpegOpts o;
    bool gray;
  };
  imgtest::JpegOpts prog, cmyk, plain_cmyk, arith, gray;
  prog.progressive = true;
  cmyk.cmyk = true;
  plain_cmyk.cmyk = true;
  plain_cmyk.adobe = false;
  arith.arithmetic = true;
  arith.progressive = true;
  const Case cases[] = {
      {"progressive", prog, false}, {"cmyk", cmyk, false}, {"arithmetic", arith, false}, {"gray", gray, true}};
  for (const Case& c : cases) {
    const Bytes file = imgtest::write_jpeg(c.gray ? imgtest::to_gray(im) : im, c.o);
    const Result r = run(file, one(exact("t", 100, 100)));
    ASSERT_EQ(r.error, Error::ok) << c.name << ": " << r.message;
    EXPECT_STREQ(r.info.mime, "image/jpeg");
    EXPECT_EQ(r.variants[0].width, 100u);
    EXPECT_EQ(r.variants[0].height, 75u);
    const Img out = imgtest::decode(r.variants[0].data);
    if (c.gray) {
      // Gray in, RGB out with R == G == B, close to the gray reference.
      for (std::size_t i = 0; i < out.px.size(); i += 3) {
        ASSERT_EQ(out.px[i], out.px[i + 1]);
        ASSERT_EQ(out.px[i], out.px[i + 2]);
      }
    } else {
      EXPECT_GE(imgtest::psnr(out, ref), 33.0) << c.name;
    }
  }
}

TEST(ImagePipeline, PngFlavours) {
  const Img rgb = imgtest::smooth(90, 60), rgba = imgtest::smooth(90, 60, 4);
  imgtest::PngOpts p16, pal, inter, plain;
  p16.depth = 16;
  pal.palette = true;
  inter.interlace = true;
  // 16-bit RGB, 16-bit RGBA, palette+tRNS, interlaced RGBA, gray: decode at full size, compare.
  struct Case {
    const char* name;
    Img im;
    imgtest::PngOpts o;
    bool alpha;
  } cases[] = {{"16-bit", rgb, p16, false},
               {"16-bit rgba", rgba, p16, true},
               {"palette trns", rgba, pal, true},
               {"interlaced rgba", rgba, inter, true},
               {"gray", imgtest::to_gray(rgb), plain, false}};
  for (const Case& c : cases) {
    const Result r = run(imgtest::write_png(c.im, c.o), one(exact("t", 0, 0)));
    ASSERT_EQ(r.error, Error::ok) << c.name << ": " << r.message;
    EXPECT_EQ(r.info.has_alpha, c.alpha) << c.name;
    const Img out = imgtest::decode(r.variants[0].data);
    ASSERT_EQ(out.w, 90u);
    ASSERT_EQ(out.h, 60u);
    EXPECT_EQ(out.ch, c.alpha ? 4 : 3) << c.name;
    if (std::string(c.name) == "16-bit" || std::string(c.name) == "16-bit rgba") {
      // 16 -> 8 bits rounds back to the 8-bit source (within 1).
      for (std::uint32_t y = 0; y < 60; ++y) {
        for (std::uint32_t x = 0; x < 90; ++x) {
          for (int k = 0; k < c.im.ch; ++k) ASSERT_NEAR(out.at(x, y)[k], c.im.at(x, y)[k], 1) << c.name;
        }
      }
    }
    if (std::string(c.name) == "gray") {
      for (std::uint32_t y = 0; y < 60; ++y) {
        for (std::uint32_t x = 0; x < 90; ++x) ASSERT_EQ(out.at(x, y)[1], c.im.at(x, y)[0]);
      }
    }
  }
}

TEST(ImagePipeline, WebpFlavoursAndAnimation) {
  const Img rgb = imgtest::smooth(90, 60), rgba = imgtest::smooth(90, 60, 4);
  imgtest::WebpOpts lossless;
  lossless.lossless = true;
  for (const auto& c :
       {std::make_pair(imgtest::write_webp(rgb), false), std::make_pair(imgtest::write_webp(rgba), true),
        std::make_pair(imgtest::write_webp(rgba, lossless), true)}) {
    const Result r = run(c.first, one(exact("t", 45, 45)));
    ASSERT_EQ(r.error, Error::ok) << r.message;
    EXPECT_EQ(r.info.has_alpha, c.second);
    EXPECT_FALSE(r.info.animated);
    EXPECT_EQ(r.info.frames, 1u);
    EXPECT_EQ(r.variants[0].width, 45u);
    EXPECT_EQ(r.variants[0].height, 30u);
    EXPECT_GE(imgtest::psnr(imgtest::decode(r.variants[0].data), imgtest::reference_resize(rgb, 45, 30)),
              c.second ? 0.0 : 33.0);
  }
  // Lossless in, lossless out at the same size: exact.
  const Result r = run(imgtest::write_webp(rgba, lossless), one(exact("t", 0, 0)));
  ASSERT_EQ(r.error, Error::ok);
  EXPECT_EQ(imgtest::decode(r.variants[0].data).px, rgba.px);

  const Bytes anim = imgtest::write_animated_webp(40, 30, 3);
  const Result a = run(anim, one(exact("t", 0, 0)));
  ASSERT_EQ(a.error, Error::ok) << a.message;
  EXPECT_TRUE(a.info.animated);
  EXPECT_EQ(a.info.frames, 3u);
  const Img first = imgtest::decode(a.variants[0].data);
  ASSERT_EQ(first.w, 40u);
  EXPECT_EQ(first.at(5, 5)[0], 0);  // frame 0 is (0, 255, 40)
  EXPECT_EQ(first.at(5, 5)[1], 255);
  EXPECT_EQ(first.at(5, 5)[2], 40);
}

TEST(ImagePipeline, AlphaKeptInWebpAndFlattenedOnWhiteInJpeg) {
  Img im = imgtest::smooth(40, 40, 4);
  for (std::uint32_t y = 0; y < 40; ++y) {
    for (std::uint32_t x = 0; x < 20; ++x) im.at(x, y)[3] = 0;  // left half transparent
  }
  Options o;
  o.variants = {exact("w", 0, 0), variant("j", 0, 0, OutputFormat::jpeg, 95)};
  const Result r = run(imgtest::write_png(im), o);
  ASSERT_EQ(r.error, Error::ok) << r.message;
  const Img w = imgtest::decode(r.variants[0].data), j = imgtest::decode(r.variants[1].data);
  ASSERT_EQ(w.ch, 4);
  EXPECT_EQ(w.at(5, 5)[3], 0);
  EXPECT_EQ(w.at(30, 5)[3], im.at(30, 5)[3]);
  ASSERT_EQ(j.ch, 3);
  EXPECT_GE(j.at(5, 5)[0], 250);  // transparent -> white
  EXPECT_GE(j.at(5, 5)[1], 250);
  EXPECT_GE(j.at(5, 5)[2], 250);
}

TEST(ImagePipeline, SeveralVariantsFromOneDecodeNoUpscale) {
  const Img im = imgtest::smooth(1200, 800);
  Options o;
  o.variants = {variant("thumb", 256, 256), variant("medium", 640, 640, OutputFormat::jpeg, 85),
                variant("full", 2560, 2560), variant("tall", 0, 100)};
  o.variants[1].progressive = true;
  const Result r = run(imgtest::write_jpeg(im), o);
  ASSERT_EQ(r.error, Error::ok) << r.message;
  ASSERT_EQ(r.variants.size(), 4u);
  EXPECT_EQ(r.variants[0].name, "thumb");
  EXPECT_EQ(r.variants[0].width, 256u);
  EXPECT_EQ(r.variants[0].height, 171u);
  EXPECT_STREQ(r.variants[0].mime, "image/webp");
  EXPECT_EQ(r.variants[1].width, 640u);
  EXPECT_EQ(r.variants[1].height, 427u);
  EXPECT_STREQ(r.variants[1].mime, "image/jpeg");
  EXPECT_EQ(r.variants[2].width, 1200u);  // never enlarged
  EXPECT_EQ(r.variants[2].height, 800u);
  EXPECT_EQ(r.variants[3].width, 150u);
  EXPECT_EQ(r.variants[3].height, 100u);
  for (const Variant& v : r.variants) {
    const Img d = imgtest::decode(v.data);
    EXPECT_EQ(d.w, v.width);
    EXPECT_EQ(d.h, v.height);
    EXPECT_GE(imgtest::psnr(d, imgtest::reference_resize(im, v.width, v.height)), 30.0) << v.name;
  }
  // Progressive JPEG output: SOF2.
  EXPECT_TRUE(imgtest::jpeg_has_marker(r.variants[1].data, 0xC2));
}

TEST(ImagePipeline, QualityAndMethodChangeTheOutput) {
  const Img im = imgtest::smooth(300, 200);
  const Bytes file = imgtest::write_png(im);
  Options lo = one(variant("a", 0, 0, OutputFormat::webp, 10)), hi = one(variant("a", 0, 0, OutputFormat::webp, 95));
  const Result a = run(file, lo), b = run(file, hi);
  ASSERT_EQ(a.error, Error::ok);
  ASSERT_EQ(b.error, Error::ok);
  EXPECT_LT(a.variants[0].data.size(), b.variants[0].data.size());
  EXPECT_GT(imgtest::psnr(imgtest::decode(b.variants[0].data), im),
            imgtest::psnr(imgtest::decode(a.variants[0].data), im));
}

TEST(ImagePipeline, ProbeReadsHeadersOnly) {
  const Bytes exif = imgtest::exif_tiff(8);
  const Bytes icc = imgtest::icc_profile();
  imgtest::JpegOpts jo;
  jo.exif = &exif;
  jo.icc = &icc;
  Result r;
  const Bytes jpeg = imgtest::write_jpeg(imgtest::smooth(64, 32), jo);
  r = probe(jpeg.data(), jpeg.size());
  ASSERT_EQ(r.error, Error::ok) << r.message;
  EXPECT_STREQ(r.info.mime, "image/jpeg");
  EXPECT_EQ(r.info.width, 64u);
  EXPECT_EQ(r.info.height, 32u);
  EXPECT_EQ(r.info.orientation, 8);
  EXPECT_TRUE(r.info.has_icc);
  EXPECT_FALSE(r.info.has_alpha);
  EXPECT_EQ(r.info.frames, 1u);
  EXPECT_TRUE(r.variants.empty());

  const Bytes png = imgtest::write_png(imgtest::smooth(33, 22, 4));
  r = probe(png.data(), png.size());
  ASSERT_EQ(r.error, Error::ok);
  EXPECT_STREQ(r.info.mime, "image/png");
  EXPECT_EQ(r.info.width, 33u);
  EXPECT_TRUE(r.info.has_alpha);
  EXPECT_EQ(r.info.orientation, 1);

  const Bytes anim = imgtest::write_animated_webp(20, 10, 4);
  r = probe(anim.data(), anim.size());
  ASSERT_EQ(r.error, Error::ok);
  EXPECT_STREQ(r.info.mime, "image/webp");
  EXPECT_TRUE(r.info.animated);
  EXPECT_EQ(r.info.frames, 4u);
  EXPECT_EQ(r.info.width, 20u);
  EXPECT_EQ(r.info.height, 10u);
}

TEST(ImagePipeline, ErrorCodesAreStable) {
  EXPECT_STREQ(error_code(Error::ok), "");
  EXPECT_STREQ(error_code(Error::unsupported_image), "unsupported_image");
  EXPECT_STREQ(error_code(Error::corrupt_image), "corrupt_image");
  EXPECT_STREQ(error_code(Error::truncated_image), "truncated_image");
  EXPECT_STREQ(error_code(Error::image_too_large), "image_too_large");
  EXPECT_STREQ(error_code(Error::image_memory_limit), "image_memory_limit");
  EXPECT_STREQ(error_code(Error::bad_image_options), "bad_image_options");
  EXPECT_STREQ(error_code(Error::encode_failed), "encode_failed");
}
