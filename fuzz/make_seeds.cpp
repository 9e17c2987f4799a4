// fuzz/make_seeds.cpp: writes the seed corpus of the libFuzzer harnesses, so nothing binary is
// committed. scripts/fuzz.sh builds it against the same codec libraries as the harnesses
// (build/image-libs/fuzz) and runs it as
//   make_seeds <dir>      -> <dir>/{jpeg,png,webp,exif,sniff}/<name>
// Small images (at most a few KiB, well under -max_len) of every flavour the pipeline decodes,
// written by the GoogleTest image tests' helpers (tests/cpp/image_helpers.cpp, linked in):
//   JPEG  baseline 4:2:0 and 4:4:4, progressive, grayscale, CMYK (Adobe) and YCCK, arithmetic
//         coding, restart markers; with and without EXIF (orientations 1-8, GPS) and ICC (APP2)
//   PNG   8- and 16-bit RGB/RGBA, gray 1/8/16-bit, gray+alpha, palette 1/2/4/8-bit with tRNS,
//         RGB and gray with a tRNS colour key, Adam7 interlaced; with and without eXIf and iCCP
//   WebP  lossy, lossless, lossy + alpha, animated (lossy and lossless); with and without EXIF/ICCP
//   EXIF  TIFF blocks: little- and big-endian, orientations 1-8, GPS IFD, with/without "Exif\0\0"
//   sniff every file above, each signature the sniffer knows, markup openings (BOM, UTF-16, case)
// Exits non-zero if a library refuses to encode (an empty output here; libjpeg and libpng exit or
// abort on their own), which also smoke-tests the fuzz build of the libs.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "../tests/cpp/image_helpers.hpp"

namespace {

using imgtest::Bytes;
using imgtest::Img;
std::string g_dir;
int g_files = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

void put(const std::string& corpus, const std::string& name, const Bytes& b) {
  const std::string path = g_dir + "/" + corpus + "/" + name;
  if (b.empty()) die("nothing encoded for " + path);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) die("cannot write " + path);
  ++g_files;
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <dir>\n");
    return 2;
  }
  g_dir = argv[1];
  std::vector<std::pair<std::string, Bytes>> images;  // also sniff seeds
  auto image = [&](const std::string& corpus, const std::string& name, const Bytes& b) {
    put(corpus, name, b);
    images.emplace_back(corpus + "-" + name, b);
  };

  // JPEG
  const Bytes icc = imgtest::icc_profile();
  auto jpeg = [](const Img& im, imgtest::JpegOpts o) {
    o.quality = 75;
    return imgtest::write_jpeg(im, o);
  };
  imgtest::JpegOpts s;
  image("jpeg", "baseline-420.jpg", jpeg(imgtest::smooth(40, 24), s));
  s.full_chroma = true;
  image("jpeg", "baseline-444-odd-size.jpg", jpeg(imgtest::smooth(33, 17), s));
  s = {};
  s.progressive = true;
  image("jpeg", "progressive.jpg", jpeg(imgtest::smooth(48, 32), s));
  s = {};
  image("jpeg", "gray.jpg", jpeg(imgtest::to_gray(imgtest::smooth(40, 24)), s));
  s.progressive = true;
  const Bytes exif6_mm = imgtest::exif_tiff(6, true, false);
  s.exif = &exif6_mm;
  image("jpeg", "gray-progressive-exif6.jpg", jpeg(imgtest::to_gray(imgtest::smooth(24, 40)), s));
  s = {};
  s.cmyk = true;
  s.ycck = false;
  image("jpeg", "cmyk.jpg", jpeg(imgtest::smooth(32, 24), s));
  s.ycck = true;
  s.icc = &icc;
  image("jpeg", "ycck-icc.jpg", jpeg(imgtest::smooth(32, 24), s));
  s = {};
  s.arithmetic = true;
  image("jpeg", "arithmetic.jpg", jpeg(imgtest::smooth(40, 24), s));
  s = {};
  s.restart = 1;
  s.icc = &icc;
  image("jpeg", "restart-icc.jpg", jpeg(imgtest::smooth(40, 24), s));
  for (int o = 1; o <= 8; ++o) {
    const bool gps = o % 3 == 0;
    const Bytes e = imgtest::exif_tiff(o, o % 2 == 0, gps);
    s = {};
    s.exif = &e;
    s.progressive = o == 8;
    image("jpeg", "exif" + std::to_string(o) + (gps ? "-gps" : "") + ".jpg", jpeg(imgtest::smooth(36, 20), s));
  }

  // PNG: ch 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette: quantised from it, tRNS if it has alpha)
  struct PngSeed {
    const char* name;
    int ch, depth;
    bool palette, interlace, trns, icc;
    int orientation;  // 0: no eXIf
  };
  const PngSeed pngs[] = {
      {"rgb8.png", 3, 8, false, false, false, false, 0},
      {"rgba8.png", 4, 8, false, false, false, false, 0},
      {"rgb16.png", 3, 16, false, false, false, false, 0},
      {"rgba16.png", 4, 16, false, false, false, true, 0},
      {"gray1.png", 1, 1, false, false, false, false, 0},
      {"gray8-trns.png", 1, 8, false, false, true, false, 0},
      {"gray16.png", 1, 16, false, false, false, false, 0},
      {"gray-alpha8.png", 2, 8, false, false, false, false, 0},
      {"palette1.png", 3, 1, true, false, false, false, 0},
      {"palette2-trns.png", 4, 2, true, false, false, false, 0},
      {"palette4.png", 3, 4, true, true, false, false, 0},
      {"palette8-trns.png", 4, 8, true, false, false, false, 0},
      {"rgb8-trns.png", 3, 8, false, false, true, false, 0},
      {"rgb8-interlaced.png", 3, 8, false, true, false, false, 0},
      {"rgba16-interlaced-icc.png", 4, 16, false, true, false, true, 0},
      {"rgb8-exif6-icc.png", 3, 8, false, false, false, true, 6},
      {"rgba8-exif3.png", 4, 8, false, false, false, false, 3},
      {"gray8-exif8.png", 1, 8, false, true, false, false, 8},
  };
  for (const PngSeed& p : pngs) {
    const std::uint32_t w = p.interlace ? 23 : 40, h = 19;
    const Img im = p.ch == 1 ? imgtest::to_gray(imgtest::smooth(w, h)) : imgtest::smooth(w, h, p.ch);
    const Bytes e =
        p.orientation ? imgtest::exif_tiff(p.orientation, p.orientation % 2 == 1, p.orientation > 4) : Bytes();
    imgtest::PngOpts o;
    o.depth = p.depth;
    o.palette = p.palette;
    o.interlace = p.interlace;
    o.trns = p.trns;
    o.icc = p.icc ? &icc : nullptr;
    o.exif = p.orientation ? &e : nullptr;
    image("png", p.name, imgtest::write_png(im, o));
  }

  // WebP
  auto webp = [](const Img& im, bool lossless, const Bytes* exif_chunk, const Bytes* icc_chunk) {
    return imgtest::write_webp(im, imgtest::WebpOpts{lossless, 70, exif_chunk, icc_chunk});
  };
  const Img rgb = imgtest::smooth(40, 24), rgba = imgtest::smooth(40, 24, 4);
  image("webp", "lossy.webp", webp(rgb, false, nullptr, nullptr));
  image("webp", "lossy-alpha.webp", webp(rgba, false, nullptr, nullptr));
  image("webp", "lossless.webp", webp(imgtest::smooth(33, 17), true, nullptr, nullptr));
  image("webp", "lossless-alpha.webp", webp(rgba, true, nullptr, nullptr));
  const Bytes exif6 = imgtest::exif_tiff(6, true, true);
  image("webp", "lossy-exif6-icc.webp", webp(imgtest::smooth(24, 40), false, &exif6, &icc));
  const Bytes exif3_prefixed = imgtest::exif_app1(imgtest::exif_tiff(3, false, false));  // as some writers do
  image("webp", "lossless-exif3-prefixed.webp", webp(rgba, true, &exif3_prefixed, nullptr));
  image("webp", "lossy-icc.webp", webp(rgba, false, nullptr, &icc));
  // Frames with alpha and different content: upright, turned 180 degrees, mirrored.
  auto frames = [](std::uint32_t w, std::uint32_t h, int n) {
    const Img up = imgtest::smooth(w, h, 4);
    std::vector<Img> f;
    for (int o : {1, 3, 2}) {
      if (int(f.size()) < n) f.push_back(imgtest::stored_for(up, o));
    }
    return f;
  };
  image("webp", "animated-lossy.webp", imgtest::write_animated_webp(frames(32, 24, 3), imgtest::AnimOpts{false, 60}));
  image("webp", "animated-lossless.webp", imgtest::write_animated_webp(frames(24, 16, 2), imgtest::AnimOpts{true, 60}));

  // EXIF blocks for the orientation reader
  for (int o = 1; o <= 8; ++o) {
    put("exif", "ii-" + std::to_string(o), imgtest::exif_tiff(o, false, o % 2 == 0));
    put("exif", "mm-" + std::to_string(o), imgtest::exif_tiff(o, true, o % 2 == 1));
  }
  put("exif", "prefixed-ii-6", imgtest::exif_app1(imgtest::exif_tiff(6, false, true)));
  put("exif", "prefixed-mm-8", imgtest::exif_app1(imgtest::exif_tiff(8, true, false)));
  put("exif", "orientation-9", imgtest::exif_tiff(9, false, false));

  // sniff: the first byte is the length of a declared type taken from the next bytes (fuzz_sniff.cpp).
  auto sniff_seed = [](const std::string& declared, const Bytes& head) {
    Bytes b = {std::uint8_t(declared.size())};
    b.insert(b.end(), declared.begin(), declared.end());
    b.insert(b.end(), head.begin(), std::min(head.end(), head.begin() + 1024));
    return b;
  };
  for (const auto& [name, b] : images) {
    const std::string type = name.rfind("jpeg", 0) == 0  ? "image/jpeg"
                             : name.rfind("png", 0) == 0 ? "image/png"
                                                         : "image/webp";
    put("sniff", name, sniff_seed(name.size() % 2 ? type : "text/plain", b));
  }
  const std::pair<const char*, Bytes> heads[] = {
      {"gif", text(std::string("GIF89a\x01\0\x01\0", 10))},
      {"riff-wave", text(std::string("RIFF\x24\0\0\0WAVEfmt ", 16))},
      {"riff-avi", text(std::string("RIFF\x24\0\0\0AVI LIST", 16))},
      {"ftyp-heic", text(std::string("\0\0\0\x18"
                                     "ftypheic\0\0\0\0mif1heic",
                                     24))},
      {"ftyp-avif", text(std::string("\0\0\0\x1c"
                                     "ftypavif\0\0\0\0avifmif1miaf",
                                     28))},
      {"ftyp-qt", text(std::string("\0\0\0\x14"
                                   "ftypqt  \0\0\0\0qt  ",
                                   20))},
      {"bmp", text(std::string("BM\x36\0\0\0\0\0\0\0\x36\0\0\0(\0\0\0", 18))},
      {"tiff", text(std::string("II*\0\x08\0\0\0", 8))},
      {"ico", text(std::string("\0\0\1\0\1\0", 6))},
      {"jxl", text(std::string("\0\0\0\x0cJXL \r\n\x87\n", 12))},
      {"pdf", text("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")},
      {"zip", text(std::string("PK\3\4\x14\0\0\0", 8))},
      {"gzip", text(std::string("\x1f\x8b\x08\0", 4))},
      {"7z", text(std::string("7z\xbc\xaf\x27\x1c\0\4", 8))},
      {"xz", text(std::string("\xfd"
                              "7zXZ\0\0",
                              7))},
      {"zstd", text(std::string("\x28\xb5\x2f\xfd", 4))},
      {"webm", text(std::string("\x1a\x45\xdf\xa3", 4))},
      {"ogg", text("OggS")},
      {"mp3", text(std::string("\xff\xfb\x90\x64", 4))},
      {"wasm", text(std::string("\0asm\1\0\0\0", 8))},
      {"elf", text(std::string("\x7f"
                               "ELF\2\1\1",
                               7))},
      {"pe", text(std::string("MZ\x90\0", 4))},
      {"macho", text(std::string("\xcf\xfa\xed\xfe", 4))},
      {"shebang", text("#!/bin/sh\necho hi\n")},
      {"html", text("<!DOCTYPE html><html><body>hi")},
      {"svg", text("\xef\xbb\xbf <?xml version=\"1.0\"?>\n<!-- c --><svg:svg xmlns:svg=\"x\">")},
      {"xhtml", text("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">")},
      {"xml", text("<?xml version=\"1.0\"?><note><to>x</to></note>")},
      {"utf16be-svg", text(std::string("\xfe\xff\0<\0s\0v\0g\0>", 12))},
      {"utf16le-html", text(std::string("\xff\xfe<\0h\0t\0m\0l\0>\0", 14))},
      {"text", text("just some text, a,b,c\n1,2,3\n")},
  };
  const char* declared[] = {"image/png",      "text/plain", "application/octet-stream",
                            "Image/JPG; q=1", "text/xml",   "application/vnd.oasis.opendocument.text",
                            " video/mp4 "};
  int k = 0;
  for (const auto& [name, head] : heads) {
    put("sniff", std::string(name), sniff_seed(declared[k++ % 7], head));
  }
  Bytes tar(600, 0);
  std::memcpy(&tar[0], "file.txt", 8);
  std::memcpy(&tar[257], "ustar", 5);
  put("sniff", "tar", sniff_seed("application/x-tar", tar));

  std::printf("make_seeds: %d files in %s/{jpeg,png,webp,exif,sniff}\n", g_files, g_dir.c_str());
  return 0;
}
