// Native timing of the image pipeline: a generated 12 MP (4000x3000) JPEG q90 to a 1920 px WebP
// q80 (and the thumb/medium/full set). `vs3image_bench [out.jpg [busy.jpg]]` also writes the test
// JPEGs, for timing the same files under Node with the WASM module. Two inputs: "smooth" (a
// gradient with light texture: 2.1 MB, a ~21 KB WebP) and "busy" (400 shapes, 6,000 strokes and
// sensor-like noise, like tests/bench/image.mjs's Chromium source: ~4.5 MB, a ~370 KB WebP),
// where the WebP encoder's time is twice the smooth one's. The stage split (decode at 1/2 DCT scale,
// resize, encode; for the YCbCr path the pipeline takes and for the RGB one) is best of 3 per stage.
#include <algorithm>
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

imgtest::Bytes make_jpeg(bool busy) {
  constexpr int W = 4000, H = 3000;
  imgtest::Img im = imgtest::smooth(W, H);
  std::mt19937 rng(7);
  if (!busy) {  // some texture, so the JPEG is photo-sized rather than trivially smooth
    for (auto& p : im.px) p = static_cast<std::uint8_t>(std::min(255, std::max(0, int(p) + int(rng() % 17) - 8)));
  } else {
    for (int s = 0; s < 400; ++s) {  // soft discs, blended half over the gradient
      const int cx = rng() % W, cy = rng() % H, r = 20 + rng() % 200;
      const int col[3] = {int(rng() % 256), int(rng() % 256), int(rng() % 256)};
      for (int y = std::max(0, cy - r); y < std::min(H, cy + r); ++y)
        for (int x = std::max(0, cx - r); x < std::min(W, cx + r); ++x) {
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) >= r * r) continue;
          std::uint8_t* p = &im.px[(std::size_t(y) * W + x) * 3];
          for (int k = 0; k < 3; ++k) p[k] = static_cast<std::uint8_t>((p[k] + col[k]) / 2);
        }
    }
    for (int s = 0; s < 6000; ++s) {  // 1 px grey strokes
      int x = rng() % W, y = rng() % H;
      const int len = 20 + rng() % 200, dx = int(rng() % 3) - 1, dy = int(rng() % 3) - 1;
      const auto c = static_cast<std::uint8_t>(rng() % 256);
      for (int i = 0; i < len; ++i) {
        x += dx;
        y += dy;
        if (x < 0 || y < 0 || x >= W || y >= H) break;
        std::uint8_t* p = &im.px[(std::size_t(y) * W + x) * 3];
        p[0] = p[1] = p[2] = c;
      }
    }
    // Noise with sigma ~8.5 (a sum of three uniforms: the same bytes under libstdc++ and libc++).
    for (auto& p : im.px) {
      const int n = int(rng() % 17) + int(rng() % 17) + int(rng() % 17) - 24;
      p = static_cast<std::uint8_t>(std::min(255, std::max(0, int(p) + n)));
    }
  }
  imgtest::JpegOpts jo;
  jo.quality = 90;
  return imgtest::write_jpeg(im, jo);
}

void write_file(const char* path, const imgtest::Bytes& b) {
  if (FILE* f = std::fopen(path, "wb")) {
    std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
  }
}

void run(const char* name, const imgtest::Bytes& jpeg) {
  std::printf("input %s: 4000x3000 JPEG q90, %zu bytes\n", name, jpeg.size());
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
  // Stage by stage for the 1920 case, best of 3 each: the YCbCr path the pipeline takes (raw
  // planes at 1/2 DCT scale, each plane resized, encoded from YUV), then the RGB path it takes for
  // other outputs (decode to RGB, resize, WebP's own RGB import and encode).
  Options rgb = one;
  rgb.variants[0].format = OutputFormat::jpeg;  // only to make the decoder produce RGB
  double t_dec = 1e9, t_res = 1e9, t_enc = 1e9, r_dec = 1e9, r_res = 1e9, r_enc = 1e9;
  Decoded d;
  std::vector<std::uint8_t> out;
  std::string msg;
  for (int i = 0; i < 3; ++i) {
    d = Decoded();
    auto t0 = std::chrono::steady_clock::now();
    decode_jpeg(jpeg.data(), jpeg.size(), &one, &d, &msg);
    t_dec = std::min(t_dec, ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    Bitmap planes[3];
    View views[3];
    for (int k = 0; k < 3; ++k) {
      planes[k] = resize(d.plane(k), k ? 960 : 1920, k ? 720 : 1440);
      views[k] = view_of(planes[k]);
    }
    t_res = std::min(t_res, ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    encode_webp_ycc(views, one.variants[0], nullptr, &out, &msg);
    t_enc = std::min(t_enc, ms_since(t0));
  }
  std::printf(
      "ycc stages (best of 3): decode Y %ux%u + 2x %ux%u %.1f ms, resize to 1920x1440 %.1f ms, webp q80 m%d %.1f ms "
      "(%zu B)\n",
      d.plane_w[0], d.plane_h[0], d.plane_w[1], d.plane_h[1], t_dec, t_res, one.variants[0].method, t_enc, out.size());
  Decoded dr;
  for (int i = 0; i < 3; ++i) {
    dr = Decoded();
    auto t0 = std::chrono::steady_clock::now();
    decode_jpeg(jpeg.data(), jpeg.size(), &rgb, &dr, &msg);
    r_dec = std::min(r_dec, ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    const Bitmap small = resize(view_of(dr.bitmap), 1920, 1440);
    r_res = std::min(r_res, ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    encode_webp(view_of(small), one.variants[0], nullptr, &out, &msg);
    r_enc = std::min(r_enc, ms_since(t0));
  }
  std::printf(
      "rgb stages (best of 3): decode %ux%u %.1f ms, resize to 1920x1440 %.1f ms, webp q80 m%d %.1f ms (%zu B)\n",
      dr.bitmap.width, dr.bitmap.height, r_dec, r_res, one.variants[0].method, r_enc, out.size());
}

}  // namespace

int main(int argc, char** argv) {
  const imgtest::Bytes smooth = make_jpeg(false), busy = make_jpeg(true);
  if (argc > 1) write_file(argv[1], smooth);
  if (argc > 2) write_file(argv[2], busy);
  run("smooth", smooth);
  run("busy", busy);
  return 0;
}
