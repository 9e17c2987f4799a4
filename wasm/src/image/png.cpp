// PNG through libpng: header (eXIf orientation, iCCP, APNG's acTL), the decode to 8-bit RGB or
// RGBA (16-bit scaled, palette and gray expanded, tRNS to alpha, interlacing handled). libpng
// errors longjmp back to decode_png's setjmp; text chunks are skipped, chunk allocations capped.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include "codecs.hpp"

#include <png.h>

namespace vs3 {
namespace image {
namespace {

constexpr png_alloc_size_t kMaxChunkBytes = 16u << 20;  // iCCP, eXIf and other ancillary chunks

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end = nullptr;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0, pos = 0;
  bool eof = false;
  char text[256] = {};
  Decoded* out = nullptr;
  const Options* options = nullptr;
  std::string* message = nullptr;
  Error result = Error::ok;
  std::unique_ptr<png_bytep[], FreeDeleter> rows;
};

void on_read(png_structp png, png_bytep dst, std::size_t n) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) {
    s->eof = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(dst, s->data + s->pos, n);
  s->pos += n;
}

void on_error(png_structp png, png_const_charp msg) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->text, sizeof s->text, "%s", msg ? msg : "error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // never print

std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// APNG: an acTL chunk before the first IDAT; its frame count. Walks the chunk headers only.
std::uint32_t apng_frames(const std::uint8_t* data, std::size_t size) {
  std::size_t pos = 8;
  while (pos + 12 <= size) {
    const std::uint32_t len = be32(data + pos);
    const std::uint8_t* type = data + pos + 4;
    if (std::memcmp(type, "IDAT", 4) == 0) return 0;
    if (std::memcmp(type, "acTL", 4) == 0) return len >= 8 && pos + 16 <= size ? be32(data + pos + 8) : 0;
    if (len > size - pos - 12) return 0;
    pos += std::size_t(len) + 12;
  }
  return 0;
}

void read_exif(PngState* s, png_infop info) {
  png_uint_32 n = 0;
  png_bytep exif = nullptr;
  if (s->out->info.orientation == 1 && png_get_eXIf_1(s->png, info, &n, &exif) && exif) {
    s->out->info.orientation = exif_orientation(exif, n);
  }
}

void run_decode(PngState* s) {
  png_structp png = s->png;
  png_set_read_fn(png, s, on_read);
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);  // the pixel limit is ours, checked below
  png_set_chunk_malloc_max(png, kMaxChunkBytes);
  png_set_chunk_cache_max(png, 1000);
  static const png_byte kSkip[] = "tEXt\0zTXt\0iTXt\0";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kSkip, 3);
  png_read_info(png, s->info);
  png_uint_32 w = 0, h = 0;
  int depth = 0, color = 0, interlace = 0;
  png_get_IHDR(png, s->info, &w, &h, &depth, &color, &interlace, nullptr, nullptr);
  Info& info = s->out->info;
  info.width = w;
  info.height = h;
  const bool trns = png_get_valid(png, s->info, PNG_INFO_tRNS) != 0;
  info.has_alpha = (color & PNG_COLOR_MASK_ALPHA) != 0 || trns;
  info.has_icc = png_get_valid(png, s->info, PNG_INFO_iCCP) != 0;
  const std::uint32_t frames = apng_frames(s->data, s->size);
  info.animated = frames > 1;
  info.frames = frames > 1 ? frames : 1;
  read_exif(s, s->info);
  if (!s->options) return;
  const Options& o = *s->options;
  if (std::uint64_t(w) * h > o.max_input_pixels) {
    s->result = Error::image_too_large;
    *s->message = "PNG is " + std::to_string(w) + "x" + std::to_string(h) + ", above the limit of " +
                  std::to_string(o.max_input_pixels) + " pixels";
    return;
  }
  if (depth == 16) png_set_scale_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (trns) png_set_tRNS_to_alpha(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, s->info);
  const int ch = png_get_channels(png, s->info);
  if ((ch != 3 && ch != 4) || png_get_rowbytes(png, s->info) != std::size_t(w) * ch) {
    s->result = Error::corrupt_image;
    *s->message = "PNG: unexpected pixel layout after conversion";
    return;
  }
  s->result = check_budget(o, info, w, h, ch, std::uint64_t(h) * sizeof(png_bytep) + (256u << 10), s->message);
  if (s->result != Error::ok) return;
  Bitmap& bmp = s->out->bitmap;
  s->rows.reset(static_cast<png_bytep*>(std::malloc(std::size_t(h) * sizeof(png_bytep))));
  if (!s->rows || !bmp.allocate(w, h, ch)) {
    s->result = Error::image_memory_limit;
    *s->message = "out of memory for the decoded PNG";
    return;
  }
  for (png_uint_32 y = 0; y < h; ++y) s->rows[y] = bmp.pixels.get() + std::size_t(y) * bmp.stride();
  png_read_image(png, s->rows.get());
  png_read_end(png, s->end);  // a file cut before IEND is truncated
  read_exif(s, s->end);
  if (o.keep_icc && info.has_icc) {
    png_charp name = nullptr;
    int comp = 0;
    png_bytep profile = nullptr;
    png_uint_32 len = 0;
    if (png_get_iCCP(png, s->info, &name, &comp, &profile, &len) && profile && len) {
      s->out->icc.assign(profile, profile + len);
    }
  }
}

}  // namespace

Error decode_png(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                 std::string* message) {
  out->info.mime = "image/png";
  std::unique_ptr<PngState> s(new (std::nothrow) PngState);
  if (!s) {
    *message = "out of memory";
    return Error::image_memory_limit;
  }
  s->data = data;
  s->size = size;
  s->out = out;
  s->options = options;
  s->message = message;
  s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s.get(), on_error, on_warning);
  if (s->png) s->info = png_create_info_struct(s->png);
  if (s->png) s->end = png_create_info_struct(s->png);
  if (!s->png || !s->info || !s->end) {
    png_destroy_read_struct(s->png ? &s->png : nullptr, s->info ? &s->info : nullptr, s->end ? &s->end : nullptr);
    *message = "out of memory";
    return Error::image_memory_limit;
  }
  if (setjmp(png_jmpbuf(s->png))) {
    if (s->eof) {
      s->result = Error::truncated_image;
    } else if (std::strstr(s->text, "memory") || std::strstr(s->text, "too large")) {
      s->result = Error::image_memory_limit;
    } else {
      s->result = Error::corrupt_image;
    }
    *message = std::string("PNG: ") + s->text;
  } else {
    run_decode(s.get());
  }
  png_destroy_read_struct(&s->png, &s->info, &s->end);
  if (s->result != Error::ok) {
    out->bitmap = Bitmap();
    out->icc.clear();
  }
  return s->result;
}

}  // namespace image
}  // namespace vs3
