/* Smoke check for scripts/image-libs.sh: links the static zlib, libjpeg-turbo (libjpeg and
 * TurboJPEG APIs), libwebp (+ libwebpdemux) and libpng built there, prints their versions and
 * round-trips a small generated RGB(A) image through each codec. Compiled natively and with
 * Emscripten (run under node). Exit status 0 only if every round trip checks out. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <zlib.h>

enum { W = 64, H = 48 };
#define STR_(x) #x
#define STR(x) STR_(x) /* jconfig.h defines LIBJPEG_TURBO_VERSION as a bare 2.1.5 */

static int failures = 0;
static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    failures++;
  }
}
static void print_webp_version(const char* name, int v) {
  printf("%s %d.%d.%d\n", name, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

struct jpeg_err {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
};
static void jpeg_error_exit(j_common_ptr cinfo) {
  longjmp(((struct jpeg_err*)cinfo->err)->jump, 1);
}

/* libjpeg API: encode RGB at quality 90, then decode with DCT-domain scaling 1/2. */
static void jpeg_roundtrip(const unsigned char* rgb) {
  struct jpeg_compress_struct c;
  struct jpeg_decompress_struct d;
  struct jpeg_err err;
  unsigned char* jpg = NULL;
  unsigned long jpg_size = 0;
  unsigned char* out = NULL;
  if (setjmp(err.jump)) {
    check(0, "libjpeg threw an error");
    free(jpg);
    free(out);
    return;
  }
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &jpg, &jpg_size);
  c.image_width = W;
  c.image_height = H;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 90, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + c.next_scanline * W * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);

  d.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, jpg, jpg_size);
  jpeg_read_header(&d, TRUE);
  d.scale_num = 1;
  d.scale_denom = 2;
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  unsigned ow = d.output_width, oh = d.output_height;
  out = malloc((size_t)ow * oh * 3);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = out + (size_t)d.output_scanline * ow * 3;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  /* Compare with a 2x2 box average of the source: DCT scaling is close to that. */
  double err_sum = 0;
  for (unsigned y = 0; y < oh; y++)
    for (unsigned x = 0; x < ow; x++)
      for (int k = 0; k < 3; k++) {
        const unsigned char* s = rgb + ((2 * y) * W + 2 * x) * 3 + k;
        double ref = (s[0] + s[3] + s[W * 3] + s[W * 3 + 3]) / 4.0;
        double diff = out[(y * ow + x) * 3 + k] - ref;
        err_sum += diff < 0 ? -diff : diff;
      }
  double mae = err_sum / (ow * oh * 3);
  printf("jpeg: %lu bytes q90, decoded at scale 1/2 to %ux%u, mean abs error %.2f\n", jpg_size, ow, oh, mae);
  check(ow == W / 2 && oh == H / 2, "jpeg scaled size");
  check(mae < 4.0, "jpeg pixels");

  /* TurboJPEG API on the same bytes. */
  tjhandle tj = tjInitDecompress();
  int tw = 0, th = 0, sub = 0, cs = 0;
  int r = tjDecompressHeader3(tj, jpg, jpg_size, &tw, &th, &sub, &cs);
  printf("turbojpeg: header %dx%d, subsampling %d, last error \"%s\"\n", tw, th, sub, tjGetErrorStr2(tj));
  check(r == 0 && tw == W && th == H, "turbojpeg header");
  tjDestroy(tj);
  free(jpg);
  free(out);
}

static void webp_roundtrip(const unsigned char* rgba) {
  uint8_t *lossy = NULL, *lossless = NULL;
  size_t lossy_size = WebPEncodeRGBA(rgba, W, H, W * 4, 80, &lossy);
  size_t lossless_size = WebPEncodeLosslessRGBA(rgba, W, H, W * 4, &lossless);
  check(lossy_size > 0 && lossless_size > 0, "webp encode");
  int w = 0, h = 0;
  uint8_t* dec = WebPDecodeRGBA(lossless, lossless_size, &w, &h);
  check(dec != NULL && w == W && h == H && memcmp(dec, rgba, W * H * 4) == 0, "webp lossless round trip");
  WebPFree(dec);
  WebPData data = {lossy, lossy_size};
  WebPDemuxer* dmux = WebPDemux(&data);
  check(dmux != NULL, "webp demux");
  uint32_t cw = dmux ? WebPDemuxGetI(dmux, WEBP_FF_CANVAS_WIDTH) : 0;
  uint32_t frames = dmux ? WebPDemuxGetI(dmux, WEBP_FF_FRAME_COUNT) : 0;
  uint32_t flags = dmux ? WebPDemuxGetI(dmux, WEBP_FF_FORMAT_FLAGS) : 0;
  WebPDemuxDelete(dmux);
  printf(
      "webp: lossy q80 %zu bytes, lossless %zu bytes (decodes exactly), demux: width %u, "
      "%u frame(s), alpha %s\n",
      lossy_size, lossless_size, cw, frames, (flags & ALPHA_FLAG) ? "yes" : "no");
  check(cw == W && frames == 1, "webp demux info");
  WebPFree(lossy);
  WebPFree(lossless);
}

static void png_roundtrip(const unsigned char* rgba) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = W;
  img.height = H;
  img.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  int ok = png_image_write_to_memory(&img, NULL, &size, 0, rgba, 0, NULL);
  unsigned char* buf = malloc(size);
  ok = ok && png_image_write_to_memory(&img, buf, &size, 0, rgba, 0, NULL);
  check(ok, "png encode");
  png_image rd;
  memset(&rd, 0, sizeof rd);
  rd.version = PNG_IMAGE_VERSION;
  unsigned char* out = NULL;
  ok = png_image_begin_read_from_memory(&rd, buf, size);
  if (ok) {
    rd.format = PNG_FORMAT_RGBA;
    out = malloc(PNG_IMAGE_SIZE(rd));
    ok = png_image_finish_read(&rd, NULL, out, 0, NULL);
  }
  printf("png: %lu bytes RGBA (zlib-compressed), read back %ux%u %s\n", (unsigned long)size, rd.width, rd.height,
         ok ? "ok" : rd.message);
  check(ok && rd.width == W && rd.height == H && memcmp(out, rgba, W * H * 4) == 0, "png round trip");
  free(out);
  free(buf);
}

int main(void) {
  printf("zlib %s\n", zlibVersion());
  printf("libjpeg-turbo %s (LIBJPEG_TURBO_VERSION_NUMBER %d, JPEG_LIB_VERSION %d)\n", STR(LIBJPEG_TURBO_VERSION),
         LIBJPEG_TURBO_VERSION_NUMBER, JPEG_LIB_VERSION);
  print_webp_version("libwebp encoder", WebPGetEncoderVersion());
  print_webp_version("libwebp decoder", WebPGetDecoderVersion());
  print_webp_version("libwebpdemux", WebPGetDemuxVersion());
  png_uint_32 pv = png_access_version_number();
  printf("libpng %u.%u.%u (header %s)\n", pv / 10000, pv / 100 % 100, pv % 100, PNG_LIBPNG_VER_STRING);

  static unsigned char rgb[W * H * 3], rgba[W * H * 4];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      unsigned char r = (unsigned char)(x * 255 / (W - 1)), g = (unsigned char)(y * 255 / (H - 1));
      unsigned char b = (unsigned char)((x + y) * 2), a = (unsigned char)(255 - x * 2);
      unsigned char *p = rgb + (y * W + x) * 3, *q = rgba + (y * W + x) * 4;
      p[0] = q[0] = r;
      p[1] = q[1] = g;
      p[2] = q[2] = b;
      q[3] = a;
    }
  jpeg_roundtrip(rgb);
  webp_roundtrip(rgba);
  png_roundtrip(rgba);
  printf("smoke: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
