// Generators, writers, output decoders and the reference resize for the image tests (see
// image_helpers.hpp). Writers use the codecs' plain APIs; a codec error here is a test bug.
#include "image_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

extern "C" {
#include <jpeglib.h>
}
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

namespace imgtest {

Img smooth(std::uint32_t w, std::uint32_t h, int ch) {
  Img im;
  im.w = w;
  im.h = h;
  im.ch = ch;
  im.px.resize(std::size_t(w) * h * ch);
  const double pi = 3.14159265358979323846;
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      const double u = double(x) / w, v = double(y) / h;
      double c[4] = {40 + 170 * u + 20 * std::sin(2 * pi * (1.5 * v + 0.2)),
                     128 + 100 * std::sin(2 * pi * (1.2 * u + 0.1)) * std::cos(2 * pi * 0.6 * v),
                     30 + 200 * v * v + 15 * std::cos(2 * pi * 2 * u), 255};
      if (ch == 4 || ch == 2) c[ch - 1] = 60 + 195 * (0.5 + 0.5 * std::sin(2 * pi * (u + 0.7 * v)));
      for (int k = 0; k < ch; ++k) im.at(x, y)[k] = static_cast<std::uint8_t>(std::clamp(std::lround(c[k]), 0l, 255l));
    }
  }
  return im;
}

Img stored_for(const Img& u, int o) {
  Img s;
  s.ch = u.ch;
  const bool swap = o >= 5;
  s.w = swap ? u.h : u.w;
  s.h = swap ? u.w : u.h;
  s.px.resize(u.px.size());
  for (std::uint32_t r = 0; r < s.h; ++r) {
    for (std::uint32_t c = 0; c < s.w; ++c) {
      std::uint32_t x = c, y = r;
      switch (o) {                       // EXIF: where the stored row 0 / column 0 are in the upright image
        case 2: x = u.w - 1 - c; break;  // top / right
        case 3: x = u.w - 1 - c, y = u.h - 1 - r; break;  // bottom / right
        case 4: y = u.h - 1 - r; break;                   // bottom / left
        case 5: x = r, y = c; break;                      // left / top
        case 6: x = u.w - 1 - r, y = c; break;            // right / top
        case 7: x = u.w - 1 - r, y = u.h - 1 - c; break;  // right / bottom
        case 8: x = r, y = u.h - 1 - c; break;            // left / bottom
        default: break;
      }
      std::memcpy(s.at(c, r), u.at(x, y), u.ch);
    }
  }
  return s;
}

Img to_gray(const Img& im) {
  Img g;
  g.w = im.w;
  g.h = im.h;
  g.ch = 1;
  g.px.resize(std::size_t(im.w) * im.h);
  for (std::size_t i = 0; i < g.px.size(); ++i) {
    const std::uint8_t* p = im.px.data() + i * im.ch;
    g.px[i] = static_cast<std::uint8_t>((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
  }
  return g;
}

namespace {
struct TiffWriter {
  Bytes b;
  bool be;
  void u16(std::uint32_t v) {
    if (be) {
      b.push_back(std::uint8_t(v >> 8));
      b.push_back(std::uint8_t(v));
    } else {
      b.push_back(std::uint8_t(v));
      b.push_back(std::uint8_t(v >> 8));
    }
  }
  void u32(std::uint32_t v) {
    if (be) {
      u16(v >> 16);
      u16(v & 0xffff);
    } else {
      u16(v & 0xffff);
      u16(v >> 16);
    }
  }
  void entry(std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::uint32_t value_or_offset) {
    u16(tag);
    u16(type);
    u32(count);
    if (type == 3 && count == 1) {
      u16(value_or_offset);
      u16(0);
    } else {
      u32(value_or_offset);
    }
  }
};
}  // namespace

Bytes exif_tiff(int orientation, bool big_endian, bool gps) {
  TiffWriter t{{}, big_endian};
  const char* order = big_endian ? "MM" : "II";
  t.b.insert(t.b.end(), order, order + 2);
  t.u16(42);
  t.u32(8);
  const std::uint32_t n0 = 1 + (orientation ? 1 : 0) + (gps ? 1 : 0);
  const std::uint32_t ifd0_end = 8 + 2 + 12 * n0 + 4;
  const std::uint32_t make_at = ifd0_end;  // "vs3cam-secret\0" (14 bytes)
  const std::uint32_t gps_at = make_at + 14;
  t.u16(n0);
  t.entry(0x010F, 2, 14, make_at);  // Make
  if (orientation) t.entry(0x0112, 3, 1, orientation);
  if (gps) t.entry(0x8825, 4, 1, gps_at);  // GPS IFD
  t.u32(0);
  const char make[] = "vs3cam-secret";  // 14 bytes with its NUL
  t.b.insert(t.b.end(), make, make + sizeof make);
  if (!gps) return t.b;
  const std::uint32_t lat_at = gps_at + 2 + 12 * 3 + 4;
  t.u16(3);
  t.entry(0x0000, 1, 4, big_endian ? 0x02020000 : 0x00000202);  // GPSVersionID 2.2.0.0
  t.entry(0x0001, 2, 2, big_endian ? 0x4E000000 : 0x0000004E);  // GPSLatitudeRef "N"
  t.entry(0x0002, 5, 3, lat_at);                                // GPSLatitude
  t.u32(0);
  for (std::uint32_t v : {48u, 1u, 51u, 1u, 2959u, 100u}) t.u32(v);
  return t.b;
}

Bytes exif_app1(const Bytes& tiff) {
  Bytes b(6 + tiff.size());
  std::memcpy(b.data(), "Exif\0\0", 6);
  std::copy(tiff.begin(), tiff.end(), b.begin() + 6);
  return b;
}

Bytes icc_profile() {
  // 600 bytes: header, one 'desc' tag over incompressible bytes. (libpng 1.6.39 drops iCCP chunks
  // shorter than 92 bytes as "too short", so a bare 132-byte header would not survive PNG.)
  const std::uint32_t size = 600, data_at = 144;
  Bytes p(size, 0);
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[at + i] = std::uint8_t(v >> (24 - 8 * i));
  };
  put32(0, size);
  std::memcpy(&p[4], "vs3 ", 4);   // CMM
  put32(8, 0x04300000);            // version 4.3
  std::memcpy(&p[12], "mntr", 4);  // device class
  std::memcpy(&p[16], "RGB ", 4);  // colour space
  std::memcpy(&p[20], "XYZ ", 4);  // PCS
  std::memcpy(&p[36], "acsp", 4);  // signature
  put32(68, 0x0000F6D6);           // D50 illuminant
  put32(72, 0x00010000);
  put32(76, 0x0000D32D);
  put32(128, 1);  // tag count
  std::memcpy(&p[132], "desc", 4);
  put32(136, data_at);
  put32(140, size - data_at);
  std::memcpy(&p[data_at], "vs3-icc-marker-", 15);  // findable bytes
  std::uint32_t x = 12345;
  for (std::uint32_t i = data_at + 16; i < size; ++i) p[i] = std::uint8_t((x = x * 1103515245 + 12345) >> 24);
  return p;
}

Bytes write_jpeg(const Img& im, const JpegOpts& o) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  jpeg_mem_dest(&c, &buf, &len);
  c.image_width = im.w;
  c.image_height = im.h;
  std::vector<std::uint8_t> row(std::size_t(im.w) * 4);
  if (o.cmyk) {
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
  } else if (im.ch == 1) {
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
  } else {
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
  }
  jpeg_set_defaults(&c);
  // Both write the Adobe marker (transform 2 for YCCK, 0 for CMYK).
  if (o.cmyk && o.adobe) jpeg_set_colorspace(&c, o.ycck ? JCS_YCCK : JCS_CMYK);
  if (o.cmyk && !o.adobe) {
    jpeg_set_colorspace(&c, JCS_CMYK);
    c.write_Adobe_marker = FALSE;
  }
  jpeg_set_quality(&c, o.quality, TRUE);
  if (o.progressive) jpeg_simple_progression(&c);
  if (o.arithmetic) c.arith_code = TRUE;
  if (o.full_chroma && c.jpeg_color_space == JCS_YCbCr) c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
  if (o.luma_h && o.luma_v && c.jpeg_color_space == JCS_YCbCr) {
    c.comp_info[0].h_samp_factor = o.luma_h;
    c.comp_info[0].v_samp_factor = o.luma_v;
  }
  if (o.restart) c.restart_interval = static_cast<unsigned>(o.restart);
  static const jpeg_scan_info kSeparate[3] = {{1, {0}, 0, 63, 0, 0}, {1, {1}, 0, 63, 0, 0}, {1, {2}, 0, 63, 0, 0}};
  if (o.separate_scans && c.num_components == 3) {
    c.scan_info = kSeparate;
    c.num_scans = 3;
  }
  jpeg_start_compress(&c, TRUE);
  if (o.exif) {
    const Bytes app1 = exif_app1(*o.exif);
    jpeg_write_marker(&c, JPEG_APP0 + 1, app1.data(), static_cast<unsigned>(app1.size()));
  }
  if (o.icc) jpeg_write_icc_profile(&c, o.icc->data(), static_cast<unsigned>(o.icc->size()));
  if (o.comment) jpeg_write_marker(&c, JPEG_COM, reinterpret_cast<const JOCTET*>("vs3-comment"), 11);
  while (c.next_scanline < c.image_height) {
    const std::uint8_t* src = im.at(0, c.next_scanline);
    JSAMPROW r = const_cast<JSAMPROW>(src);
    if (o.cmyk) {  // Adobe (inverted) CMYK: stored = 255 - ink; K ink = 255 - max
      for (std::uint32_t x = 0; x < im.w; ++x) {
        const std::uint8_t* p = src + std::size_t(x) * im.ch;
        const int mx = std::max({p[0], p[1], p[2], std::uint8_t(1)});
        for (int k = 0; k < 3; ++k) row[x * 4 + k] = std::uint8_t(std::min(255, (p[k] * 255 + mx / 2) / mx));
        row[x * 4 + 3] = std::uint8_t(mx);
        if (!o.adobe) {
          for (int k = 0; k < 4; ++k) row[x * 4 + k] = std::uint8_t(255 - row[x * 4 + k]);
        }
      }
      r = row.data();
    }
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  Bytes out(buf, buf + len);
  std::free(buf);
  return out;
}

namespace {
void png_write_cb(png_structp p, png_bytep d, std::size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(p));
  out->insert(out->end(), d, d + n);
}
void png_flush_cb(png_structp) {}
// Sample i of im at 16 bits; the low byte varies so scaling down must round.
unsigned sample16(const Img& im, std::size_t i) {
  return std::min(im.px[i] * 257u + unsigned(i % 7) * 9, 65535u);
}
// The gray level of a pixel: its first channel (ch 1, 2), its luma as in to_gray (ch 3, 4).
unsigned gray_level(const std::uint8_t* px, int ch) {
  return ch < 3 ? px[0] : unsigned(px[0] * 77 + px[1] * 150 + px[2] * 29) >> 8;
}
// Sets sample x of a row of packed `depth`-bit samples (1, 2 or 4; leftmost in the high bits).
void pack(std::uint8_t* row, std::uint32_t x, int depth, unsigned v) {
  const std::size_t bit = std::size_t(x) * depth;
  row[bit / 8] |= std::uint8_t(v << (8 - depth - bit % 8));
}
}  // namespace

Bytes write_png(const Img& im, const PngOpts& o) {
  Bytes out;
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(p);
  png_set_write_fn(p, &out, png_write_cb, png_flush_cb);
  png_set_compression_level(p, 1);
  int type = im.ch == 4   ? PNG_COLOR_TYPE_RGBA
             : im.ch == 3 ? PNG_COLOR_TYPE_RGB
             : im.ch == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA
                          : PNG_COLOR_TYPE_GRAY;
  const int interlace = o.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE;
  std::vector<std::uint8_t> data;
  std::size_t rowbytes = 0;
  if (o.palette && o.depth < 8) {
    // A gray ramp of 2^depth entries; with alpha, entry 0 is fully transparent and the ramp one shorter.
    type = PNG_COLOR_TYPE_PALETTE;
    const int n = 1 << o.depth, alpha = im.ch == 2 || im.ch == 4 ? 1 : 0, levels = n - alpha;
    std::vector<png_color> pal(std::size_t(n), png_color{0, 0, 0});
    for (int i = alpha; i < n; ++i) {
      const auto g = png_byte(levels > 1 ? (i - alpha) * 255 / (levels - 1) : 128);
      pal[std::size_t(i)] = png_color{g, g, g};
    }
    png_set_IHDR(p, info, im.w, im.h, o.depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(p, info, pal.data(), n);
    png_byte transparent = 0;
    if (alpha) png_set_tRNS(p, info, &transparent, 1, nullptr);
    rowbytes = (std::size_t(im.w) * o.depth + 7) / 8;
    data.assign(rowbytes * im.h, 0);
    for (std::uint32_t y = 0; y < im.h; ++y) {
      for (std::uint32_t x = 0; x < im.w; ++x) {
        const std::uint8_t* px = im.at(x, y);
        const unsigned idx =
            alpha && px[im.ch - 1] < 128 ? 0 : alpha + (gray_level(px, im.ch) * unsigned(levels - 1) + 127) / 255;
        pack(&data[y * rowbytes], x, o.depth, idx);
      }
    }
  } else if (o.palette) {
    // 5x5x5 colour cube, doubled with fully transparent entries when the image has alpha.
    type = PNG_COLOR_TYPE_PALETTE;
    std::vector<png_color> pal;
    std::vector<png_byte> trans;
    const int alevels = im.ch == 4 ? 1 : 0;
    for (int a = 0; a <= alevels; ++a) {
      for (int r = 0; r < 5; ++r) {
        for (int g = 0; g < 5; ++g) {
          for (int b = 0; b < 5; ++b) {
            pal.push_back(png_color{png_byte(r * 255 / 4), png_byte(g * 255 / 4), png_byte(b * 255 / 4)});
            trans.push_back(a == 0 ? 255 : 0);
          }
        }
      }
    }
    png_set_IHDR(p, info, im.w, im.h, 8, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(p, info, pal.data(), static_cast<int>(pal.size()));
    if (im.ch == 4) png_set_tRNS(p, info, trans.data(), static_cast<int>(trans.size()), nullptr);
    rowbytes = im.w;
    data.resize(rowbytes * im.h);
    for (std::uint32_t y = 0; y < im.h; ++y) {
      for (std::uint32_t x = 0; x < im.w; ++x) {
        const std::uint8_t* px = im.at(x, y);
        int idx = (px[0] * 4 + 127) / 255 * 25 + (px[1] * 4 + 127) / 255 * 5 + (px[2] * 4 + 127) / 255;
        if (im.ch == 4 && px[3] < 128) idx += 125;
        data[y * rowbytes + x] = std::uint8_t(idx);
      }
    }
  } else if (o.depth < 8) {  // gray (ch 1), packed
    png_set_IHDR(p, info, im.w, im.h, o.depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    rowbytes = (std::size_t(im.w) * o.depth + 7) / 8;
    data.assign(rowbytes * im.h, 0);
    for (std::uint32_t y = 0; y < im.h; ++y) {
      for (std::uint32_t x = 0; x < im.w; ++x)
        pack(&data[y * rowbytes], x, o.depth, unsigned(im.at(x, y)[0]) >> (8 - o.depth));
    }
  } else {
    png_set_IHDR(p, info, im.w, im.h, o.depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    const int bps = o.depth / 8;
    rowbytes = std::size_t(im.w) * im.ch * bps;
    data.resize(rowbytes * im.h);
    for (std::size_t i = 0; i < im.px.size(); ++i) {
      if (bps == 1) {
        data[i] = im.px[i];
      } else {  // 16-bit big endian
        const unsigned c = sample16(im, i);
        data[2 * i] = std::uint8_t(c >> 8);
        data[2 * i + 1] = std::uint8_t(c);
      }
    }
  }
  if (o.trns && !o.palette && (im.ch == 1 || im.ch == 3) && !im.px.empty()) {
    // The first pixel's colour, as stored, is the transparent one.
    auto stored = [&](std::size_t i) {
      return png_uint_16(o.depth < 8 ? im.px[i] >> (8 - o.depth) : o.depth == 16 ? sample16(im, i) : im.px[i]);
    };
    png_color_16 key{};
    if (im.ch == 1) {
      key.gray = stored(0);
    } else {
      key.red = stored(0);
      key.green = stored(1);
      key.blue = stored(2);
    }
    png_set_tRNS(p, info, nullptr, 0, &key);
  }
  if (o.icc) png_set_iCCP(p, info, "test", 0, o.icc->data(), static_cast<png_uint_32>(o.icc->size()));
  if (o.exif) png_set_eXIf_1(p, info, static_cast<png_uint_32>(o.exif->size()), const_cast<png_bytep>(o.exif->data()));
  png_text text;
  if (o.text) {
    std::memset(&text, 0, sizeof text);
    text.compression = PNG_TEXT_COMPRESSION_NONE;
    text.key = const_cast<png_charp>("Comment");
    text.text = const_cast<png_charp>("vs3-text-secret");
    png_set_text(p, info, &text, 1);
  }
  png_write_info(p, info);
  std::vector<png_bytep> rows(im.h);
  for (std::uint32_t y = 0; y < im.h; ++y) rows[y] = data.data() + y * rowbytes;
  png_write_image(p, rows.data());
  png_write_end(p, info);
  png_destroy_write_struct(&p, &info);
  return out;
}

namespace {
Bytes with_chunks(const Bytes& webp, const Bytes* exif, const Bytes* icc) {
  if (!exif && !icc) return webp;
  WebPMux* mux = WebPMuxNew();
  const WebPData image = {webp.data(), webp.size()};
  WebPMuxSetImage(mux, &image, 1);
  if (exif) {
    const WebPData d = {exif->data(), exif->size()};
    WebPMuxSetChunk(mux, "EXIF", &d, 1);
  }
  if (icc) {
    const WebPData d = {icc->data(), icc->size()};
    WebPMuxSetChunk(mux, "ICCP", &d, 1);
  }
  WebPData out = {nullptr, 0};
  WebPMuxAssemble(mux, &out);
  Bytes b(out.bytes, out.bytes + out.size);
  WebPDataClear(&out);
  WebPMuxDelete(mux);
  return b;
}
}  // namespace

Bytes write_webp(const Img& im, const WebpOpts& o) {
  std::uint8_t* out = nullptr;
  std::size_t n = 0;
  const int stride = static_cast<int>(im.w) * im.ch;
  if (o.lossless) {
    n = im.ch == 4 ? WebPEncodeLosslessRGBA(im.px.data(), im.w, im.h, stride, &out)
                   : WebPEncodeLosslessRGB(im.px.data(), im.w, im.h, stride, &out);
  } else {
    n = im.ch == 4 ? WebPEncodeRGBA(im.px.data(), im.w, im.h, stride, o.quality, &out)
                   : WebPEncodeRGB(im.px.data(), im.w, im.h, stride, o.quality, &out);
  }
  Bytes b(out, out + n);
  WebPFree(out);
  return with_chunks(b, o.exif, o.icc);
}

Bytes write_animated_webp(const std::vector<Img>& frames, const AnimOpts& o) {
  const Img& first = frames.at(0);
  WebPAnimEncoderOptions ao;
  WebPAnimEncoderOptionsInit(&ao);
  WebPAnimEncoder* enc = WebPAnimEncoderNew(static_cast<int>(first.w), static_cast<int>(first.h), &ao);
  WebPConfig config;
  WebPConfigInit(&config);
  config.lossless = o.lossless ? 1 : 0;
  config.quality = static_cast<float>(o.quality);
  int t = 0;
  for (const Img& f : frames) {
    WebPPicture pic;
    WebPPictureInit(&pic);
    pic.use_argb = 1;
    pic.width = static_cast<int>(first.w);
    pic.height = static_cast<int>(first.h);
    const int stride = static_cast<int>(first.w) * f.ch;
    if (f.ch == 4) {
      WebPPictureImportRGBA(&pic, f.px.data(), stride);
    } else {
      WebPPictureImportRGB(&pic, f.px.data(), stride);
    }
    WebPAnimEncoderAdd(enc, &pic, t, &config);
    WebPPictureFree(&pic);
    t += 100;
  }
  WebPAnimEncoderAdd(enc, nullptr, t, nullptr);
  WebPData data = {nullptr, 0};
  WebPAnimEncoderAssemble(enc, &data);
  Bytes b(data.bytes, data.bytes + data.size);
  WebPDataClear(&data);
  WebPAnimEncoderDelete(enc);
  return b;
}

Bytes write_animated_webp(std::uint32_t w, std::uint32_t h, int frames) {
  std::vector<Img> v(static_cast<std::size_t>(frames));
  for (int f = 0; f < frames; ++f) {
    Img& im = v[static_cast<std::size_t>(f)];
    im.w = w;
    im.h = h;
    im.ch = 4;
    im.px.resize(std::size_t(w) * h * 4);
    for (std::size_t i = 0; i < im.px.size(); i += 4) {
      im.px[i] = std::uint8_t(f * 80);
      im.px[i + 1] = std::uint8_t(255 - f * 80);
      im.px[i + 2] = 40;
      im.px[i + 3] = 255;
    }
  }
  return write_animated_webp(v);
}

Img decode(const Bytes& b) {
  Img im;
  if (b.size() > 12 && std::memcmp(b.data(), "RIFF", 4) == 0) {
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(b.data(), b.size(), &f) != VP8_STATUS_OK) return im;
    int w = 0, h = 0;
    im.ch = f.has_alpha ? 4 : 3;
    std::uint8_t* p =
        f.has_alpha ? WebPDecodeRGBA(b.data(), b.size(), &w, &h) : WebPDecodeRGB(b.data(), b.size(), &w, &h);
    if (!p) return Img();
    im.w = w;
    im.h = h;
    im.px.assign(p, p + std::size_t(w) * h * im.ch);
    WebPFree(p);
    return im;
  }
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, b.data(), b.size());
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  im.w = d.output_width;
  im.h = d.output_height;
  im.ch = 3;
  im.px.resize(std::size_t(im.w) * im.h * 3);
  while (d.output_scanline < d.output_height) {
    JSAMPROW r = im.at(0, d.output_scanline);
    jpeg_read_scanlines(&d, &r, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return im;
}

bool webp_has_chunk(const Bytes& b, const char* fourcc) {
  const WebPData data = {b.data(), b.size()};
  WebPDemuxer* d = WebPDemux(&data);
  if (!d) return false;
  WebPChunkIterator it;
  const bool found = WebPDemuxGetChunk(d, fourcc, 1, &it) != 0;
  if (found) WebPDemuxReleaseChunkIterator(&it);
  WebPDemuxDelete(d);
  return found;
}

Bytes webp_icc(const Bytes& b) {
  const WebPData data = {b.data(), b.size()};
  WebPDemuxer* d = WebPDemux(&data);
  Bytes out;
  WebPChunkIterator it;
  if (d && WebPDemuxGetChunk(d, "ICCP", 1, &it)) {
    out.assign(it.chunk.bytes, it.chunk.bytes + it.chunk.size);
    WebPDemuxReleaseChunkIterator(&it);
  }
  WebPDemuxDelete(d);
  return out;
}

bool jpeg_has_marker(const Bytes& b, int marker) {
  // Walk the marker segments up to SOS.
  std::size_t i = 2;
  while (i + 4 <= b.size() && b[i] == 0xFF) {
    const int m = b[i + 1];
    if (m == marker) return true;
    if (m == 0xDA) return false;
    i += 2 + (std::size_t(b[i + 2]) << 8 | b[i + 3]);
  }
  return false;
}

Bytes jpeg_icc(const Bytes& b) {
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, b.data(), b.size());
  jpeg_save_markers(&d, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(&d, TRUE);
  JOCTET* p = nullptr;
  unsigned n = 0;
  Bytes out;
  if (jpeg_read_icc_profile(&d, &p, &n)) out.assign(p, p + n);
  std::free(p);
  jpeg_destroy_decompress(&d);
  return out;
}

bool contains(const Bytes& hay, const std::string& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

namespace {
double lanczos3(double t) {
  t = std::fabs(t);
  if (t < 1e-12) return 1;
  if (t >= 3) return 0;
  const double pi = 3.14159265358979323846;
  return 3 * std::sin(pi * t) * std::sin(pi * t / 3) / (pi * pi * t * t);
}
}  // namespace

Img reference_resize(const Img& im, std::uint32_t ow, std::uint32_t oh) {
  const int ch = 3;
  const double sx = double(im.w) / ow, sy = double(im.h) / oh;
  const double fx = std::max(sx, 1.0), fy = std::max(sy, 1.0);
  // Horizontal.
  std::vector<double> mid(std::size_t(ow) * im.h * ch);
  for (std::uint32_t x = 0; x < ow; ++x) {
    const double c = (x + 0.5) * sx - 0.5;
    const int lo = static_cast<int>(std::floor(c - 3 * fx)), hi = static_cast<int>(std::ceil(c + 3 * fx));
    std::vector<double> w;
    double sum = 0;
    for (int i = lo; i <= hi; ++i) sum += w.emplace_back(lanczos3((i - c) / fx));
    for (std::uint32_t y = 0; y < im.h; ++y) {
      for (int k = 0; k < ch; ++k) {
        double acc = 0;
        for (int i = lo; i <= hi; ++i) {
          const int xi = std::clamp(i, 0, int(im.w) - 1);
          acc += w[i - lo] * im.at(xi, y)[k];
        }
        mid[(std::size_t(y) * ow + x) * ch + k] = acc / sum;
      }
    }
  }
  Img out;
  out.w = ow;
  out.h = oh;
  out.ch = ch;
  out.px.resize(std::size_t(ow) * oh * ch);
  for (std::uint32_t y = 0; y < oh; ++y) {
    const double c = (y + 0.5) * sy - 0.5;
    const int lo = static_cast<int>(std::floor(c - 3 * fy)), hi = static_cast<int>(std::ceil(c + 3 * fy));
    std::vector<double> w;
    double sum = 0;
    for (int i = lo; i <= hi; ++i) sum += w.emplace_back(lanczos3((i - c) / fy));
    for (std::uint32_t x = 0; x < ow; ++x) {
      for (int k = 0; k < ch; ++k) {
        double acc = 0;
        for (int i = lo; i <= hi; ++i) {
          const int yi = std::clamp(i, 0, int(im.h) - 1);
          acc += w[i - lo] * mid[(std::size_t(yi) * ow + x) * ch + k];
        }
        out.at(x, y)[k] = static_cast<std::uint8_t>(std::clamp(std::lround(acc / sum), 0l, 255l));
      }
    }
  }
  return out;
}

double psnr(const Img& a, const Img& b) {
  if (a.w != b.w || a.h != b.h || a.w == 0) return 0;
  double se = 0;
  std::size_t n = 0;
  for (std::uint32_t y = 0; y < a.h; ++y) {
    for (std::uint32_t x = 0; x < a.w; ++x) {
      for (int k = 0; k < 3; ++k) {
        const double d = double(a.at(x, y)[k]) - b.at(x, y)[k];
        se += d * d;
        ++n;
      }
    }
  }
  if (se == 0) return 99;
  return 10 * std::log10(255.0 * 255.0 / (se / n));
}

}  // namespace imgtest
