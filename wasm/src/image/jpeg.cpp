// JPEG through the libjpeg API of libjpeg-turbo: header (Exif orientation, ICC), the decode at the
// smallest DCT scale M/8 that still covers the largest variant, to RGB (CMYK/YCCK converted here)
// or, for lossy WebP output, to raw YCbCr planes (Decoded::ycc), and the encoder.
// Every libjpeg error longjmps back to the setjmp of the function that owns the codec object; those
// functions keep their C++ objects alive across the jump (constructed before setjmp, in *State).
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>
#include <memory>
#include <new>

#include "codecs.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

extern "C" {
#include <jerror.h>
#include <jpeglib.h>
// For the IDCT table of the raw YCbCr decode (as TurboJPEG's tjDecompressToYUVPlanes does).
#include <jpegint.h>
}

namespace vs3 {
namespace image {
namespace {

constexpr int kMaxScans = 500;  // progressive files with more scans are refused (decode time)

struct ErrorMgr {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  Error code = Error::corrupt_image;
  char text[JMSG_LENGTH_MAX];
};

Error classify(int msg_code) {
  switch (msg_code) {
    case JERR_OUT_OF_MEMORY:
    case JERR_NO_BACKING_STORE:
    case JERR_TFILE_CREATE:
    case JERR_TFILE_READ:
    case JERR_TFILE_SEEK:
    case JERR_TFILE_WRITE: return Error::image_memory_limit;
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY:
    case JWRN_JPEG_EOF: return Error::truncated_image;
    default: return Error::corrupt_image;
  }
}

[[noreturn]] void on_error_exit(j_common_ptr c) {
  auto* e = reinterpret_cast<ErrorMgr*>(c->err);
  e->code = classify(c->err->msg_code);
  c->err->format_message(c, e->text);
  std::longjmp(e->jump, 1);
}

// Warnings are ignored (libjpeg fills damaged blocks and goes on, as browsers do) except a
// premature end of data, which is the truncated_image error.
void on_emit_message(j_common_ptr c, int level) {
  if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) on_error_exit(c);
  if (level < 0) c->err->num_warnings++;
}

void on_output_message(j_common_ptr) {}  // never print

void on_progress(j_common_ptr c) {
  if (!c->is_decompressor) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->input_scan_number > kMaxScans) {
    auto* e = reinterpret_cast<ErrorMgr*>(c->err);
    e->code = Error::corrupt_image;
    std::snprintf(e->text, sizeof e->text, "progressive JPEG with more than %d scans", kMaxScans);
    std::longjmp(e->jump, 1);
  }
}

void init_errors(ErrorMgr* e) {
  jpeg_std_error(&e->pub);
  e->pub.error_exit = on_error_exit;
  e->pub.emit_message = on_emit_message;
  e->pub.output_message = on_output_message;
  e->text[0] = 0;
}

bool starts_with(const jpeg_saved_marker_ptr m, const char* tag, unsigned n) {
  return m->data_length >= n && std::memcmp(m->data, tag, n) == 0;
}

void read_markers(j_decompress_ptr d, Info* info) {
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && info->orientation == 1 && starts_with(m, "Exif\0\0", 6)) {
      info->orientation = exif_orientation(m->data + 6, m->data_length - 6);
    } else if (m->marker == JPEG_APP0 + 2 && starts_with(m, "ICC_PROFILE\0", 12)) {
      info->has_icc = true;
    }
  }
}

// Estimate of libjpeg's own memory for the decode: the whole-image coefficient buffer of
// progressive / multi-scan files, else a few MCU rows; plus a constant for tables and buffers.
std::uint64_t libjpeg_bytes(j_decompress_ptr d) {
  std::uint64_t bytes = 256u << 10;
  for (int i = 0; i < d->num_components; ++i) {
    const jpeg_component_info& c = d->comp_info[i];
    const std::uint64_t row_blocks = std::uint64_t(c.width_in_blocks) + c.h_samp_factor;
    if (jpeg_has_multiple_scans(d)) {
      bytes += row_blocks * (std::uint64_t(c.height_in_blocks) + c.v_samp_factor) * DCTSIZE2 * sizeof(JCOEF);
    } else {
      bytes += row_blocks * DCTSIZE * c.v_samp_factor * 2 * DCTSIZE * 2;
    }
  }
  bytes += std::uint64_t(d->output_width) * 4 * 16;  // upsampling and colour conversion rows
  return bytes;
}

#if defined(__SSE2__)
// libjpeg-turbo's jpeg_idct_4x4 (jidctred.c: dequantize, then the reduced 4x4 inverse DCT of
// each 8x8 block, the decode at 1/2 scale), four columns or rows per vector instead of one at a
// time: its wasm build has no SIMD and this is 1/5 of a 1/2-scale decode there. The same integer
// arithmetic in the same order, so the output is bit for bit libjpeg's (its shortcuts for zero AC
// terms give the values the full formula gives); only out-of-range values of corrupt data clamp
// where libjpeg's range-limit table wraps, and (native builds only, where libjpeg keeps its
// multipliers in shorts) 16-bit quantizers above 32767 differ.
typedef std::int32_t v4si __attribute__((vector_size(16)));

inline v4si widen_s16(const JCOEF* p) {  // 4 coefficients, sign-extended
  const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return reinterpret_cast<v4si>(_mm_srai_epi32(_mm_unpacklo_epi16(x, x), 16));
}
inline v4si widen_u16(const UINT16* p) {
  return reinterpret_cast<v4si>(
      _mm_unpacklo_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), _mm_setzero_si128()));
}
inline void transpose(v4si& a, v4si& b, v4si& c, v4si& d) {
  const __m128i t0 = _mm_unpacklo_epi32(reinterpret_cast<__m128i>(a), reinterpret_cast<__m128i>(b));
  const __m128i t1 = _mm_unpackhi_epi32(reinterpret_cast<__m128i>(a), reinterpret_cast<__m128i>(b));
  const __m128i t2 = _mm_unpacklo_epi32(reinterpret_cast<__m128i>(c), reinterpret_cast<__m128i>(d));
  const __m128i t3 = _mm_unpackhi_epi32(reinterpret_cast<__m128i>(c), reinterpret_cast<__m128i>(d));
  a = reinterpret_cast<v4si>(_mm_unpacklo_epi64(t0, t2));
  b = reinterpret_cast<v4si>(_mm_unpackhi_epi64(t0, t2));
  c = reinterpret_cast<v4si>(_mm_unpacklo_epi64(t1, t3));
  d = reinterpret_cast<v4si>(_mm_unpackhi_epi64(t1, t3));
}

// One 1-D pass of the 4-point reduced IDCT over four lanes: inputs x0..x7 (x4 unused), outputs
// y0..y3 descaled by `shift` (libjpeg's DESCALE: add half, shift right).
inline void idct4_pass(const v4si x[8], int shift, v4si y[4]) {
  const v4si tmp0 = x[0] << 14;  // CONST_BITS + 1
  const v4si tmp2 = x[2] * 15137 + x[6] * -6270;
  const v4si tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
  const v4si z1 = x[7], z2 = x[5], z3 = x[3], z4 = x[1];
  const v4si o0 = z1 * -1730 + z2 * 11893 + z3 * -17799 + z4 * 8697;
  const v4si o2 = z1 * -4176 + z2 * -4926 + z3 * 7373 + z4 * 20995;
  const std::int32_t half = 1 << (shift - 1);
  y[0] = (tmp10 + o2 + half) >> shift;
  y[3] = (tmp10 - o2 + half) >> shift;
  y[1] = (tmp12 + o0 + half) >> shift;
  y[2] = (tmp12 - o0 + half) >> shift;
}

void idct_4x4_simd(j_decompress_ptr, jpeg_component_info* comp, JCOEFPTR coef, JSAMPARRAY out, JDIMENSION col) {
  const UINT16* q = comp->quant_table->quantval;
  // Pass 1 over columns: lanes are columns 0..3 (lo) and 4..7 (hi); x[r] is input row r.
  v4si lo[8], hi[8];
  for (std::ptrdiff_t r = 0; r < 8; ++r) {
    if (r == 4) continue;
    lo[r] = widen_s16(coef + r * 8) * widen_u16(q + r * 8);
    hi[r] = widen_s16(coef + r * 8 + 4) * widen_u16(q + r * 8 + 4);
  }
  lo[4] = hi[4] = v4si{0, 0, 0, 0};
  v4si wl[4], wh[4];       // workspace rows 0..3, columns 0..3 / 4..7
  idct4_pass(lo, 12, wl);  // CONST_BITS - PASS1_BITS + 1
  idct4_pass(hi, 12, wh);
  // Pass 2 over rows: transpose so that lanes are the 4 rows and x[c] is column c.
  transpose(wl[0], wl[1], wl[2], wl[3]);
  transpose(wh[0], wh[1], wh[2], wh[3]);
  const v4si x[8] = {wl[0], wl[1], wl[2], wl[3], wh[0], wh[1], wh[2], wh[3]};
  v4si y[4];
  idct4_pass(x, 19, y);               // CONST_BITS + PASS1_BITS + 3 + 1
  transpose(y[0], y[1], y[2], y[3]);  // back to rows
  const __m128i centre = _mm_set1_epi32(CENTERJSAMPLE);
  const __m128i r01 = _mm_packs_epi32(_mm_add_epi32(reinterpret_cast<__m128i>(y[0]), centre),
                                      _mm_add_epi32(reinterpret_cast<__m128i>(y[1]), centre));
  const __m128i r23 = _mm_packs_epi32(_mm_add_epi32(reinterpret_cast<__m128i>(y[2]), centre),
                                      _mm_add_epi32(reinterpret_cast<__m128i>(y[3]), centre));
  const __m128i bytes = _mm_packus_epi16(r01, r23);  // row k in bytes 4k..4k+3, clamped to 0..255
  alignas(16) std::uint8_t rows[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(rows), bytes);
  for (std::ptrdiff_t k = 0; k < 4; ++k) std::memcpy(out[k] + col, rows + 4 * k, 4);
}
#endif

// Puts the vectorised 4x4 IDCT in place of libjpeg's for every component decoded at that size
// (after jpeg_start_decompress, which picks the IDCTs; only the islow method has this size).
void use_fast_idct(j_decompress_ptr d) {
#if defined(__SSE2__)
  for (int c = 0; c < d->num_components; ++c) {
    // No quant table: the component is in no scan (libjpeg accepts that and runs its IDCT on a
    // zero multiplier table); libjpeg's own IDCT stays for it.
    const jpeg_component_info& comp = d->comp_info[c];
    if (comp.DCT_scaled_size == 4 && comp.quant_table && d->dct_method == JDCT_ISLOW)
      d->idct->inverse_DCT[c] = idct_4x4_simd;
  }
#else
  (void)d;
#endif
}

// A YCbCr file whose chroma planes are one block per MCU (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1) and
// whose luma has the largest sampling factors: decodable as raw planes.
bool raw_ycc_ok(j_decompress_ptr d) {
  if (d->jpeg_color_space != JCS_YCbCr || d->num_components != 3) return false;
  const jpeg_component_info* c = d->comp_info;
  return c[0].h_samp_factor == d->max_h_samp_factor && c[0].v_samp_factor == d->max_v_samp_factor &&
         c[1].h_samp_factor == 1 && c[1].v_samp_factor == 1 && c[2].h_samp_factor == 1 && c[2].v_samp_factor == 1;
}

struct DecodeState {
  ErrorMgr err;
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  Decoded* out = nullptr;
  const Options* options = nullptr;
  Bitmap cmyk_row;  // one row of CMYK when the file is CMYK/YCCK
  std::string* message = nullptr;
  Error result = Error::ok;
  JOCTET* icc = nullptr;
  unsigned icc_len = 0;
};

// libjpeg scales subsampled 4:2:0 chroma up inside its IDCT when the image is scaled down (at
// 1/2, chroma comes out at the luma size, through the 8x8 IDCT). TurboJPEG's YUV decoder undoes
// that so the planes stay subsampled, and so does read_planes: the chroma components take the
// luma's scaled IDCT and block size (a quarter of the chroma samples, and a cheaper IDCT).
bool keeps_chroma_subsampled(j_decompress_ptr d) {
  return d->max_h_samp_factor == 2 && d->max_v_samp_factor == 2 && d->min_DCT_scaled_size < DCTSIZE;
}
// The block size component c is decoded at in read_planes (valid from jpeg_calc_output_dimensions).
int plane_block(j_decompress_ptr d, int c) {
  return c > 0 && keeps_chroma_subsampled(d) ? d->min_DCT_scaled_size : d->comp_info[c].DCT_scaled_size;
}
JDIMENSION imcu_rows_of(j_decompress_ptr d) {
  return (d->image_height + d->max_v_samp_factor * DCTSIZE - 1) / (d->max_v_samp_factor * DCTSIZE);
}
// Plane c's buffer: whole blocks (libjpeg writes every block of the component, padding included)
// plus one MCU of columns, and whole iMCU rows.
std::uint32_t plane_stride(j_decompress_ptr d, int c) {
  return (d->comp_info[c].width_in_blocks + d->comp_info[c].h_samp_factor) * plane_block(d, c);
}
std::uint64_t plane_bytes(j_decompress_ptr d) {
  std::uint64_t bytes = 0;
  for (int c = 0; c < 3; ++c) {
    bytes += std::uint64_t(plane_stride(d, c)) * imcu_rows_of(d) * d->comp_info[c].v_samp_factor * plane_block(d, c);
  }
  return bytes;
}

// After jpeg_start_decompress with raw_data_out: every iMCU row straight into three planes.
void read_planes(DecodeState* s) {
  j_decompress_ptr d = &s->cinfo;
  const int dct = d->min_DCT_scaled_size;
  if (keeps_chroma_subsampled(d)) {
    for (int c = 1; c < 3; ++c) {
      jpeg_component_info* comp = &d->comp_info[c];
      comp->DCT_scaled_size = dct;
      // (MCU_width is h_samp_factor in an interleaved scan; it is only set for the components of
      // the current scan, and only single-scan decoding reads MCU_sample_width.)
      comp->MCU_sample_width = comp->h_samp_factor * dct;
      d->idct->inverse_DCT[c] = d->idct->inverse_DCT[0];
    }
  }
  use_fast_idct(d);
  Decoded* out = s->out;
  const JDIMENSION imcu_rows = imcu_rows_of(d);
  int rows[3];
  for (int c = 0; c < 3; ++c) {
    const jpeg_component_info& comp = d->comp_info[c];
    const int scaled = comp.DCT_scaled_size;
    const std::uint64_t across = std::uint64_t(d->max_h_samp_factor) * DCTSIZE,
                        down = std::uint64_t(d->max_v_samp_factor) * DCTSIZE;
    out->plane_w[c] =
        static_cast<std::uint32_t>((std::uint64_t(d->image_width) * comp.h_samp_factor * scaled + across - 1) / across);
    out->plane_h[c] =
        static_cast<std::uint32_t>((std::uint64_t(d->image_height) * comp.v_samp_factor * scaled + down - 1) / down);
    rows[c] = comp.v_samp_factor * scaled;
    out->pitch_x[c] = double(d->max_h_samp_factor * dct) / (comp.h_samp_factor * scaled);
    out->pitch_y[c] = double(d->max_v_samp_factor * dct) / (comp.v_samp_factor * scaled);
    if (!out->planes[c].allocate(plane_stride(d, c), imcu_rows * rows[c], 1)) {
      s->result = Error::image_memory_limit;
      *s->message = "out of memory for the decoded JPEG";
      return;
    }
  }
  JSAMPROW ptrs[3][2 * DCTSIZE * 4];  // v_samp_factor (<= 4) * scaled block size (<= 16) rows
  for (int c = 0; c < 3; ++c) {
    if (rows[c] > int(sizeof ptrs[c] / sizeof ptrs[c][0])) {
      s->result = Error::corrupt_image;
      *s->message = "unexpected JPEG sampling";
      return;
    }
  }
  JSAMPARRAY arrays[3] = {ptrs[0], ptrs[1], ptrs[2]};
  const JDIMENSION lines = static_cast<JDIMENSION>(d->max_v_samp_factor * dct);
  for (JDIMENSION imcu = 0; d->output_scanline < d->output_height; ++imcu) {
    if (imcu >= imcu_rows) break;
    for (int c = 0; c < 3; ++c) {
      Bitmap& p = out->planes[c];
      for (int r = 0; r < rows[c]; ++r) ptrs[c][r] = p.pixels.get() + (std::size_t(imcu) * rows[c] + r) * p.width;
    }
    if (jpeg_read_raw_data(d, arrays, lines) != lines) {
      s->result = Error::corrupt_image;
      *s->message = "JPEG decoder made no progress";
      return;
    }
  }
  out->ycc = true;
  jpeg_finish_decompress(d);  // reads up to EOI: a file cut after the last row is truncated too
}

// The body that may longjmp: only state in *s survives a jump.
void run_decode(DecodeState* s, const std::uint8_t* data, std::size_t size) {
  j_decompress_ptr d = &s->cinfo;
  jpeg_mem_src(d, data, static_cast<unsigned long>(size));
  jpeg_save_markers(d, JPEG_APP0 + 1, 0xFFFF);
  jpeg_save_markers(d, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(d, TRUE);
  Info& info = s->out->info;
  info.width = d->image_width;
  info.height = d->image_height;
  info.frames = 1;
  read_markers(d, &info);
  if (!s->options) return;
  const Options& o = *s->options;
  if (std::uint64_t(d->image_width) * d->image_height > o.max_input_pixels) {
    s->result = Error::image_too_large;
    *s->message = "JPEG is " + std::to_string(d->image_width) + "x" + std::to_string(d->image_height) +
                  ", above the limit of " + std::to_string(o.max_input_pixels) + " pixels";
    return;
  }
  const bool cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
  const bool ycc = wants_ycc(o) && raw_ycc_ok(d);
  d->out_color_space = cmyk ? JCS_CMYK : ycc ? JCS_YCbCr : JCS_RGB;
  d->raw_data_out = ycc ? TRUE : FALSE;
  d->dct_method = JDCT_ISLOW;
  std::uint32_t need_w = 0, need_h = 0;
  decode_target(o, info, &need_w, &need_h);
  d->scale_denom = 8;
  d->scale_num = 8;
  if (need_w && need_h) {
    for (unsigned num = 1; num <= 8; ++num) {
      d->scale_num = num;
      jpeg_calc_output_dimensions(d);
      if (d->output_width >= need_w && d->output_height >= need_h) break;
    }
  }
  jpeg_calc_output_dimensions(d);
  const std::uint64_t own = libjpeg_bytes(d) + (cmyk ? std::uint64_t(d->output_width) * 4 : 0);
  s->result =
      check_budget(o, info, d->output_width, d->output_height, 3, own, s->message, ycc ? plane_bytes(d) : 0, ycc);
  if (s->result != Error::ok) return;
  // libjpeg's own cap (a long: 2 GiB at most in wasm32); its coefficient buffer above it fails
  // with "Backing store not supported" -> image_memory_limit.
  const std::uint64_t bitmap = std::uint64_t(d->output_width) * d->output_height * 3;
  std::uint64_t cap = o.max_memory_bytes > bitmap ? o.max_memory_bytes - bitmap : 1;
  if (cap > 0x7fffffffull) cap = 0x7fffffffull;
  d->mem->max_memory_to_use = static_cast<long>(cap);
  if (o.keep_icc && info.has_icc) jpeg_read_icc_profile(d, &s->icc, &s->icc_len);

  jpeg_start_decompress(d);
  if (ycc) {
    read_planes(s);
    return;
  }
  use_fast_idct(d);
  Bitmap& bmp = s->out->bitmap;
  if (!bmp.allocate(d->output_width, d->output_height, 3) || (cmyk && !s->cmyk_row.allocate(d->output_width, 1, 4))) {
    s->result = Error::image_memory_limit;
    *s->message = "out of memory for the decoded JPEG";
    return;
  }
  const int expect = cmyk ? 4 : 3;
  if (d->output_components != expect) {
    s->result = Error::corrupt_image;
    *s->message = "unexpected JPEG colour components";
    return;
  }
  // Adobe CMYK JPEGs (Photoshop) store inverted values; plain CMYK ones do not.
  const bool inverted = d->saw_Adobe_marker;
  while (d->output_scanline < d->output_height) {
    std::uint8_t* row = bmp.pixels.get() + std::size_t(d->output_scanline) * bmp.stride();
    JSAMPROW rows[1] = {cmyk ? s->cmyk_row.pixels.get() : row};
    if (jpeg_read_scanlines(d, rows, 1) != 1) {
      s->result = Error::corrupt_image;
      *s->message = "JPEG decoder made no progress";
      return;
    }
    if (cmyk) {
      const std::uint8_t* p = s->cmyk_row.pixels.get();
      for (std::uint32_t x = 0; x < d->output_width; ++x, p += 4) {
        unsigned c = p[0], m = p[1], y = p[2], k = p[3];
        if (!inverted) {
          c = 255 - c;
          m = 255 - m;
          y = 255 - y;
          k = 255 - k;
        }
        row[x * 3 + 0] = static_cast<std::uint8_t>((c * k + 127) / 255);
        row[x * 3 + 1] = static_cast<std::uint8_t>((m * k + 127) / 255);
        row[x * 3 + 2] = static_cast<std::uint8_t>((y * k + 127) / 255);
      }
    }
  }
  jpeg_finish_decompress(d);  // reads up to EOI: a file cut after the last row is truncated too
}

struct EncodeState {
  ErrorMgr err;
  jpeg_compress_struct cinfo;
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  Bitmap row;  // one RGB row when the input has alpha
  Error result = Error::ok;
};

void run_encode(EncodeState* s, const View& image, const VariantOptions& v, const std::vector<std::uint8_t>* icc) {
  j_compress_ptr c = &s->cinfo;
  jpeg_mem_dest(c, &s->buf, &s->len);
  c->image_width = image.width;
  c->image_height = image.height;
  c->input_components = 3;
  c->in_color_space = JCS_RGB;
  jpeg_set_defaults(c);
  jpeg_set_quality(c, v.quality, TRUE);
  c->optimize_coding = TRUE;
  c->dct_method = JDCT_ISLOW;
  c->comp_info[0].h_samp_factor = 2;  // 4:2:0
  c->comp_info[0].v_samp_factor = 2;
  if (v.progressive) jpeg_simple_progression(c);
  jpeg_start_compress(c, TRUE);
  if (icc && !icc->empty()) jpeg_write_icc_profile(c, icc->data(), static_cast<unsigned>(icc->size()));
  const bool alpha = image.channels == 4;
  while (c->next_scanline < c->image_height) {
    const std::uint8_t* src = image.pixels + std::size_t(c->next_scanline) * image.stride;
    JSAMPROW rows[1] = {const_cast<JSAMPROW>(src)};
    if (alpha) {  // composite over white
      std::uint8_t* d = s->row.pixels.get();
      for (std::uint32_t x = 0; x < image.width; ++x) {
        const unsigned a = src[x * 4 + 3];
        for (int k = 0; k < 3; ++k)
          d[x * 3 + k] = static_cast<std::uint8_t>((src[x * 4 + k] * a + 255 * (255 - a) + 127) / 255);
      }
      rows[0] = d;
    }
    jpeg_write_scanlines(c, rows, 1);
  }
  jpeg_finish_compress(c);
}

}  // namespace

Error decode_jpeg(const std::uint8_t* data, std::size_t size, const Options* options, Decoded* out,
                  std::string* message) {
  out->info.mime = "image/jpeg";
  // On the heap: what run_decode changes must not live in this frame's registers across longjmp.
  std::unique_ptr<DecodeState> s(new (std::nothrow) DecodeState);
  if (!s) {
    *message = "out of memory";
    return Error::image_memory_limit;
  }
  s->out = out;
  s->options = options;
  s->message = message;
  init_errors(&s->err);
  s->cinfo.err = &s->err.pub;
  s->progress.progress_monitor = on_progress;
  if (setjmp(s->err.jump)) {
    s->result = s->err.code;
    *message = std::string("JPEG: ") + s->err.text;
  } else {
    jpeg_create_decompress(&s->cinfo);
    s->cinfo.progress = &s->progress;
    run_decode(s.get(), data, size);
  }
  jpeg_destroy_decompress(&s->cinfo);
  if (s->icc) {
    if (s->result == Error::ok) out->icc.assign(s->icc, s->icc + s->icc_len);
    std::free(s->icc);
  }
  if (s->result != Error::ok) {
    out->bitmap = Bitmap();
    out->ycc = false;
    for (Bitmap& p : out->planes) p = Bitmap();
  }
  return s->result;
}

Error encode_jpeg(const View& image, const VariantOptions& v, const std::vector<std::uint8_t>* icc,
                  std::vector<std::uint8_t>* out, std::string* message) {
  if (image.width > JPEG_MAX_DIMENSION || image.height > JPEG_MAX_DIMENSION) {
    *message = "JPEG output is limited to 65500 px per side";
    return Error::encode_failed;
  }
  std::unique_ptr<EncodeState> s(new (std::nothrow) EncodeState);
  if (!s || (image.channels == 4 && !s->row.allocate(image.width, 1, 3))) {
    *message = "out of memory encoding JPEG";
    return Error::image_memory_limit;
  }
  init_errors(&s->err);
  s->cinfo.err = &s->err.pub;
  if (setjmp(s->err.jump)) {
    s->result = s->err.code == Error::image_memory_limit ? Error::image_memory_limit : Error::encode_failed;
    *message = std::string("JPEG encoder: ") + s->err.text;
  } else {
    jpeg_create_compress(&s->cinfo);
    run_encode(s.get(), image, v, icc);
  }
  jpeg_destroy_compress(&s->cinfo);
  if (s->result == Error::ok) out->assign(s->buf, s->buf + s->len);
  std::free(s->buf);
  return s->result;
}

std::uint64_t encoder_bytes(const VariantOptions& v, std::uint32_t w, std::uint32_t h) {
  const std::uint64_t px = std::uint64_t(w) * h;
  if (v.format == OutputFormat::jpeg) return px * 4 + (64u << 10);  // coefficients (optimize_coding) + output
  if (v.lossless) return px * 24 + (512u << 10);                    // ARGB copies, hash chain, refs
  return px * 6 + (256u << 10);                                     // YUVA planes, tokens, output
}

}  // namespace image
}  // namespace vs3
