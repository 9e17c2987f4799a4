// The pipeline's driver: option validation, magic-byte sniffing, the decode plan (target size and
// memory estimate the decoders ask for), then per variant fit, resize, orient and encode, all from
// the one decode.
#include <algorithm>
#include <cstring>

#include "codecs.hpp"

namespace vs3 {
namespace image {

const char* error_code(Error e) {
  switch (e) {
    case Error::ok: return "";
    case Error::unsupported_image: return "unsupported_image";
    case Error::corrupt_image: return "corrupt_image";
    case Error::truncated_image: return "truncated_image";
    case Error::image_too_large: return "image_too_large";
    case Error::image_memory_limit: return "image_memory_limit";
    case Error::bad_image_options: return "bad_image_options";
    case Error::encode_failed: return "encode_failed";
  }
  return "corrupt_image";
}

namespace {

bool has(const std::uint8_t* d, std::size_t n, std::size_t at, const char* magic, std::size_t len) {
  return n >= at + len && std::memcmp(d + at, magic, len) == 0;
}

bool brand_in(const std::uint8_t* b, const char* const* list) {
  for (; *list; ++list) {
    if (std::memcmp(b, *list, 4) == 0) return true;
  }
  return false;
}

// ISO BMFF (ftyp box): AVIF, HEIC/HEIF, or another brand (video); nullptr if not ftyp.
const char* bmff_type(const std::uint8_t* d, std::size_t n) {
  if (!has(d, n, 4, "ftyp", 4) || n < 12) return nullptr;
  static const char* const kAvif[] = {"avif", "avis", nullptr};
  static const char* const kHeic[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", nullptr};
  static const char* const kHeif[] = {"mif1", "msf1", nullptr};
  const std::uint8_t* major = d + 8;
  std::size_t box = std::size_t(d[0]) << 24 | std::size_t(d[1]) << 16 | std::size_t(d[2]) << 8 | d[3];
  box = std::min(box, n);
  bool avif = brand_in(major, kAvif), heic = brand_in(major, kHeic), heif = brand_in(major, kHeif);
  for (std::size_t at = 16; at + 4 <= box; at += 4) {  // compatible brands
    avif = avif || brand_in(d + at, kAvif);
    heic = heic || brand_in(d + at, kHeic);
    heif = heif || brand_in(d + at, kHeif);
  }
  if (avif) return "image/avif";
  if (heic) return "image/heic";
  if (heif) return "image/heif";
  return std::memcmp(major, "qt  ", 4) == 0 ? "video/quicktime" : "video/mp4";
}

}  // namespace

Format sniff(const std::uint8_t* d, std::size_t n, const char** mime, const char** message) {
  *message = nullptr;
  if (has(d, n, 0, "\xFF\xD8\xFF", 3)) {
    *mime = "image/jpeg";
    return Format::jpeg;
  }
  if (has(d, n, 0, "\x89PNG\r\n\x1A\n", 8)) {
    *mime = "image/png";
    return Format::png;
  }
  if (has(d, n, 0, "RIFF", 4) && has(d, n, 8, "WEBP", 4)) {
    *mime = "image/webp";
    return Format::webp;
  }
  const char* m = "application/octet-stream";
  const char* msg = "not a JPEG, PNG or WebP image";
  if (has(d, n, 0, "GIF87a", 6) || has(d, n, 0, "GIF89a", 6)) {
    m = "image/gif";
    msg = "GIF images are not supported; convert to PNG or WebP";
  } else if (const char* b = bmff_type(d, n)) {
    m = b;
    if (std::strcmp(b, "image/avif") == 0) {
      msg = "AVIF images are not supported; convert to JPEG, PNG or WebP";
    } else if (std::strcmp(b, "image/heic") == 0) {
      msg = "HEIC images are not supported; convert to JPEG";
    } else if (std::strcmp(b, "image/heif") == 0) {
      msg = "HEIF images are not supported; convert to JPEG";
    } else {
      msg = "a video, not an image; use JPEG, PNG or WebP";
    }
  } else if (has(d, n, 0, "\xFF\x0A", 2) || has(d, n, 0, "\0\0\0\x0CJXL \r\n\x87\n", 12)) {
    m = "image/jxl";
    msg = "JPEG XL images are not supported; convert to JPEG, PNG or WebP";
  } else if (has(d, n, 0, "II*\0", 4) || has(d, n, 0, "MM\0*", 4)) {
    m = "image/tiff";
    msg = "TIFF images are not supported; convert to JPEG, PNG or WebP";
  } else if (has(d, n, 0, "BM", 2) && n >= 26) {
    m = "image/bmp";
    msg = "BMP images are not supported; convert to PNG or WebP";
  } else if (has(d, n, 0, "\0\0\1\0", 4)) {
    m = "image/x-icon";
    msg = "ICO images are not supported; convert to PNG or WebP";
  } else if (has(d, n, 0, "%PDF-", 5)) {
    m = "application/pdf";
    msg = "a PDF document, not an image; use JPEG, PNG or WebP";
  }
  *mime = m;
  *message = msg;
  return Format::other;
}

Error validate(const Options& o, std::string* message) {
  auto bad = [&](std::string m) {
    *message = std::move(m);
    return Error::bad_image_options;
  };
  if (o.max_input_pixels == 0) return bad("maxPixels must be at least 1");
  if (o.max_memory_bytes == 0) return bad("maxMemory must be at least 1");
  if (o.variants.empty()) return bad("at least one variant is needed");
  if (o.variants.size() > kMaxVariants) return bad("at most " + std::to_string(kMaxVariants) + " variants");
  for (const VariantOptions& v : o.variants) {
    const std::string who = "variant '" + v.name + "': ";
    if (v.max_width > kMaxVariantSide || v.max_height > kMaxVariantSide) {
      return bad(who + "maxWidth and maxHeight must be 0..65535");
    }
    if (v.format != OutputFormat::webp && v.format != OutputFormat::jpeg)
      return bad(who + "format must be webp or jpeg");
    if (v.quality < 0 || v.quality > 100) return bad(who + "quality must be 0..100");
    if (v.method < 0 || v.method > 6) return bad(who + "method must be 0..6");
  }
  return Error::ok;
}

namespace {

struct Plan {
  std::uint32_t out_w, out_h;        // upright output
  std::uint32_t stored_w, stored_h;  // the same in stored orientation (what resize produces)
};

int applied_orientation(const Options& o, const Info& info) {
  return o.auto_orient ? info.orientation : 1;
}

Plan plan_variant(const VariantOptions& v, const Info& info, int orientation) {
  const bool swap = swaps_axes(orientation);
  const std::uint32_t uw = swap ? info.height : info.width, uh = swap ? info.width : info.height;
  Plan p;
  fit_box(uw, uh, v.max_width, v.max_height, &p.out_w, &p.out_h);
  p.stored_w = swap ? p.out_h : p.out_w;
  p.stored_h = swap ? p.out_w : p.out_h;
  return p;
}

}  // namespace

bool wants_ycc(const Options& o) {
  for (const VariantOptions& v : o.variants) {
    if (v.format != OutputFormat::webp || v.lossless) return false;
  }
  return !o.variants.empty();
}

void decode_target(const Options& o, const Info& info, std::uint32_t* width, std::uint32_t* height) {
  std::uint32_t w = 0, h = 0;
  const int orientation = applied_orientation(o, info);
  for (const VariantOptions& v : o.variants) {
    const Plan p = plan_variant(v, info, orientation);
    w = std::max(w, p.stored_w);
    h = std::max(h, p.stored_h);
  }
  *width = w;
  *height = h;
}

Error check_budget(const Options& o, const Info& info, std::uint32_t dw, std::uint32_t dh, int channels,
                   std::uint64_t decoder_bytes, std::string* message, std::uint64_t decoded_bytes, bool ycc) {
  // The per-variant terms count channels (3) bytes per pixel; a ycc variant needs 1.5 (Y and two
  // quarter-size chroma planes), so they bound it too.
  const std::uint64_t decoded = decoded_bytes ? decoded_bytes : std::uint64_t(dw) * dh * channels;
  const int orientation = applied_orientation(o, info);
  std::uint64_t worst = 0, outputs = 0;
  for (const VariantOptions& v : o.variants) {
    const Plan p = plan_variant(v, info, orientation);
    const std::uint64_t px = std::uint64_t(p.out_w) * p.out_h;
    std::uint64_t work = encoder_bytes(v, p.out_w, p.out_h);
    if (ycc || p.stored_w != dw || p.stored_h != dh) {
      work += resize_scratch_bytes(dw, dh, channels, p.stored_w, p.stored_h) + px * channels;
    }
    if (orientation != 1) work += px * channels;
    worst = std::max(worst, work);
    outputs += px;  // the encoded variants kept until the end: about a byte per pixel at most
  }
  const std::uint64_t need = decoded + std::max(decoder_bytes, worst + outputs);
  if (need <= o.max_memory_bytes) return Error::ok;
  *message = "decoding and resizing this " + std::to_string(info.width) + "x" + std::to_string(info.height) +
             " image needs about " + std::to_string(need >> 20) + " MiB, above the limit of " +
             std::to_string(o.max_memory_bytes >> 20) + " MiB";
  return Error::image_memory_limit;
}

namespace {

Result fail(Result r, Error e, std::string message) {
  r.error = e;
  r.message = std::move(message);
  r.variants.clear();
  return r;
}

// One variant from the YCbCr planes of Decoded::ycc: each plane resized on its own (Y to the
// variant's stored size, Cb and Cr to half of it, rounded up: WebP's 4:2:0), oriented, encoded.
// Chroma sample j of the upright output is centred between its luma pixels 2j and 2j + 1, which
// for an odd size is not where in/out would put it (the last chroma sample covers one pixel more
// than the image): its pitch in input samples is 2 * (luma in / luma out) / (input luma per chroma
// sample). The planes are resized in stored orientation and turned after, so along a stored axis
// the orientation reverses, the chroma grid starts at the far end: one output pixel back.
Error ycc_variant(const Decoded& d, const Plan& p, int orientation, const VariantOptions& v,
                  const std::vector<std::uint8_t>* icc, Variant* out, std::string* msg) {
  Bitmap kept[3];
  View views[3];
  const double luma_x = double(d.plane_w[0]) / p.stored_w, luma_y = double(d.plane_h[0]) / p.stored_h;
  const bool flip_x = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
  const bool flip_y = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
  for (int i = 0; i < 3; ++i) {
    const std::uint32_t w = i == 0 ? p.stored_w : (p.stored_w + 1) / 2, h = i == 0 ? p.stored_h : (p.stored_h + 1) / 2;
    const double sx = i == 0 ? luma_x : 2 * luma_x / d.pitch_x[i], sy = i == 0 ? luma_y : 2 * luma_y / d.pitch_y[i];
    // 2w - stored_w: the luma pixel the chroma grid overhangs (0 or 1), in input chroma samples.
    const double ox = i == 0 || !flip_x ? 0.0 : -double(2 * w - p.stored_w) * sx / 2;
    const double oy = i == 0 || !flip_y ? 0.0 : -double(2 * h - p.stored_h) * sy / 2;
    views[i] = d.plane(i);
    if (views[i].width != w || views[i].height != h || sx != 1.0 || sy != 1.0 || ox != 0.0 || oy != 0.0) {
      kept[i] = resize_pitch(views[i], w, h, sx, sy, ox, oy);
      if (kept[i].empty()) {
        *msg = "out of memory resizing";
        return Error::image_memory_limit;
      }
      views[i] = view_of(kept[i]);
    }
    if (orientation != 1) {
      Bitmap turned = orient(views[i], orientation);
      if (turned.empty()) {
        *msg = "out of memory orienting";
        return Error::image_memory_limit;
      }
      kept[i] = std::move(turned);
      views[i] = view_of(kept[i]);
    }
  }
  out->width = views[0].width;
  out->height = views[0].height;
  out->mime = "image/webp";
  return encode_webp_ycc(views, v, icc, &out->data, msg);
}

Error decode(Format f, const std::uint8_t* data, std::size_t size, const Options* o, Decoded* out, std::string* msg) {
  switch (f) {
    case Format::jpeg: return decode_jpeg(data, size, o, out, msg);
    case Format::png: return decode_png(data, size, o, out, msg);
    case Format::webp: return decode_webp(data, size, o, out, msg);
    default: return Error::unsupported_image;
  }
}

}  // namespace

Result probe(const std::uint8_t* data, std::size_t size) {
  Result r;
  const char* unsupported = nullptr;
  const Format f = sniff(data, size, &r.info.mime, &unsupported);
  if (f == Format::other) return fail(std::move(r), Error::unsupported_image, unsupported);
  Decoded d;
  std::string msg;
  const Error e = decode(f, data, size, nullptr, &d, &msg);
  r.info = d.info;
  if (e != Error::ok) return fail(std::move(r), e, msg);
  return r;
}

Result process(const std::uint8_t* data, std::size_t size, const Options& options) {
  Result r;
  std::string msg;
  const char* unsupported = nullptr;
  const Format f = sniff(data, size, &r.info.mime, &unsupported);
  Error e = validate(options, &msg);
  if (e != Error::ok) return fail(std::move(r), e, msg);
  if (f == Format::other) return fail(std::move(r), Error::unsupported_image, unsupported);
  Decoded d;
  e = decode(f, data, size, &options, &d, &msg);
  r.info = d.info;
  if (e != Error::ok) return fail(std::move(r), e, msg);
  if (d.bitmap.empty() && !d.ycc) return fail(std::move(r), Error::corrupt_image, "decoder returned no pixels");
  const int orientation = applied_orientation(options, d.info);
  const View decoded = view_of(d.bitmap);
  const std::vector<std::uint8_t>* icc = options.keep_icc && !d.icc.empty() ? &d.icc : nullptr;
  r.variants.reserve(options.variants.size());
  for (const VariantOptions& v : options.variants) {
    const Plan p = plan_variant(v, d.info, orientation);
    if (d.ycc) {
      Variant out;
      out.name = v.name;
      e = ycc_variant(d, p, orientation, v, icc, &out, &msg);
      if (e != Error::ok) return fail(std::move(r), e, "variant '" + v.name + "': " + msg);
      r.variants.push_back(std::move(out));
      continue;
    }
    Bitmap resized, oriented;
    View img = decoded;
    if (p.stored_w != decoded.width || p.stored_h != decoded.height) {
      resized = resize(decoded, p.stored_w, p.stored_h);
      if (resized.empty()) return fail(std::move(r), Error::image_memory_limit, "out of memory resizing");
      img = view_of(resized);
    }
    if (orientation != 1) {
      oriented = orient(img, orientation);
      if (oriented.empty()) return fail(std::move(r), Error::image_memory_limit, "out of memory orienting");
      resized = Bitmap();
      img = view_of(oriented);
    }
    Variant out;
    out.name = v.name;
    out.width = img.width;
    out.height = img.height;
    if (v.format == OutputFormat::jpeg) {
      out.mime = "image/jpeg";
      e = encode_jpeg(img, v, icc, &out.data, &msg);
    } else {
      out.mime = "image/webp";
      e = encode_webp(img, v, icc, &out.data, &msg);
    }
    if (e != Error::ok) return fail(std::move(r), e, "variant '" + v.name + "': " + msg);
    r.variants.push_back(std::move(out));
  }
  return r;
}

}  // namespace image
}  // namespace vs3
