// Magic-byte sniffing, a port of js/src/sniff.ts (sniffType, checkContent): the same signature table
// in the same order, and the markup rules with the exact meaning of its regular expressions over
// TextDecoder('latin1') + toLowerCase() text (ASCII folded, other bytes kept; JS `\s` there is
// 0x09-0x0D, 0x20 and 0xA0). Any change here goes into sniff.ts too, and the reverse.
// Written for size, not speed (it reads 1 KiB per file and every byte here ships in the core):
// tables are word lists in strings, and the few helpers stay out of line.
#include "vs3/sniff.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>

namespace vs3 {
namespace {

using namespace std::literals;
constexpr std::size_t npos = std::string_view::npos;

// s holds lit at pos (false when it does not fit).
[[gnu::noinline]] bool has_at(std::string_view s, std::size_t pos, std::string_view lit) {
  return s.size() >= pos && s.size() - pos >= lit.size() && std::memcmp(s.data() + pos, lit.data(), lit.size()) == 0;
}

// The first position >= pos where s holds lit; npos when none.
[[gnu::noinline]] std::size_t find(std::string_view s, std::string_view lit, std::size_t pos = 0) {
  for (; pos < s.size(); ++pos) {
    if (has_at(s, pos, lit)) return pos;
  }
  return npos;
}

// The words of a list, separated by `sep`, one at a time.
struct Words {
  std::string_view rest;
  char sep = ' ';
  bool next(std::string_view& word) {
    if (rest.empty()) return false;
    const std::size_t end = std::min(find(rest, std::string_view(&sep, 1)), rest.size());
    word = std::string_view(rest.data(), end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    return true;
  }
};

// Whether s is one of the space-separated words of list.
[[gnu::noinline]] bool in_list(std::string_view s, std::string_view list) {
  Words w{list};
  for (std::string_view word; w.next(word);) {
    if (word == s) return true;
  }
  return false;
}

// The rest of the line of `table` ("key value...") whose first word is key; false when none.
[[gnu::noinline]] bool lookup(std::string_view table, std::string_view key, std::string_view& value) {
  Words lines{table, '\n'};
  for (std::string_view line; lines.next(line);) {
    Words w{line};
    std::string_view first;
    if (w.next(first) && first == key) {
      value = w.rest;
      return true;
    }
  }
  return false;
}

// A signature: `len` bytes of `magic` at `offset`.
struct Sig {
  const char* magic;
  std::uint8_t len;
  std::uint16_t offset;
  const char* type;
};
constexpr Sig sig(std::string_view magic, const char* type, std::uint16_t offset = 0) {
  return Sig{magic.data(), std::uint8_t(magic.size()), offset, type};
}

// Before the RIFF/ftyp/BMP rules (a JPEG may have "ftyp" at 4).
constexpr Sig kFirst[] = {
    sig("\xff\xd8\xff"sv, "image/jpeg"),
    sig("\x89PNG\r\n\x1a\n"sv, "image/png"),
    sig("GIF87a"sv, "image/gif"),
    sig("GIF89a"sv, "image/gif"),
};

// After them, in sniff.ts order.
constexpr Sig kRest[] = {
    sig("II*\0"sv, "image/tiff"),
    sig("MM\0*"sv, "image/tiff"),
    sig("\0\0\1\0"sv, "image/x-icon"),
    sig("\xff\x0a"sv, "image/jxl"),
    sig("\0\0\0\x0cJXL "sv, "image/jxl"),
    sig("%PDF-"sv, "application/pdf"),
    sig("PK\3\4"sv, "application/zip"),
    sig("PK\5\6"sv, "application/zip"),
    sig("\x1f\x8b"sv, "application/gzip"),
    sig("7z\xbc\xaf\x27\x1c"sv, "application/x-7z-compressed"),
    sig("Rar!"sv, "application/vnd.rar"),
    sig("BZh"sv, "application/x-bzip2"),
    sig("\xfd\x37zXZ\0"sv, "application/x-xz"),
    sig("\x28\xb5\x2f\xfd"sv, "application/zstd"),
    sig("ustar"sv, "application/x-tar", 257),
    sig("\x1a\x45\xdf\xa3"sv, "video/webm"),
    sig("OggS"sv, "audio/ogg"),
    sig("fLaC"sv, "audio/flac"),
    sig("ID3"sv, "audio/mpeg"),
    // (the MPEG frame sync rule of sniff.ts sits here; nothing below starts with 0xFF, so it is
    // checked after this table with the same outcome)
    sig("\0asm"sv, "application/wasm"),
    // Executables: ELF, PE (MZ), Mach-O (32/64-bit, both byte orders, fat binaries).
    sig("\x7f\x45LF"sv, "application/x-elf"),
    sig("MZ"sv, "application/vnd.microsoft.portable-executable"),
    sig("\xfe\xed\xfa\xce"sv, "application/x-mach-binary"),
    sig("\xfe\xed\xfa\xcf"sv, "application/x-mach-binary"),
    sig("\xce\xfa\xed\xfe"sv, "application/x-mach-binary"),
    sig("\xcf\xfa\xed\xfe"sv, "application/x-mach-binary"),
    sig("\xca\xfe\xba\xbe"sv, "application/x-mach-binary"),
    sig("#!"sv, "text/x-shellscript"),
};

// The type of the first signature of the table the bytes have; "" when none.
[[gnu::noinline]] std::string_view first_match(std::string_view b, const Sig* table, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) {
    if (has_at(b, table[k].offset, std::string_view(table[k].magic, table[k].len))) return table[k].type;
  }
  return {};
}

// ISO BMFF brands (the box at offset 4, "ftyp"); any other brand is video/mp4.
constexpr std::string_view kFtyp =
    "avif image/avif\navis image/avif\nheic image/heic\nheix image/heic\nhevc image/heic\nheim image/heic\n"
    "heis image/heic\nmif1 image/heif\nmsf1 image/heif\nqt video/quicktime\nM4A audio/mp4\nM4B audio/mp4\n"
    "3gp4 video/3gpp\n3gp5 video/3gpp\n3gp6 video/3gpp\n3g2a video/3gpp2";

// String.prototype.trim() and the regular expressions' \s on Latin-1 code units: 0x09-0x0D, 0x20, 0xA0.
bool js_space(char c) {
  const auto u = std::uint8_t(c);
  return (u >= 0x09 && u <= 0x0d) || u == 0x20 || u == 0xa0;
}
bool lower_alpha(char c) {
  return c >= 'a' && c <= 'z';
}
char fold(char c) {
  return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}
// [\w.-] once ASCII is folded.
bool name_char(char c) {
  return lower_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// /^<!doctype\s+<word>/
bool doctype(std::string_view text, std::string_view word) {
  if (!has_at(text, 0, "<!doctype"sv)) return false;
  std::size_t i = 9;
  while (i < text.size() && js_space(text[i])) ++i;
  return i > 9 && has_at(text, i, word);
}

// The end of /[a-z][\w.-]*/ at from; npos when it does not start there.
std::size_t name_end(std::string_view s, std::size_t from) {
  if (from >= s.size() || !lower_alpha(s[from])) return npos;
  while (++from < s.size() && name_char(s[from])) {
  }
  return from;
}

// HTML, SVG or XML by their opening (sniffMarkup in sniff.ts).
std::string_view sniff_markup(std::string_view b) {
  std::size_t i = 0;
  if (has_at(b, 0, "\xef\xbb\xbf"sv)) {
    i = 3;
  } else if (has_at(b, 0, "\xfe\xff"sv) || has_at(b, 0, "\xff\xfe"sv)) {
    // utf16ToAscii: the low byte of each code unit after the BOM, then the same rules.
    const std::size_t odd = b[0] == '\xff' ? 0 : 1, m = (b.size() - 2) >> 1;
    const std::unique_ptr<char[]> out(new char[m + 1]);
    for (std::size_t k = 0; k < m; ++k) out[k] = b[2 + 2 * k + odd];
    return sniff_markup(std::string_view(out.get(), m));
  }
  while (i < b.size() && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0a || b[i] == 0x0d || b[i] == 0x0c)) ++i;
  if (i >= b.size() || b[i] != '<') return {};
  // The decoded, lower-cased text: from the '<' to byte kSniffBytes of the input.
  char text_buf[kSniffBytes], bare_buf[kSniffBytes];
  const std::size_t tn = std::max(i, std::min(b.size(), kSniffBytes)) - i;
  for (std::size_t k = 0; k < tn; ++k) text_buf[k] = fold(b[i + k]);
  const std::string_view text(text_buf, tn);
  // /^<[a-z!?]/: "<3", "< 5" are not markup.
  if (tn < 2 || !(lower_alpha(text[1]) || text[1] == '!' || text[1] == '?')) return {};

  // text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>/g, ''): comments, processing
  // instructions and declarations out, leftmost first, each alternative tried in that order.
  std::size_t bn = 0;
  for (std::size_t p = 0; p < tn;) {
    std::size_t e = npos;
    if (has_at(text, p, "<!--"sv) && (e = find(text, "-->"sv, p + 4)) != npos) {
      p = e + 3;
    } else if (has_at(text, p, "<?"sv) && (e = find(text, "?>"sv, p + 2)) != npos) {
      p = e + 2;
    } else if (has_at(text, p, "<!"sv) && (e = find(text, ">"sv, p + 2)) != npos) {
      p = e + 1;
    } else {
      bare_buf[bn++] = text[p++];
    }
  }
  const std::string_view bare(bare_buf, bn);

  // /<([a-z][\w.-]*:)?([a-z][\w.-]*)[\s>/]/.exec(bare)?.[2]: the first element, without its
  // namespace prefix. A name run stops at the first non-name byte, so no backtracking is needed.
  std::string_view root;
  bool has_root = false;
  for (std::size_t p = 0; p < bn && !has_root; ++p) {
    if (bare[p] != '<') continue;
    std::size_t start = p + 1, r = name_end(bare, start);
    if (r != npos && r < bn && bare[r] == ':') r = name_end(bare, start = r + 1);
    if (r != npos && r < bn && (js_space(bare[r]) || bare[r] == '>' || bare[r] == '/')) {
      root = std::string_view(bare_buf + start, r - start);
      has_root = true;
    }
  }

  if ((has_root && root == "svg"sv) || doctype(text, "svg"sv)) return "image/svg+xml";
  if (doctype(text, "html"sv) ||
      (has_root && in_list(root,
                           "html head body script iframe title style meta link a div span table h1 h2 h3 h4 h5 h6 "
                           "br p b i img form input font object embed"sv)) ||
      find(text, "http://www.w3.org/1999/xhtml"sv) != npos) {
    return has_at(text, 0, "<?xml"sv) ? "application/xhtml+xml" : "text/html";
  }
  return "application/xml";
}

// checkContent's tables. SAME: a declared type, then the sniffed types that count as the same thing.
constexpr std::string_view kSame =
    "image/jpg image/jpeg\n"
    "image/pjpeg image/jpeg\n"
    "image/x-png image/png\n"
    "image/heif image/heic image/heif\n"
    "image/heic image/heic image/heif\n"
    "image/vnd.microsoft.icon image/x-icon\n"
    "image/apng image/png\n"
    "image/x-ms-bmp image/bmp\n"
    "video/x-m4v video/mp4\n"
    "audio/x-m4a audio/mp4 video/mp4\n"
    "application/x-msdos-program application/vnd.microsoft.portable-executable\n"
    "audio/mp3 audio/mpeg\n"
    "audio/x-wav audio/wav\n"
    "audio/wave audio/wav\n"
    "audio/vnd.wave audio/wav\n"
    "audio/x-flac audio/flac\n"
    "video/ogg audio/ogg\n"
    "application/ogg audio/ogg\n"
    "audio/webm video/webm\n"
    "video/x-matroska video/webm\n"
    "audio/mp4 audio/mp4 video/mp4\n"
    "video/quicktime video/quicktime video/mp4\n"
    "video/mp4 video/mp4 video/quicktime audio/mp4\n"
    "application/x-zip-compressed application/zip\n"
    "application/x-gzip application/gzip\n"
    "application/x-rar-compressed application/vnd.rar\n"
    "application/x-msdownload application/vnd.microsoft.portable-executable\n"
    "application/x-executable application/x-elf\n"
    "application/x-sharedlib application/x-elf\n"
    "application/xml application/xml image/svg+xml application/xhtml+xml\n"
    "text/xml application/xml image/svg+xml application/xhtml+xml";

// Every type sniff_type can name: a declared type in this set must have its signature.
constexpr std::string_view kSigned =
    "image/jpeg image/png image/gif image/webp image/avif image/heic image/heif image/bmp image/tiff image/x-icon "
    "image/jxl application/pdf application/zip application/gzip application/x-7z-compressed application/vnd.rar "
    "application/x-bzip2 application/x-xz application/zstd application/x-tar video/webm audio/ogg audio/flac "
    "audio/mpeg audio/wav video/x-msvideo video/mp4 video/quicktime audio/mp4 video/3gpp video/3gpp2 "
    "application/wasm";

// ZIP_BASED: office documents, EPUB, JARs, APKs... (zip containers). `.+$` of a JS regular
// expression is one or more code units, none a line terminator (\n, \r, U+2028, U+2029).
bool zip_based(std::string_view t) {
  if (!has_at(t, 0, "application/"sv)) return false;
  t.remove_prefix(12);
  Words prefixes{"vnd.openxmlformats-officedocument. vnd.oasis.opendocument."sv};
  for (std::string_view prefix; prefixes.next(prefix);) {
    if (!has_at(t, 0, prefix)) continue;
    const std::string_view rest(t.data() + prefix.size(), t.size() - prefix.size());
    return !rest.empty() && find(rest, "\n"sv) == npos && find(rest, "\r"sv) == npos &&
           find(rest, "\xe2\x80\xa8"sv) == npos && find(rest, "\xe2\x80\xa9"sv) == npos;
  }
  return in_list(t,
                 "epub+zip java-archive vnd.android.package-archive x-zip vnd.apple.keynote vnd.apple.pages "
                 "vnd.apple.numbers"sv);
}

// The UTF-8 whitespace of String.prototype.trim() beyond ASCII: U+00A0 (two bytes), then U+1680,
// U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF (three bytes each).
constexpr std::string_view kWide =
    "\xc2\xa0\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x81\xe2\x80\x82\xe2\x80\x83\xe2\x80\x84\xe2\x80\x85\xe2\x80\x86"
    "\xe2\x80\x87\xe2\x80\x88\xe2\x80\x89\xe2\x80\x8a\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80"
    "\xef\xbb\xbf"sv;

// Bytes of the whitespace character at the start of s (at its end when back); 0: none.
[[gnu::noinline]] std::size_t space_len(std::string_view s, bool back) {
  if (s.empty()) return 0;
  const char edge = back ? s.back() : s.front();
  if (std::uint8_t(edge) < 0x80) return js_space(edge) ? 1 : 0;
  for (std::size_t k = 0, len = 2; k < kWide.size(); k += len, len = 3) {
    if (s.size() >= len && has_at(s, back ? s.size() - len : 0, std::string_view(kWide.data() + k, len))) return len;
  }
  return 0;
}

}  // namespace

std::string_view sniff_type(const std::uint8_t* data, std::size_t size) {
  const std::string_view b(reinterpret_cast<const char*>(data), size);
  if (auto t = first_match(b, kFirst, std::size(kFirst)); !t.empty()) return t;
  if (has_at(b, 0, "RIFF"sv)) {
    if (has_at(b, 8, "WEBP"sv)) return "image/webp";
    if (has_at(b, 8, "WAVE"sv)) return "audio/wav";
    if (has_at(b, 8, "AVI "sv)) return "video/x-msvideo";
  }
  if (has_at(b, 4, "ftyp"sv) && size >= 12) {
    std::string_view brand(b.data() + 8, 4), type;
    while (!brand.empty() && js_space(brand.front())) brand.remove_prefix(1);
    while (!brand.empty() && js_space(brand.back())) brand.remove_suffix(1);
    return lookup(kFtyp, brand, type) ? type : "video/mp4";
  }
  if (has_at(b, 0, "BM"sv) && size >= 14) return "image/bmp";
  if (auto t = first_match(b, kRest, std::size(kRest)); !t.empty()) return t;
  if (size >= 2 && data[0] == 0xff && (data[1] & 0xe0) == 0xe0) return "audio/mpeg";
  return sniff_markup(b);
}

bool is_active_type(std::string_view type) {
  return in_list(type,
                 "text/html image/svg+xml application/xhtml+xml application/xml text/xml text/javascript "
                 "application/javascript application/x-javascript text/x-shellscript application/x-sh"sv) ||
         (type.size() >= 4 && has_at(type, type.size() - 4, "+xml"sv));
}

ContentCheck check_content(std::string_view declared, const std::uint8_t* data, std::size_t size) {
  ContentCheck c;
  c.detected = sniff_type(data, size);
  // declared.toLowerCase().split(';')[0].trim()
  declared = std::string_view(declared.data(), std::min(find(declared, ";"sv), declared.size()));
  std::string folded(declared.size(), '\0');
  std::size_t w = 0;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    if (has_at(declared, i, "\xe2\x84\xaa"sv)) {  // U+212A KELVIN SIGN
      folded[w++] = 'k';
      i += 2;
    } else {
      folded[w++] = fold(declared[i]);
    }
  }
  std::string_view type(folded.data(), w);
  while (std::size_t k = space_len(type, false)) type.remove_prefix(k);
  while (std::size_t k = space_len(type, true)) type.remove_suffix(k);

  // SAME[type] ?? (ZIP_BASED ? ['application/zip'] : [type]): a list of words, or one type (which
  // may hold a space).
  std::string_view same;
  const bool words = lookup(kSame, type, same);
  if (!words) same = zip_based(type) ? "application/zip"sv : type;
  bool signed_type = false;
  Words each{same};
  for (std::string_view t = same; words ? each.next(t) : !t.empty(); t = {}) {
    if (!c.detected.empty() && t == c.detected) return c;  // same.includes(detected)
    signed_type = signed_type || in_list(t, kSigned);
  }
  if (signed_type ||
      (type != "application/octet-stream"sv && !c.detected.empty() &&
       (is_active_type(c.detected) || in_list(c.detected,
                                              "application/x-elf application/vnd.microsoft.portable-executable "
                                              "application/x-mach-binary application/wasm"sv)))) {
    c.ok = false;
    c.reason.append("declared ").append(type).append(" but the bytes are ");
    c.reason.append(c.detected.empty() ? "not that type"sv : c.detected);
  }
  return c;
}

}  // namespace vs3
