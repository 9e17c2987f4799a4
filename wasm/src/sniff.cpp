// Magic-byte sniffing, a line-for-line port of js/src/sniff.ts (sniffType, checkContent): the same
// signature table in the same order, and the markup rules with the exact meaning of its regular
// expressions over TextDecoder('latin1') + toLowerCase() text (ASCII folded, other bytes kept; JS
// `\s` there is 0x09-0x0D, 0x20 and 0xA0). Any change here goes into sniff.ts too, and the reverse.
#include "vs3/sniff.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace vs3 {
namespace {

using namespace std::literals;

struct In {
  const std::uint8_t* p;
  std::size_t n;
  // The bytes at `at` are exactly `s`.
  bool at(std::size_t off, std::string_view s) const {
    return n >= off + s.size() && std::memcmp(p + off, s.data(), s.size()) == 0;
  }
};

struct Sig {
  std::uint16_t offset;
  std::string_view magic;
  std::string_view type;
};

// Before the RIFF/ftyp/BMP rules (a JPEG may have "ftyp" at 4).
constexpr Sig kFirst[] = {
    {0, "\xff\xd8\xff"sv, "image/jpeg"},
    {0, "\x89PNG\r\n\x1a\n"sv, "image/png"},
    {0, "GIF87a"sv, "image/gif"},
    {0, "GIF89a"sv, "image/gif"},
};

// After them, in sniff.ts order.
constexpr Sig kRest[] = {
    {0, "II*\0"sv, "image/tiff"},
    {0, "MM\0*"sv, "image/tiff"},
    {0, "\0\0\1\0"sv, "image/x-icon"},
    {0, "\xff\x0a"sv, "image/jxl"},
    {0, "\0\0\0\x0cJXL "sv, "image/jxl"},
    {0, "%PDF-"sv, "application/pdf"},
    {0, "PK\3\4"sv, "application/zip"},
    {0, "PK\5\6"sv, "application/zip"},
    {0, "\x1f\x8b"sv, "application/gzip"},
    {0, "7z\xbc\xaf\x27\x1c"sv, "application/x-7z-compressed"},
    {0, "Rar!"sv, "application/vnd.rar"},
    {0, "BZh"sv, "application/x-bzip2"},
    {0,
     "\xfd"
     "7zXZ\0"sv,
     "application/x-xz"},
    {0, "\x28\xb5\x2f\xfd"sv, "application/zstd"},
    {257, "ustar"sv, "application/x-tar"},
    {0, "\x1a\x45\xdf\xa3"sv, "video/webm"},
    {0, "OggS"sv, "audio/ogg"},
    {0, "fLaC"sv, "audio/flac"},
    {0, "ID3"sv, "audio/mpeg"},
    // (the MPEG frame sync rule of sniff.ts sits here; nothing below starts with 0xFF, so it is
    // checked after this table with the same outcome)
    {0, "\0asm"sv, "application/wasm"},
    {0,
     "\x7f"
     "ELF"sv,
     "application/x-elf"},
    {0, "MZ"sv, "application/vnd.microsoft.portable-executable"},
    {0, "\xfe\xed\xfa\xce"sv, "application/x-mach-binary"},
    {0, "\xfe\xed\xfa\xcf"sv, "application/x-mach-binary"},
    {0, "\xce\xfa\xed\xfe"sv, "application/x-mach-binary"},
    {0, "\xcf\xfa\xed\xfe"sv, "application/x-mach-binary"},
    {0, "\xca\xfe\xba\xbe"sv, "application/x-mach-binary"},
    {0, "#!"sv, "text/x-shellscript"},
};

// ISO BMFF brands (the box at offset 4, "ftyp"); any other brand is video/mp4.
constexpr std::string_view kFtyp[][2] = {
    {"avif", "image/avif"}, {"avis", "image/avif"},    {"heic", "image/heic"}, {"heix", "image/heic"},
    {"hevc", "image/heic"}, {"heim", "image/heic"},    {"heis", "image/heic"}, {"mif1", "image/heif"},
    {"msf1", "image/heif"}, {"qt", "video/quicktime"}, {"M4A", "audio/mp4"},   {"M4B", "audio/mp4"},
    {"3gp4", "video/3gpp"}, {"3gp5", "video/3gpp"},    {"3gp6", "video/3gpp"}, {"3g2a", "video/3gpp2"},
};

template <std::size_t N>
std::string_view first_match(const In& b, const Sig (&table)[N]) {
  for (const Sig& s : table) {
    if (b.at(s.offset, s.magic)) return s.type;
  }
  return {};
}

// String.prototype.trim() on Latin-1 code units: 0x09-0x0D, 0x20, 0xA0.
bool js_space(std::uint8_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0;
}
bool lower_alpha(std::uint8_t c) {
  return c >= 'a' && c <= 'z';
}
// [\w.-] once ASCII is folded.
bool name_char(std::uint8_t c) {
  return lower_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// /^<!doctype\s+<word>/
bool doctype(std::string_view text, std::string_view word) {
  if (!starts_with(text, "<!doctype"sv)) return false;
  std::size_t i = 9;
  if (i >= text.size() || !js_space(std::uint8_t(text[i]))) return false;
  while (i < text.size() && js_space(std::uint8_t(text[i]))) ++i;
  return starts_with(text.substr(i), word);
}

constexpr std::string_view kHtmlRoots[] = {
    "html", "head", "body",  "script", "iframe", "title", "style", "meta",   "link",  "a",
    "div",  "span", "table", "h1",     "h2",     "h3",    "h4",    "h5",     "h6",    "br",
    "p",    "b",    "i",     "img",    "form",   "input", "font",  "object", "embed",
};

// HTML, SVG or XML by their opening (sniffMarkup in sniff.ts).
std::string_view sniff_markup(const std::uint8_t* b, std::size_t n) {
  const In in{b, n};
  std::size_t i = 0;
  if (in.at(0, "\xef\xbb\xbf"sv)) {
    i = 3;
  } else if (in.at(0, "\xfe\xff"sv) || in.at(0, "\xff\xfe"sv)) {
    // utf16ToAscii: the low byte of each code unit after the BOM, then the same rules.
    const std::size_t odd = b[0] == 0xff ? 0 : 1;
    std::vector<std::uint8_t> out((n - 2) >> 1);
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = b[2 + 2 * k + odd];
    return sniff_markup(out.data(), out.size());
  }
  while (i < n && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0a || b[i] == 0x0d || b[i] == 0x0c)) ++i;
  if (i >= n || b[i] != '<') return {};
  // The decoded, lower-cased text: from the '<' to byte kSniffBytes of the input.
  std::string text(reinterpret_cast<const char*>(b) + i, std::max(i, std::min(n, kSniffBytes)) - i);
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = char(c + ('a' - 'A'));
  }
  // /^<[a-z!?]/: "<3", "< 5" are not markup.
  if (text.size() < 2 || !(lower_alpha(std::uint8_t(text[1])) || text[1] == '!' || text[1] == '?')) return {};

  // text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>/g, ''): comments, processing
  // instructions and declarations out, leftmost first, each alternative tried in that order.
  std::string bare;
  bare.reserve(text.size());
  for (std::size_t p = 0; p < text.size();) {
    std::size_t end = std::string::npos;
    if (text.compare(p, 4, "<!--") == 0) {
      const std::size_t e = text.find("-->", p + 4);
      if (e != std::string::npos) end = e + 3;
    }
    if (end == std::string::npos && text.compare(p, 2, "<?") == 0) {
      const std::size_t e = text.find("?>", p + 2);
      if (e != std::string::npos) end = e + 2;
    }
    if (end == std::string::npos && text.compare(p, 2, "<!") == 0) {
      const std::size_t e = text.find('>', p + 2);
      if (e != std::string::npos) end = e + 1;
    }
    if (end == std::string::npos) {
      bare += text[p++];
    } else {
      p = end;
    }
  }

  // /<([a-z][\w.-]*:)?([a-z][\w.-]*)[\s>/]/.exec(bare)?.[2]: the first element, without its
  // namespace prefix. A name run stops at the first non-name byte, so no backtracking is needed.
  auto name_end = [&bare](std::size_t from) {
    if (from >= bare.size() || !lower_alpha(std::uint8_t(bare[from]))) return std::string::npos;
    std::size_t r = from + 1;
    while (r < bare.size() && name_char(std::uint8_t(bare[r]))) ++r;
    return r;
  };
  std::string_view root;
  bool has_root = false;
  for (std::size_t p = 0; p < bare.size() && !has_root; ++p) {
    if (bare[p] != '<') continue;
    std::size_t start = p + 1, r = name_end(start);
    if (r == std::string::npos) continue;
    if (r < bare.size() && bare[r] == ':') {
      start = r + 1;
      r = name_end(start);
      if (r == std::string::npos) continue;
    }
    if (r < bare.size() && (js_space(std::uint8_t(bare[r])) || bare[r] == '>' || bare[r] == '/')) {
      root = std::string_view(bare).substr(start, r - start);
      has_root = true;
    }
  }

  if ((has_root && root == "svg"sv) || doctype(text, "svg"sv)) return "image/svg+xml";
  bool html = doctype(text, "html"sv) || text.find("http://www.w3.org/1999/xhtml") != std::string::npos;
  if (has_root && !html) html = std::find(std::begin(kHtmlRoots), std::end(kHtmlRoots), root) != std::end(kHtmlRoots);
  if (html) return starts_with(text, "<?xml"sv) ? "application/xhtml+xml" : "text/html";
  return "application/xml";
}

// checkContent's tables.
struct Same {
  std::string_view declared;
  std::string_view sniffed;  // space-separated
};
constexpr Same kSame[] = {
    {"image/jpg", "image/jpeg"},
    {"image/pjpeg", "image/jpeg"},
    {"image/x-png", "image/png"},
    {"image/heif", "image/heic image/heif"},
    {"image/heic", "image/heic image/heif"},
    {"image/vnd.microsoft.icon", "image/x-icon"},
    {"image/apng", "image/png"},
    {"image/x-ms-bmp", "image/bmp"},
    {"video/x-m4v", "video/mp4"},
    {"audio/x-m4a", "audio/mp4 video/mp4"},
    {"application/x-msdos-program", "application/vnd.microsoft.portable-executable"},
    {"audio/mp3", "audio/mpeg"},
    {"audio/x-wav", "audio/wav"},
    {"audio/wave", "audio/wav"},
    {"audio/vnd.wave", "audio/wav"},
    {"audio/x-flac", "audio/flac"},
    {"video/ogg", "audio/ogg"},
    {"application/ogg", "audio/ogg"},
    {"audio/webm", "video/webm"},
    {"video/x-matroska", "video/webm"},
    {"audio/mp4", "audio/mp4 video/mp4"},
    {"video/quicktime", "video/quicktime video/mp4"},
    {"video/mp4", "video/mp4 video/quicktime audio/mp4"},
    {"application/x-zip-compressed", "application/zip"},
    {"application/x-gzip", "application/gzip"},
    {"application/x-rar-compressed", "application/vnd.rar"},
    {"application/x-msdownload", "application/vnd.microsoft.portable-executable"},
    {"application/x-executable", "application/x-elf"},
    {"application/x-sharedlib", "application/x-elf"},
    {"application/xml", "application/xml image/svg+xml application/xhtml+xml"},
    {"text/xml", "application/xml image/svg+xml application/xhtml+xml"},
};

// Every type sniff_type can name: a declared type in this set must have its signature.
constexpr std::string_view kSigned[] = {
    "image/jpeg",          "image/png",           "image/gif",        "image/webp",       "image/avif",
    "image/heic",          "image/heif",          "image/bmp",        "image/tiff",       "image/x-icon",
    "image/jxl",           "application/pdf",     "application/zip",  "application/gzip", "application/x-7z-compressed",
    "application/vnd.rar", "application/x-bzip2", "application/x-xz", "application/zstd", "application/x-tar",
    "video/webm",          "audio/ogg",           "audio/flac",       "audio/mpeg",       "audio/wav",
    "video/x-msvideo",     "video/mp4",           "video/quicktime",  "audio/mp4",        "video/3gpp",
    "video/3gpp2",         "application/wasm",
};

constexpr std::string_view kActive[] = {
    "text/html",       "image/svg+xml",          "application/xhtml+xml",    "application/xml",    "text/xml",
    "text/javascript", "application/javascript", "application/x-javascript", "text/x-shellscript", "application/x-sh",
};

constexpr std::string_view kExecutables[] = {
    "application/x-elf",
    "application/vnd.microsoft.portable-executable",
    "application/x-mach-binary",
    "application/wasm",
};

template <std::size_t N>
bool one_of(std::string_view s, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

// `.+$` of a JS regular expression: one or more code units, none a line terminator.
bool dot_plus(std::string_view s) {
  return !s.empty() && s.find_first_of("\n\r"sv) == std::string_view::npos &&
         s.find("\xe2\x80\xa8"sv) == std::string_view::npos && s.find("\xe2\x80\xa9"sv) == std::string_view::npos;
}

// ZIP_BASED: office documents, EPUB, JARs, APKs... (zip containers).
bool zip_based(std::string_view t) {
  if (!starts_with(t, "application/"sv)) return false;
  t.remove_prefix(12);
  for (std::string_view prefix : {"vnd.openxmlformats-officedocument."sv, "vnd.oasis.opendocument."sv}) {
    if (starts_with(t, prefix)) return dot_plus(t.substr(prefix.size()));
  }
  constexpr std::string_view kExact[] = {
      "epub+zip",        "java-archive",     "vnd.android.package-archive", "x-zip", "vnd.apple.keynote",
      "vnd.apple.pages", "vnd.apple.numbers"};
  return one_of(t, kExact);
}

// Bytes of the UTF-8 whitespace character (String.prototype.trim's set) at the start of s; 0: none.
std::size_t space_at(std::string_view s) {
  if (s.empty()) return 0;
  if (js_space(std::uint8_t(s[0])) && std::uint8_t(s[0]) < 0x80) return 1;
  if (starts_with(s, "\xc2\xa0"sv)) return 2;
  if (s.size() < 3) return 0;
  const auto c0 = std::uint8_t(s[0]), c1 = std::uint8_t(s[1]), c2 = std::uint8_t(s[2]);
  const bool ws = (c0 == 0xe1 && c1 == 0x9a && c2 == 0x80) ||  // U+1680
                  (c0 == 0xe2 && c1 == 0x80 &&
                   (c2 <= 0x8a || c2 == 0xa8 || c2 == 0xa9 ||  // U+2000-200A, 2028, 2029
                    c2 == 0xaf)) ||                            // U+202F
                  (c0 == 0xe2 && c1 == 0x81 && c2 == 0x9f) ||  // U+205F
                  (c0 == 0xe3 && c1 == 0x80 && c2 == 0x80) ||  // U+3000
                  (c0 == 0xef && c1 == 0xbb && c2 == 0xbf);    // U+FEFF
  return ws ? 3 : 0;
}

std::string_view trim(std::string_view s) {
  while (std::size_t k = space_at(s)) s.remove_prefix(k);
  for (;;) {
    std::size_t k = 0;
    for (std::size_t len : {1, 2, 3}) {
      if (s.size() >= len && space_at(s.substr(s.size() - len)) == len) {
        k = len;
        break;
      }
    }
    if (k == 0) return s;
    s.remove_suffix(k);
  }
}

}  // namespace

std::string_view sniff_type(const std::uint8_t* data, std::size_t size) {
  const In b{data, size};
  if (auto t = first_match(b, kFirst); !t.empty()) return t;
  if (b.at(0, "RIFF"sv)) {
    if (b.at(8, "WEBP"sv)) return "image/webp";
    if (b.at(8, "WAVE"sv)) return "audio/wav";
    if (b.at(8, "AVI "sv)) return "video/x-msvideo";
  }
  if (b.at(4, "ftyp"sv) && size >= 12) {
    std::string_view brand(reinterpret_cast<const char*>(data) + 8, 4);
    while (!brand.empty() && js_space(std::uint8_t(brand.front()))) brand.remove_prefix(1);
    while (!brand.empty() && js_space(std::uint8_t(brand.back()))) brand.remove_suffix(1);
    for (const auto& f : kFtyp) {
      if (f[0] == brand) return f[1];
    }
    return "video/mp4";
  }
  if (b.at(0, "BM"sv) && size >= 14) return "image/bmp";
  if (auto t = first_match(b, kRest); !t.empty()) return t;
  if (size >= 2 && data[0] == 0xff && (data[1] & 0xe0) == 0xe0) return "audio/mpeg";
  return sniff_markup(data, size);
}

bool is_active_type(std::string_view type) {
  return one_of(type, kActive) || (type.size() >= 4 && type.substr(type.size() - 4) == "+xml"sv);
}

ContentCheck check_content(std::string_view declared, const std::uint8_t* data, std::size_t size) {
  ContentCheck c;
  c.detected = sniff_type(data, size);
  // declared.toLowerCase().split(';')[0].trim()
  std::string folded;
  folded.reserve(declared.size());
  for (std::size_t i = 0; i < declared.size(); ++i) {
    const char ch = declared[i];
    if (ch == ';') break;
    if (ch >= 'A' && ch <= 'Z') {
      folded += char(ch + ('a' - 'A'));
    } else if (declared.compare(i, 3, "\xe2\x84\xaa"sv) == 0) {  // U+212A KELVIN SIGN
      folded += 'k';
      i += 2;
    } else {
      folded += ch;
    }
  }
  const std::string_view type = trim(folded);

  // SAME[type] ?? (ZIP_BASED ? ['application/zip'] : [type]), as a space-separated list.
  std::string_view same = type;
  bool listed = false;
  for (const Same& s : kSame) {
    if (s.declared == type) {
      same = s.sniffed;
      listed = true;
      break;
    }
  }
  if (!listed && zip_based(type)) same = "application/zip"sv;
  auto each = [&](auto&& pred) {
    if (!listed) return pred(same);  // one type, which may itself hold spaces
    for (std::size_t at = 0; at <= same.size();) {
      std::size_t sp = same.find(' ', at);
      if (sp == std::string_view::npos) sp = same.size();
      if (pred(same.substr(at, sp - at))) return true;
      at = sp + 1;
    }
    return false;
  };

  if (!c.detected.empty() && each([&](std::string_view t) { return t == c.detected; })) return c;
  const bool refuse = each([](std::string_view t) { return one_of(t, kSigned); }) ||
                      (type != "application/octet-stream"sv && !c.detected.empty() &&
                       (is_active_type(c.detected) || one_of(c.detected, kExecutables)));
  if (refuse) {
    c.ok = false;
    c.reason = "declared ";
    c.reason += type;
    c.reason += " but the bytes are ";
    c.reason += c.detected.empty() ? "not that type"sv : c.detected;
  }
  return c;
}

}  // namespace vs3
