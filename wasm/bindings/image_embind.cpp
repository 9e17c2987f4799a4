// The only image file that knows about Emscripten: exposes the image pipeline (vs3::image) to
// JavaScript through Embind as the vs3image module, separate from vs3core.
// Byte transfer: JS asks an ImageProcessor for a view of its input buffer in the WASM heap, copies
// the whole file in (one memcpy), then calls process(n, options) or probe(n). Results come back as
// plain JS objects; each variant's bytes are a JS-owned Uint8Array copy, never a heap view.
// Option values are checked here (types, finiteness, ranges) so that nothing JS passes can crash
// the module: a bad value is the error 'bad_image_options', never an exception.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "vs3/image/image.hpp"
#include "vs3/image/pixels.hpp"

using emscripten::val;
namespace img = vs3::image;

namespace {

struct OptionError {
  std::string message;
};

// A number property that is finite, an integer and within [lo, hi]; else records the problem.
bool get_int(const val& obj, const char* key, double lo, double hi, double* out, OptionError* err) {
  const val v = obj[key];
  if (!v.isNumber()) {
    err->message = std::string(key) + " must be a number";
    return false;
  }
  const double d = v.as<double>();
  if (!std::isfinite(d) || d < lo || d > hi || std::floor(d) != d) {
    err->message = std::string(key) + " must be an integer in " + std::to_string(static_cast<long long>(lo)) + ".." +
                   std::to_string(static_cast<long long>(hi));
    return false;
  }
  *out = d;
  return true;
}

bool get_bool(const val& obj, const char* key, bool* out, OptionError* err) {
  const val v = obj[key];
  if (v.isTrue() || v.isFalse()) {
    *out = v.isTrue();
    return true;
  }
  err->message = std::string(key) + " must be a boolean";
  return false;
}

bool read_options(const val& js, img::Options* o, OptionError* err) {
  if (js.isNull() || js.isUndefined() || js.typeOf().as<std::string>() != "object") {
    err->message = "options must be an object";
    return false;
  }
  double d = 0;
  if (!get_int(js, "maxPixels", 1, 9007199254740991.0, &d, err)) return false;
  o->max_input_pixels = static_cast<std::uint64_t>(d);
  if (!get_int(js, "maxMemory", 1, 9007199254740991.0, &d, err)) return false;
  o->max_memory_bytes = static_cast<std::uint64_t>(d);
  if (!get_bool(js, "keepIcc", &o->keep_icc, err) || !get_bool(js, "autoOrient", &o->auto_orient, err)) return false;
  const val list = js["variants"];
  if (!list.isArray()) {
    err->message = "variants must be an array";
    return false;
  }
  const double n = list["length"].as<double>();
  if (n < 1 || n > double(img::kMaxVariants)) {
    err->message = "variants must hold 1.." + std::to_string(img::kMaxVariants) + " entries";
    return false;
  }
  for (int i = 0; i < int(n); ++i) {
    const val v = list[i];
    if (v.isNull() || v.isUndefined() || v.typeOf().as<std::string>() != "object") {
      err->message = "variants[" + std::to_string(i) + "] must be an object";
      return false;
    }
    img::VariantOptions out;
    const val name = v["name"];
    if (!name.isString()) {
      err->message = "variants[" + std::to_string(i) + "].name must be a string";
      return false;
    }
    out.name = name.as<std::string>();
    const val format = v["format"];
    const std::string f = format.isString() ? format.as<std::string>() : std::string();
    if (f == "webp") {
      out.format = img::OutputFormat::webp;
    } else if (f == "jpeg") {
      out.format = img::OutputFormat::jpeg;
    } else {
      err->message = "variants[" + std::to_string(i) + "].format must be 'webp' or 'jpeg'";
      return false;
    }
    OptionError e;
    bool ok = get_int(v, "maxWidth", 0, img::kMaxVariantSide, &d, &e);
    if (ok) out.max_width = static_cast<std::uint32_t>(d);
    ok = ok && get_int(v, "maxHeight", 0, img::kMaxVariantSide, &d, &e);
    if (ok) out.max_height = static_cast<std::uint32_t>(d);
    ok = ok && get_int(v, "quality", 0, 100, &d, &e);
    if (ok) out.quality = static_cast<int>(d);
    ok = ok && get_int(v, "method", 0, 6, &d, &e);
    if (ok) out.method = static_cast<int>(d);
    ok = ok && get_bool(v, "lossless", &out.lossless, &e) && get_bool(v, "progressive", &out.progressive, &e);
    if (!ok) {
      err->message = "variants[" + std::to_string(i) + "]." + e.message;
      return false;
    }
    o->variants.push_back(std::move(out));
  }
  return true;
}

val info_to_js(const img::Info& info) {
  val o = val::object();
  o.set("type", std::string(info.mime ? info.mime : ""));
  o.set("width", info.width);
  o.set("height", info.height);
  o.set("orientation", info.orientation);
  o.set("hasAlpha", info.has_alpha);
  o.set("animated", info.animated);
  o.set("frames", info.frames);
  o.set("hasIcc", info.has_icc);
  return o;
}

val result_to_js(const img::Result& r) {
  val o = val::object();
  o.set("error", std::string(img::error_code(r.error)));
  o.set("message", r.message);
  o.set("info", info_to_js(r.info));
  val list = val::array();
  const val u8 = val::global("Uint8Array");
  for (std::size_t i = 0; i < r.variants.size(); ++i) {
    const img::Variant& v = r.variants[i];
    val js = val::object();
    js.set("name", v.name);
    js.set("width", v.width);
    js.set("height", v.height);
    js.set("type", std::string(v.mime));
    // new Uint8Array(view) copies: the result outlives this call's heap.
    js.set("data", u8.new_(emscripten::typed_memory_view(v.data.size(), v.data.data())));
    list.set(i, js);
  }
  o.set("variants", list);
  return o;
}

class ImageProcessor {
 public:
  // A view of n bytes of input buffer in the WASM heap, valid until the next call. Shorter than n
  // (empty) if the buffer could not be allocated.
  val input(double n) {
    if (!(n >= 0) || n > 4294967295.0) return val(emscripten::typed_memory_view(std::size_t(0), buf_.get()));
    const std::size_t size = static_cast<std::size_t>(n);
    if (size > cap_) {
      buf_.reset();
      cap_ = 0;
      auto* p = static_cast<std::uint8_t*>(std::malloc(size ? size : 1));
      if (!p) return val(emscripten::typed_memory_view(std::size_t(0), static_cast<std::uint8_t*>(nullptr)));
      buf_.reset(p);
      cap_ = size;
    }
    return val(emscripten::typed_memory_view(size, buf_.get()));
  }
  val process(double n, val options) {
    img::Result r;
    if (!valid_length(n, &r)) return result_to_js(r);
    img::Options o;
    OptionError err;
    if (!read_options(options, &o, &err)) {
      r.error = img::Error::bad_image_options;
      r.message = err.message;
      return result_to_js(r);
    }
    return result_to_js(img::process(buf_.get(), static_cast<std::size_t>(n), o));
  }
  val probe(double n) {
    img::Result r;
    if (!valid_length(n, &r)) return result_to_js(r);
    return result_to_js(img::probe(buf_.get(), static_cast<std::size_t>(n)));
  }
  void release() {
    buf_.reset();
    cap_ = 0;
  }

 private:
  bool valid_length(double n, img::Result* r) const {
    if (n >= 0 && n <= double(cap_) && std::floor(n) == n) return true;
    r->error = img::Error::bad_image_options;
    r->message = "n must be an integer no larger than the input buffer (call input(n) first)";
    return false;
  }
  std::unique_ptr<std::uint8_t[], img::FreeDeleter> buf_;
  std::size_t cap_ = 0;
};

}  // namespace

EMSCRIPTEN_BINDINGS(vs3image) {
  emscripten::class_<ImageProcessor>("ImageProcessor")
      .constructor<>()
      .function("input", &ImageProcessor::input)
      .function("process", &ImageProcessor::process)
      .function("probe", &ImageProcessor::probe)
      .function("release", &ImageProcessor::release);
}
