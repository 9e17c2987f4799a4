// Native timing of the image pipeline: a generated 12 MP (4000x3000) JPEG q90 to a 1920 px WebP
// q80 (and the thumb/medium/full set). `vs3image_bench [out.jpg]` also writes the test JPEG, for
// timing the same file under Node with the WASM module.
#include <chrono>
#include <cstdio>
#include <random>

#include "../../wasm/src/image/codecs.hpp"  // the stages, timed one by one
#include "image_helpers.hpp"
#include "vs3/image/image.hpp"

using namespace vs3::image;

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  imgtest::Img im = imgtest::smooth(4000, 3000);
  std::mt19937 rng(7);  // some texture, so the JPEG is photo-sized rather than trivially smooth
  for (auto& p : im.px) p = static_cast<std::uint8_t>(std::min(255, std::max(0, int(p) + int(rng() % 17) - 8)));
  imgtest::JpegOpts jo;
  jo.quality = 90;
  const imgtest::Bytes jpeg = imgtest::write_jpeg(im, jo);
  std::printf("input: 4000x3000 JPEG q90, %zu bytes\n", jpeg.size());
  if (argc > 1) {
    if (FILE* f = std::fopen(argv[1], "wb")) {
      std::fwrite(jpeg.data(), 1, jpeg.size(), f);
      std::fclose(f);
    }
  }
  Options one;
  VariantOptions v;
  v.name = "full";
  v.max_width = v.max_height = 1920;
  one.variants.push_back(v);
  Options three;
  for (auto [name, side] : {std::pair<const char*, std::uint32_t>{"thumb", 256}, {"medium", 1280}, {"full", 2560}}) {
    v.name = name;
    v.max_width = v.max_height = side;
    three.variants.push_back(v);
  }
  for (const auto& [label, opts] :
       {std::pair<const char*, const Options*>{"1920 webp q80", &one}, {"256+1280+2560 webp", &three}}) {
    double best = 1e9;
    Result r;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      r = process(jpeg.data(), jpeg.size(), *opts);
      best = std::min(best, ms_since(t0));
    }
    std::printf("%-20s %s  best of 3: %.1f ms;", label, error_code(r.error), best);
    for (const Variant& out : r.variants)
      std::printf(" %s %ux%u %zu B;", out.name.c_str(), out.width, out.height, out.data.size());
    std::printf("\n");
  }
  // Stage by stage for the 1920 case: decode (at 1/2 scale), resize, encode.
  Decoded d;
  std::string msg;
  auto t0 = std::chrono::steady_clock::now();
  decode_jpeg(jpeg.data(), jpeg.size(), &one, &d, &msg);
  const double t_dec = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  const Bitmap small = resize(view_of(d.bitmap), 1920, 1440);
  const double t_res = ms_since(t0);
  std::vector<std::uint8_t> out;
  t0 = std::chrono::steady_clock::now();
  encode_webp(view_of(small), one.variants[0], nullptr, &out, &msg);
  const double t_enc = ms_since(t0);
  std::printf("stages: decode %ux%u %.1f ms, resize to 1920x1440 %.1f ms, webp q80 m4 %.1f ms\n", d.bitmap.width,
              d.bitmap.height, t_dec, t_res, t_enc);
  return 0;
}
