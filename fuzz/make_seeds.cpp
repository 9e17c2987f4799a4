// fuzz/make_seeds.cpp: writes the seed corpus of the libFuzzer harnesses, so nothing binary is
// committed. scripts/fuzz.sh builds it against the same codec libraries as the harnesses
// (build/image-libs/fuzz) and runs it as
//   make_seeds <dir>      -> <dir>/{jpeg,png,webp,exif,sniff}/<name>
// Small images (at most a few KiB, well under -max_len) of every flavour the pipeline decodes:
//   JPEG  baseline 4:2:0 and 4:4:4, progressive, grayscale, CMYK (Adobe) and YCCK, arithmetic
//         coding, restart markers; with and without EXIF (orientations 1-8, GPS) and ICC (APP2)
//   PNG   8- and 16-bit RGB/RGBA, gray 1/8/16-bit, gray+alpha, palette 1/2/4/8-bit with tRNS,
//         Adam7 interlaced; with and without eXIf and iCCP
//   WebP  lossy, lossless, lossy + alpha, animated (lossy and lossless); with and without EXIF/ICCP
//   EXIF  TIFF blocks: little- and big-endian, orientations 1-8, GPS IFD, with/without "Exif\0\0"
//   sniff every file above, each signature the sniffer knows, markup openings (BOM, UTF-16, case)
// Exits non-zero if a library refuses to encode, which also smoke-tests the fuzz build of the libs.
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses size_t and FILE

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
std::string g_dir;
int g_files = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

void put(const std::string& corpus, const std::string& name, const Bytes& b) {
  const std::string path = g_dir + "/" + corpus + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) die("cannot write " + path);
  ++g_files;
}

// An image with structure (gradients, a diagonal edge, noise) so the encoders produce real data.
Bytes pixels(int w, int h, int channels, int seed) {
  Bytes p(std::size_t(w) * h * channels);
  std::uint32_t r = 0x9e3779b9u * std::uint32_t(seed + 1);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      r = r * 1664525u + 1013904223u;
      std::uint8_t* px = &p[(std::size_t(y) * w + x) * channels];
      const int noise = int(r >> 28);
      for (int c = 0; c < channels; ++c) {
        int v = c == 0 ? x * 255 / (w - 1) : c == 1 ? y * 255 / (h - 1) : (x > y ? 200 : 40);
        if (c == 3) v = (x + y) * 255 / (w + h - 2);  // alpha ramp
        px[c] = std::uint8_t(std::min(255, v + noise));
      }
    }
  }
  return p;
}

// --- EXIF (TIFF) blocks ------------------------------------------------------------------------
struct Tiff {
  bool big_endian;
  Bytes b;
  void u16(std::uint32_t v) {
    if (big_endian) {
      b.push_back(std::uint8_t(v >> 8));
      b.push_back(std::uint8_t(v));
    } else {
      b.push_back(std::uint8_t(v));
      b.push_back(std::uint8_t(v >> 8));
    }
  }
  void u32(std::uint32_t v) {
    if (big_endian) {
      u16(v >> 16);
      u16(v & 0xffff);
    } else {
      u16(v & 0xffff);
      u16(v >> 16);
    }
  }
  // A 12-byte IFD entry whose value fits in 4 bytes.
  void entry(std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::uint32_t value) {
    u16(tag);
    u16(type);
    u32(count);
    if (type == 3 && count == 1) {  // SHORT: left-justified in the value field
      u16(value);
      u16(0);
    } else {
      u32(value);
    }
  }
};

// Orientation (and Make, and a GPS IFD with a latitude when gps) in IFD0.
Bytes exif(int orientation, bool big_endian, bool gps) {
  Tiff t{big_endian, {}};
  t.b.insert(t.b.end(), big_endian ? "MM" : "II", (big_endian ? "MM" : "II") + 2);
  t.u16(42);
  t.u32(8);  // IFD0 right after the header
  const std::uint16_t n = gps ? 3 : 2;
  const std::uint32_t ifd0_end = 8 + 2 + 12 * n + 4;
  t.u16(n);
  t.entry(0x010f, 2, 4, big_endian ? 0x76733300u : 0x00337376u);  // Make "vs3\0" (inline)
  t.entry(0x0112, 3, 1, std::uint32_t(orientation));
  if (gps) t.entry(0x8825, 4, 1, ifd0_end);  // GPS IFD pointer
  t.u32(0);                                  // no IFD1
  if (gps) {
    const std::uint32_t rationals = ifd0_end + 2 + 12 * 2 + 4;
    t.u16(2);
    t.entry(0x0001, 2, 2, big_endian ? 0x4e000000u : 0x0000004eu);  // GPSLatitudeRef "N"
    t.entry(0x0002, 5, 3, rationals);                               // GPSLatitude: 3 rationals
    t.u32(0);
    for (std::uint32_t v : {48u, 1u, 51u, 1u, 2400u, 100u}) t.u32(v);
  }
  return t.b;
}

Bytes with_exif_prefix(const Bytes& tiff) {
  Bytes b = {'E', 'x', 'i', 'f', 0, 0};
  b.insert(b.end(), tiff.begin(), tiff.end());
  return b;
}

// A minimal valid ICC v2 display profile header (no tags): libpng checks this much.
Bytes icc_profile() {
  Bytes p(132, 0);
  auto be32 = [&](std::size_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) p[at + k] = std::uint8_t(v >> (24 - 8 * k));
  };
  be32(0, 132);
  be32(8, 0x02100000);                      // version 2.1
  std::memcpy(&p[12], "mntrRGB XYZ ", 12);  // class, colour space, PCS
  std::memcpy(&p[36], "acsp", 4);
  be32(68, 0x0000f6d6);  // D50 illuminant
  be32(72, 0x00010000);
  be32(76, 0x0000d32d);
  return p;
}

// --- JPEG ----------------------------------------------------------------------------------------
struct JpegSpec {
  J_COLOR_SPACE in = JCS_RGB;
  J_COLOR_SPACE out = JCS_YCbCr;
  int components = 3;
  bool progressive = false, arithmetic = false, full_chroma = false;
  int restart = 0;
  int orientation = 0;  // 0: no EXIF
  bool gps = false, icc = false;
};

void jpeg_error_exit(j_common_ptr cinfo) {
  char msg[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, msg);
  die(std::string("libjpeg: ") + msg);
}

Bytes make_jpeg(const JpegSpec& s, int w, int h) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  err.error_exit = jpeg_error_exit;
  jpeg_create_compress(&c);
  unsigned char* mem = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &mem, &size);
  c.image_width = JDIMENSION(w);
  c.image_height = JDIMENSION(h);
  c.input_components = s.components;
  c.in_color_space = s.in;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, s.out);
  jpeg_set_quality(&c, 75, TRUE);
  if (s.progressive) jpeg_simple_progression(&c);
  c.arith_code = s.arithmetic ? TRUE : FALSE;
  c.restart_interval = JDIMENSION(s.restart);
  if (s.full_chroma && s.out == JCS_YCbCr) c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
  jpeg_start_compress(&c, TRUE);
  if (s.orientation) {
    const Bytes e = with_exif_prefix(exif(s.orientation, s.orientation % 2 == 0, s.gps));
    jpeg_write_marker(&c, JPEG_APP0 + 1, e.data(), unsigned(e.size()));
  }
  if (s.icc) {
    const Bytes p = icc_profile();
    jpeg_write_icc_profile(&c, p.data(), unsigned(p.size()));
  }
  const Bytes px = pixels(w, h, s.components, w * 7 + h);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(&px[std::size_t(c.next_scanline) * w * s.components]);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  Bytes out(mem, mem + size);
  jpeg_destroy_compress(&c);
  std::free(mem);
  return out;
}

// --- PNG -----------------------------------------------------------------------------------------
struct PngSpec {
  int color_type = PNG_COLOR_TYPE_RGB;
  int depth = 8;
  bool interlaced = false, trns = false, icc = false;
  int orientation = 0;  // 0: no eXIf
};

void png_error_fn(png_structp, png_const_charp msg) {
  die(std::string("libpng: ") + msg);
}
void png_write_fn(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

Bytes make_png(const PngSpec& s, int w, int h) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_fn, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, png_write_fn, nullptr);
  png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), s.depth, s.color_type,
               s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  const int entries = s.color_type == PNG_COLOR_TYPE_PALETTE ? 1 << std::min(s.depth, 8) : 0;
  if (entries) {
    std::vector<png_color> pal(static_cast<std::size_t>(entries));
    std::vector<png_byte> alpha(static_cast<std::size_t>(entries));
    for (int i = 0; i < entries; ++i) {
      pal[std::size_t(i)] =
          png_color{png_byte(i * 255 / (entries - 1)), png_byte(255 - i * 255 / (entries - 1)), png_byte(i * 37)};
      alpha[std::size_t(i)] = png_byte(i * 255 / (entries - 1));
    }
    png_set_PLTE(png, info, pal.data(), entries);
    if (s.trns) png_set_tRNS(png, info, alpha.data(), entries, nullptr);
  } else if (s.trns) {
    png_color_16 key{};
    key.red = key.green = key.blue = key.gray = 0;
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  if (s.icc) {
    const Bytes p = icc_profile();
    const bool gray = !(s.color_type & PNG_COLOR_MASK_COLOR);
    if (!gray) png_set_iCCP(png, info, "vs3", 0, p.data(), png_uint_32(p.size()));
  }
  Bytes e;
  if (s.orientation) {
    e = exif(s.orientation, s.orientation % 2 == 1, s.orientation > 4);
    png_set_eXIf_1(png, info, png_uint_32(e.size()), e.data());
  }
  png_write_info(png, info);
  const int channels = png_get_channels(png, info);
  const std::size_t rowbytes = png_get_rowbytes(png, info);
  const Bytes px = pixels(w, h, std::max(channels, 1), w + 3 * h);
  // Rows in the file's own layout: samples of `depth` bits (big-endian for 16), palette indices.
  std::vector<Bytes> rows(std::size_t(h), Bytes(rowbytes, 0));
  for (int y = 0; y < h; ++y) {
    Bytes& row = rows[std::size_t(y)];
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c) {
        const std::uint8_t v = px[(std::size_t(y) * w + x) * channels + c];
        if (s.depth == 16) {
          row[(std::size_t(x) * channels + c) * 2] = v;
          row[(std::size_t(x) * channels + c) * 2 + 1] = std::uint8_t(v ^ 0x5a);
        } else if (s.depth == 8) {
          row[std::size_t(x) * channels + c] = v;
        } else {  // 1, 2, 4 bits, one channel
          const int per = 8 / s.depth, shift = 8 - s.depth * (1 + x % per);
          row[std::size_t(x / per)] |= std::uint8_t((v >> (8 - s.depth)) << shift);
        }
      }
    }
  }
  std::vector<png_bytep> pointers;
  for (Bytes& r : rows) pointers.push_back(r.data());
  png_write_image(png, pointers.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

// --- WebP ----------------------------------------------------------------------------------------
Bytes webp_mux(const Bytes& image, int orientation, bool icc) {
  if (!orientation && !icc) return image;
  WebPMux* mux = WebPMuxNew();
  WebPData img{image.data(), image.size()};
  if (WebPMuxSetImage(mux, &img, 1) != WEBP_MUX_OK) die("WebPMuxSetImage");
  Bytes e, p;
  if (orientation) {
    e = exif(orientation, orientation > 4, orientation == 6);
    if (orientation == 3) e = with_exif_prefix(e);  // some writers keep the JPEG-style prefix
    WebPData d{e.data(), e.size()};
    if (WebPMuxSetChunk(mux, "EXIF", &d, 1) != WEBP_MUX_OK) die("WebPMuxSetChunk EXIF");
  }
  if (icc) {
    p = icc_profile();
    WebPData d{p.data(), p.size()};
    if (WebPMuxSetChunk(mux, "ICCP", &d, 1) != WEBP_MUX_OK) die("WebPMuxSetChunk ICCP");
  }
  WebPData out;
  WebPDataInit(&out);
  if (WebPMuxAssemble(mux, &out) != WEBP_MUX_OK) die("WebPMuxAssemble");
  Bytes b(out.bytes, out.bytes + out.size);
  WebPDataClear(&out);
  WebPMuxDelete(mux);
  return b;
}

Bytes make_webp(bool lossless, bool alpha, int w, int h) {
  const int ch = alpha ? 4 : 3;
  const Bytes px = pixels(w, h, ch, w * h);
  std::uint8_t* out = nullptr;
  std::size_t n = 0;
  if (lossless) {
    n = alpha ? WebPEncodeLosslessRGBA(px.data(), w, h, w * ch, &out)
              : WebPEncodeLosslessRGB(px.data(), w, h, w * ch, &out);
  } else {
    n = alpha ? WebPEncodeRGBA(px.data(), w, h, w * ch, 70, &out) : WebPEncodeRGB(px.data(), w, h, w * ch, 70, &out);
  }
  if (n == 0) die("WebPEncode");
  Bytes b(out, out + n);
  WebPFree(out);
  return b;
}

Bytes make_animated_webp(bool lossless, int w, int h, int frames) {
  WebPAnimEncoderOptions ao;
  if (!WebPAnimEncoderOptionsInit(&ao)) die("WebPAnimEncoderOptionsInit");
  ao.anim_params.loop_count = 0;
  WebPAnimEncoder* enc = WebPAnimEncoderNew(w, h, &ao);
  if (!enc) die("WebPAnimEncoderNew");
  WebPConfig cfg;
  if (!WebPConfigInit(&cfg)) die("WebPConfigInit");
  cfg.lossless = lossless ? 1 : 0;
  cfg.quality = 60;
  cfg.method = 0;
  int t = 0;
  for (int f = 0; f < frames; ++f, t += 100) {
    WebPPicture pic;
    if (!WebPPictureInit(&pic)) die("WebPPictureInit");
    pic.use_argb = 1;
    pic.width = w;
    pic.height = h;
    const Bytes px = pixels(w, h, 4, f * 11 + 5);
    if (!WebPPictureImportRGBA(&pic, px.data(), w * 4)) die("WebPPictureImportRGBA");
    if (!WebPAnimEncoderAdd(enc, &pic, t, &cfg)) die("WebPAnimEncoderAdd");
    WebPPictureFree(&pic);
  }
  WebPAnimEncoderAdd(enc, nullptr, t, nullptr);
  WebPData out;
  WebPDataInit(&out);
  if (!WebPAnimEncoderAssemble(enc, &out)) die("WebPAnimEncoderAssemble");
  Bytes b(out.bytes, out.bytes + out.size);
  WebPDataClear(&out);
  WebPAnimEncoderDelete(enc);
  return b;
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
  JpegSpec base;
  image("jpeg", "baseline-420.jpg", make_jpeg(base, 40, 24));
  JpegSpec s = base;
  s.full_chroma = true;
  image("jpeg", "baseline-444-odd-size.jpg", make_jpeg(s, 33, 17));
  s = base;
  s.progressive = true;
  image("jpeg", "progressive.jpg", make_jpeg(s, 48, 32));
  s = base;
  s.in = JCS_GRAYSCALE;
  s.out = JCS_GRAYSCALE;
  s.components = 1;
  image("jpeg", "gray.jpg", make_jpeg(s, 40, 24));
  s.progressive = true;
  s.orientation = 6;
  image("jpeg", "gray-progressive-exif6.jpg", make_jpeg(s, 24, 40));
  s = base;
  s.in = JCS_CMYK;
  s.out = JCS_CMYK;
  s.components = 4;
  image("jpeg", "cmyk.jpg", make_jpeg(s, 32, 24));
  s.out = JCS_YCCK;
  s.icc = true;
  image("jpeg", "ycck-icc.jpg", make_jpeg(s, 32, 24));
  s = base;
  s.arithmetic = true;
  image("jpeg", "arithmetic.jpg", make_jpeg(s, 40, 24));
  s = base;
  s.restart = 1;
  s.icc = true;
  image("jpeg", "restart-icc.jpg", make_jpeg(s, 40, 24));
  for (int o = 1; o <= 8; ++o) {
    s = base;
    s.orientation = o;
    s.gps = o % 3 == 0;
    s.progressive = o == 8;
    image("jpeg", "exif" + std::to_string(o) + (s.gps ? "-gps" : "") + ".jpg", make_jpeg(s, 36, 20));
  }

  // PNG
  struct {
    const char* name;
    PngSpec spec;
  } pngs[] = {
      {"rgb8.png", {PNG_COLOR_TYPE_RGB, 8, false, false, false, 0}},
      {"rgba8.png", {PNG_COLOR_TYPE_RGBA, 8, false, false, false, 0}},
      {"rgb16.png", {PNG_COLOR_TYPE_RGB, 16, false, false, false, 0}},
      {"rgba16.png", {PNG_COLOR_TYPE_RGBA, 16, false, false, true, 0}},
      {"gray1.png", {PNG_COLOR_TYPE_GRAY, 1, false, false, false, 0}},
      {"gray8-trns.png", {PNG_COLOR_TYPE_GRAY, 8, false, true, false, 0}},
      {"gray16.png", {PNG_COLOR_TYPE_GRAY, 16, false, false, false, 0}},
      {"gray-alpha8.png", {PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, false, false, 0}},
      {"palette1.png", {PNG_COLOR_TYPE_PALETTE, 1, false, false, false, 0}},
      {"palette2-trns.png", {PNG_COLOR_TYPE_PALETTE, 2, false, true, false, 0}},
      {"palette4.png", {PNG_COLOR_TYPE_PALETTE, 4, true, false, false, 0}},
      {"palette8-trns.png", {PNG_COLOR_TYPE_PALETTE, 8, false, true, false, 0}},
      {"rgb8-trns.png", {PNG_COLOR_TYPE_RGB, 8, false, true, false, 0}},
      {"rgb8-interlaced.png", {PNG_COLOR_TYPE_RGB, 8, true, false, false, 0}},
      {"rgba16-interlaced-icc.png", {PNG_COLOR_TYPE_RGBA, 16, true, false, true, 0}},
      {"rgb8-exif6-icc.png", {PNG_COLOR_TYPE_RGB, 8, false, false, true, 6}},
      {"rgba8-exif3.png", {PNG_COLOR_TYPE_RGBA, 8, false, false, false, 3}},
      {"gray8-exif8.png", {PNG_COLOR_TYPE_GRAY, 8, true, false, false, 8}},
  };
  for (const auto& p : pngs) image("png", p.name, make_png(p.spec, p.spec.interlaced ? 23 : 40, 19));

  // WebP
  image("webp", "lossy.webp", make_webp(false, false, 40, 24));
  image("webp", "lossy-alpha.webp", make_webp(false, true, 40, 24));
  image("webp", "lossless.webp", make_webp(true, false, 33, 17));
  image("webp", "lossless-alpha.webp", make_webp(true, true, 40, 24));
  image("webp", "lossy-exif6-icc.webp", webp_mux(make_webp(false, false, 24, 40), 6, true));
  image("webp", "lossless-exif3-prefixed.webp", webp_mux(make_webp(true, true, 40, 24), 3, false));
  image("webp", "lossy-icc.webp", webp_mux(make_webp(false, true, 40, 24), 0, true));
  image("webp", "animated-lossy.webp", make_animated_webp(false, 32, 24, 3));
  image("webp", "animated-lossless.webp", make_animated_webp(true, 24, 16, 2));

  // EXIF blocks for the orientation reader
  for (int o = 1; o <= 8; ++o) {
    put("exif", "ii-" + std::to_string(o), exif(o, false, o % 2 == 0));
    put("exif", "mm-" + std::to_string(o), exif(o, true, o % 2 == 1));
  }
  put("exif", "prefixed-ii-6", with_exif_prefix(exif(6, false, true)));
  put("exif", "prefixed-mm-8", with_exif_prefix(exif(8, true, false)));
  put("exif", "orientation-9", exif(9, false, false));

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
