// WebP through libwebp: header and metadata chunks (EXIF orientation, ICCP, frame count) with
// WebPDemux, still images with WebPDecode into our buffer, animations' first frame with
// WebPAnimDecoder; the encoder (WebPConfig) and the ICCP chunk (WebPMux) for kept profiles.
#include <algorithm>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codecs.hpp"

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

namespace vs3 {
namespace image {
namespace {

Error status_error(VP8StatusCode st) {
  switch (st) {
    case VP8_STATUS_OK: return Error::ok;
    case VP8_STATUS_NOT_ENOUGH_DATA: return Error::truncated_image;
    case VP8_STATUS_OUT_OF_MEMORY: return Error::image_memory_limit;
    case VP8_STATUS_UNSUPPORTED_FEATURE: return Error::unsupported_image;
    default: return Error::corrupt_image;
  }
}

struct Demux {
  WebPDemuxer* d = nullptr;
  ~Demux() { WebPDemuxDelete(d); }
};
struct AnimDecoder {
  WebPAnimDecoder* d = nullptr;
  ~AnimDecoder() { WebPAnimDecoderDelete(d); }
};

}  // namespace

Error decode_webp(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                  std::string* message) {
  Info& info = out->info;
  info.mime = "image/webp";
  WebPBitstreamFeatures f;
  VP8StatusCode st = WebPGetFeatures(data, size, &f);
  if (st != VP8_STATUS_OK) {
    *message = st == VP8_STATUS_NOT_ENOUGH_DATA ? "WebP: data ends inside the header" : "WebP: bad header";
    return status_error(st);
  }
  const WebPData whole = {data, size};
  WebPDemuxState state = WEBP_DEMUX_PARSING_HEADER;
  Demux demux;
  demux.d = WebPDemuxPartial(&whole, &state);
  if (!demux.d || state == WEBP_DEMUX_PARSE_ERROR) {
    const bool early = state == WEBP_DEMUX_PARSING_HEADER;
    *message = early ? "WebP: data ends inside the container header" : "WebP: bad container";
    return early ? Error::truncated_image : Error::corrupt_image;
  }
  info.width = WebPDemuxGetI(demux.d, WEBP_FF_CANVAS_WIDTH);
  info.height = WebPDemuxGetI(demux.d, WEBP_FF_CANVAS_HEIGHT);
  const std::uint32_t flags = WebPDemuxGetI(demux.d, WEBP_FF_FORMAT_FLAGS);
  info.animated = f.has_animation != 0;
  info.frames = std::max<std::uint32_t>(WebPDemuxGetI(demux.d, WEBP_FF_FRAME_COUNT), 1);
  info.has_alpha = f.has_alpha != 0 || (flags & ALPHA_FLAG) != 0;
  WebPChunkIterator it;
  if (WebPDemuxGetChunk(demux.d, "EXIF", 1, &it)) {
    info.orientation = exif_orientation(it.chunk.bytes, it.chunk.size);
    WebPDemuxReleaseChunkIterator(&it);
  }
  if (WebPDemuxGetChunk(demux.d, "ICCP", 1, &it)) {
    info.has_icc = it.chunk.size > 0;
    if (options && options->keep_icc && info.has_icc) out->icc.assign(it.chunk.bytes, it.chunk.bytes + it.chunk.size);
    WebPDemuxReleaseChunkIterator(&it);
  }
  if (!options) return Error::ok;
  if (state != WEBP_DEMUX_DONE) {
    *message = "WebP: data ends early";
    out->icc.clear();
    return Error::truncated_image;
  }
  const std::uint64_t px = std::uint64_t(info.width) * info.height;
  if (px > options->max_input_pixels) {
    *message = "WebP is " + std::to_string(info.width) + "x" + std::to_string(info.height) + ", above the limit of " +
               std::to_string(options->max_input_pixels) + " pixels";
    out->icc.clear();
    return Error::image_too_large;
  }
  const int ch = info.has_alpha || info.animated ? 4 : 3;
  // Lossless decodes through a full ARGB buffer; an animation keeps two canvases besides ours.
  const std::uint64_t own =
      (info.animated ? px * 8 : (f.format == 2 ? px * 4 : std::uint64_t(info.width) * 64)) + (512u << 10);
  Error e = check_budget(*options, info, info.width, info.height, ch, own, message);
  if (e == Error::ok && !out->bitmap.allocate(info.width, info.height, ch)) {
    *message = "out of memory for the decoded WebP";
    e = Error::image_memory_limit;
  }
  if (e != Error::ok) {
    out->icc.clear();
    return e;
  }
  Bitmap& bmp = out->bitmap;
  if (info.animated) {
    WebPAnimDecoderOptions ao;
    WebPAnimDecoderOptionsInit(&ao);
    ao.color_mode = MODE_RGBA;
    ao.use_threads = 0;
    AnimDecoder anim;
    anim.d = WebPAnimDecoderNew(&whole, &ao);
    std::uint8_t* frame = nullptr;
    int timestamp = 0;
    if (!anim.d || !WebPAnimDecoderGetNext(anim.d, &frame, &timestamp) || !frame) {
      *message = "WebP: cannot decode the first animation frame";
      out->bitmap = Bitmap();
      out->icc.clear();
      return Error::corrupt_image;
    }
    std::memcpy(bmp.pixels.get(), frame, bmp.bytes());
    return Error::ok;
  }
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) {
    *message = "WebP: decoder version mismatch";
    return Error::corrupt_image;
  }
  config.options.use_threads = 0;
  config.output.colorspace = ch == 4 ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = bmp.pixels.get();
  config.output.u.RGBA.stride = static_cast<int>(bmp.stride());
  config.output.u.RGBA.size = bmp.bytes();
  st = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);
  if (st != VP8_STATUS_OK) {
    *message = st == VP8_STATUS_NOT_ENOUGH_DATA ? "WebP: data ends early" : "WebP: the decoder refused the data";
    out->bitmap = Bitmap();
    out->icc.clear();
    return status_error(st);
  }
  return Error::ok;
}

namespace {
struct Picture {
  WebPPicture p;
  WebPMemoryWriter w;
  Picture() {
    WebPPictureInit(&p);
    WebPMemoryWriterInit(&w);
  }
  ~Picture() {
    WebPPictureFree(&p);
    WebPMemoryWriterClear(&w);
  }
};
struct Mux {
  WebPMux* m = nullptr;
  WebPData assembled = {nullptr, 0};
  ~Mux() {
    WebPMuxDelete(m);
    WebPDataClear(&assembled);
  }
};
}  // namespace

namespace {

Error check_size(std::uint32_t w, std::uint32_t h, std::string* message) {
  if (w <= WEBP_MAX_DIMENSION && h <= WEBP_MAX_DIMENSION) return Error::ok;
  *message = "WebP output is limited to 16383 px per side; set maxWidth/maxHeight";
  return Error::encode_failed;
}

Error make_config(const VariantOptions& v, WebPConfig* config, std::string* message) {
  if (!WebPConfigInit(config)) {
    *message = "WebP: encoder version mismatch";
    return Error::encode_failed;
  }
  config->quality = static_cast<float>(v.quality);
  config->method = v.method;
  config->lossless = v.lossless ? 1 : 0;
  config->exact = 0;
  config->thread_level = 0;
  if (!WebPValidateConfig(config)) {
    *message = "WebP: invalid encoder settings";
    return Error::encode_failed;
  }
  return Error::ok;
}

// Encodes the filled picture and adds the ICC profile (through WebPMux) when there is one.
Error finish(const WebPConfig& config, Picture* pic, const std::vector<std::uint8_t>* icc,
             std::vector<std::uint8_t>* out, std::string* message) {
  pic->p.writer = WebPMemoryWrite;
  pic->p.custom_ptr = &pic->w;
  if (!WebPEncode(&config, &pic->p)) {
    *message = "WebP encoder failed (error " + std::to_string(int(pic->p.error_code)) + ")";
    return pic->p.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ? Error::image_memory_limit : Error::encode_failed;
  }
  if (!icc || icc->empty()) {
    out->assign(pic->w.mem, pic->w.mem + pic->w.size);
    return Error::ok;
  }
  Mux mux;
  mux.m = WebPMuxNew();
  const WebPData bitstream = {pic->w.mem, pic->w.size};
  const WebPData profile = {icc->data(), icc->size()};
  if (!mux.m || WebPMuxSetImage(mux.m, &bitstream, 0) != WEBP_MUX_OK ||
      WebPMuxSetChunk(mux.m, "ICCP", &profile, 0) != WEBP_MUX_OK ||
      WebPMuxAssemble(mux.m, &mux.assembled) != WEBP_MUX_OK) {
    *message = "WebP: cannot add the ICC profile";
    return Error::encode_failed;
  }
  out->assign(mux.assembled.bytes, mux.assembled.bytes + mux.assembled.size);
  return Error::ok;
}

// JFIF's full-range Y'CbCr to the video range VP8 codes (Y 16..235, Cb/Cr 16..240), the same
// BT.601 matrix libwebp's own RGB import uses: y' = 16 + y * 219 / 255 and c' = 128 + (c - 128) *
// 224 / 255, rounded: y' = 16 + (219 y + 127) / 255, c' = (224 c + 4095) / 255. In 16-bit lanes
// (both numerators stay below 2^16), with t / 255 == (t + 1 + (t >> 8)) >> 8 for 0 <= t < 65535.
template <int Mul, int Add, int Offset>
void copy_plane(const View& src, std::uint8_t* dst, int dst_stride) {
  for (std::uint32_t r = 0; r < src.height; ++r) {
    const std::uint8_t* s = src.pixels + std::size_t(r) * src.stride;
    std::uint8_t* d = dst + std::size_t(r) * dst_stride;
    std::uint32_t x = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), mul = _mm_set1_epi16(Mul), add = _mm_set1_epi16(Add),
                  one = _mm_set1_epi16(1), off = _mm_set1_epi16(Offset);
    const auto div255 = [&](__m128i t) {  // Offset + t / 255
      return _mm_add_epi16(_mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(t, one), _mm_srli_epi16(t, 8)), 8), off);
    };
    for (; x + 16 <= src.width; x += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + x));
      const __m128i lo = _mm_add_epi16(_mm_mullo_epi16(_mm_unpacklo_epi8(v, zero), mul), add);
      const __m128i hi = _mm_add_epi16(_mm_mullo_epi16(_mm_unpackhi_epi8(v, zero), mul), add);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + x), _mm_packus_epi16(div255(lo), div255(hi)));
    }
#endif
    for (; x < src.width; ++x) d[x] = static_cast<std::uint8_t>(Offset + (s[x] * Mul + Add) / 255);
  }
}

}  // namespace

Error encode_webp(const View& image, const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                  std::vector<std::uint8_t>* out, std::string* message) {
  WebPConfig config;
  Error e = check_size(image.width, image.height, message);
  if (e == Error::ok) e = make_config(v, &config, message);
  if (e != Error::ok) return e;
  Picture pic;
  pic.p.use_argb = v.lossless ? 1 : 0;
  pic.p.width = static_cast<int>(image.width);
  pic.p.height = static_cast<int>(image.height);
  const int stride = static_cast<int>(image.stride);
  const int ok = image.channels == 4 ? WebPPictureImportRGBA(&pic.p, image.pixels, stride)
                                     : WebPPictureImportRGB(&pic.p, image.pixels, stride);
  if (!ok) {
    *message = "out of memory encoding WebP";
    return Error::image_memory_limit;
  }
  return finish(config, &pic, icc, out, message);
}

Error encode_webp_ycc(const View planes[3], const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                      std::vector<std::uint8_t>* out, std::string* message) {
  const std::uint32_t w = planes[0].width, h = planes[0].height;
  WebPConfig config;
  Error e = check_size(w, h, message);
  if (e == Error::ok) e = make_config(v, &config, message);
  if (e != Error::ok) return e;
  for (int i = 1; i < 3; ++i) {
    if (planes[i].width != (w + 1) / 2 || planes[i].height != (h + 1) / 2 || config.lossless) {
      *message = "WebP: bad YCbCr planes";
      return Error::encode_failed;
    }
  }
  Picture pic;
  pic.p.use_argb = 0;
  pic.p.colorspace = WEBP_YUV420;
  pic.p.width = static_cast<int>(w);
  pic.p.height = static_cast<int>(h);
  if (!WebPPictureAlloc(&pic.p)) {
    *message = "out of memory encoding WebP";
    return Error::image_memory_limit;
  }
  copy_plane<219, 127, 16>(planes[0], pic.p.y, pic.p.y_stride);
  copy_plane<224, 4095, 0>(planes[1], pic.p.u, pic.p.uv_stride);
  copy_plane<224, 4095, 0>(planes[2], pic.p.v, pic.p.uv_stride);
  return finish(config, &pic, icc, out, message);
}

}  // namespace image
}  // namespace vs3
