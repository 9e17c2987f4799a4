#include "vs3/sniff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace std::literals;
using vs3::check_content;
using vs3::sniff_type;

namespace {

std::string_view sniff(std::string_view s) {
  return sniff_type(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
vs3::ContentCheck check(std::string_view declared, std::string_view s) {
  return check_content(declared, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
std::string padded(std::string_view head, std::size_t n = 64) {
  std::string s(head);
  if (s.size() < n) s.resize(n, '\x01');
  return s;
}
std::string tar() {
  std::string s(512, '\0');
  s.replace(0, 8, "file.txt");
  s.replace(257, 5, "ustar");
  return s;
}
std::string utf16(std::string_view ascii, bool le) {
  std::string s = le ? "\xff\xfe"s : "\xfe\xff"s;
  for (char c : ascii) {
    if (le) {
      s += c;
      s += '\0';
    } else {
      s += '\0';
      s += c;
    }
  }
  return s;
}

}  // namespace

// Every row of sniff.ts's table, in a buffer long enough for the length rules.
TEST(Sniff, EverySignature) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"\xff\xd8\xff\xe0"s, "image/jpeg"},
      {"\x89PNG\r\n\x1a\n"s, "image/png"},
      {"GIF87a", "image/gif"},
      {"GIF89a", "image/gif"},
      {"RIFF\x24\0\0\0WEBPVP8 "s, "image/webp"},
      {"RIFF\x24\0\0\0WAVEfmt "s, "audio/wav"},
      {"RIFF\x24\0\0\0AVI LIST"s, "video/x-msvideo"},
      {"\0\0\0\x20"
       "ftypavif"s,
       "image/avif"},
      {"\0\0\0\x20"
       "ftypavis"s,
       "image/avif"},
      {"\0\0\0\x20"
       "ftypheic"s,
       "image/heic"},
      {"\0\0\0\x20"
       "ftypheix"s,
       "image/heic"},
      {"\0\0\0\x20"
       "ftyphevc"s,
       "image/heic"},
      {"\0\0\0\x20"
       "ftypheim"s,
       "image/heic"},
      {"\0\0\0\x20"
       "ftypheis"s,
       "image/heic"},
      {"\0\0\0\x20"
       "ftypmif1"s,
       "image/heif"},
      {"\0\0\0\x20"
       "ftypmsf1"s,
       "image/heif"},
      {"\0\0\0\x14"
       "ftypqt  "s,
       "video/quicktime"},
      {"\0\0\0\x20"
       "ftypM4A "s,
       "audio/mp4"},
      {"\0\0\0\x20"
       "ftypM4B "s,
       "audio/mp4"},
      {"\0\0\0\x20"
       "ftyp3gp4"s,
       "video/3gpp"},
      {"\0\0\0\x20"
       "ftyp3gp5"s,
       "video/3gpp"},
      {"\0\0\0\x20"
       "ftyp3gp6"s,
       "video/3gpp"},
      {"\0\0\0\x20"
       "ftyp3g2a"s,
       "video/3gpp2"},
      {"\0\0\0\x20"
       "ftypisom"s,
       "video/mp4"},
      {"\0\0\0\x20"
       "ftypmp42"s,
       "video/mp4"},
      {"BM\x36\0\0\0\0\0\0\0\x36\0\0\0"s, "image/bmp"},
      {"II*\0"s, "image/tiff"},
      {"MM\0*"s, "image/tiff"},
      {"\0\0\1\0"s, "image/x-icon"},
      {"\xff\x0a"s, "image/jxl"},
      {"\0\0\0\x0cJXL \r\n"s, "image/jxl"},
      {"%PDF-1.7", "application/pdf"},
      {"PK\3\4"s, "application/zip"},
      {"PK\5\6"s, "application/zip"},
      {"\x1f\x8b\x08"s, "application/gzip"},
      {"7z\xbc\xaf\x27\x1c"s, "application/x-7z-compressed"},
      {"Rar!\x1a\x07"s, "application/vnd.rar"},
      {"BZh9", "application/x-bzip2"},
      {"\xfd"
       "7zXZ\0"s,
       "application/x-xz"},
      {"\x28\xb5\x2f\xfd"s, "application/zstd"},
      {tar(), "application/x-tar"},
      {"\x1a\x45\xdf\xa3"s, "video/webm"},
      {"OggS", "audio/ogg"},
      {"fLaC", "audio/flac"},
      {"ID3\x04"s, "audio/mpeg"},
      {"\xff\xfb\x90\x64"s, "audio/mpeg"},
      {"\xff\xf3"s, "audio/mpeg"},
      {"\xff\xe0"s, "audio/mpeg"},
      {"\0asm\1\0\0\0"s, "application/wasm"},
      {"\x7f"
       "ELF\2\1\1"s,
       "application/x-elf"},
      {"MZ\x90\0"s, "application/vnd.microsoft.portable-executable"},
      {"\xfe\xed\xfa\xce"s, "application/x-mach-binary"},
      {"\xfe\xed\xfa\xcf"s, "application/x-mach-binary"},
      {"\xce\xfa\xed\xfe"s, "application/x-mach-binary"},
      {"\xcf\xfa\xed\xfe"s, "application/x-mach-binary"},
      {"\xca\xfe\xba\xbe"s, "application/x-mach-binary"},
      {"#!/bin/sh\n", "text/x-shellscript"},
  };
  for (const auto& [bytes, type] : cases) {
    EXPECT_EQ(sniff(bytes), type) << "exact: " << type;
    EXPECT_EQ(sniff(padded(bytes, 300)), type) << "padded: " << type;
  }
}

// Length rules and truncation: a signature cut short is not that signature.
TEST(Sniff, ShortBuffers) {
  EXPECT_EQ(sniff(""), "");
  EXPECT_EQ(sniff_type(nullptr, 0), "");
  EXPECT_EQ(sniff("\xff\xd8"s), "");  // 0xD8 lacks the third sync bit: not MPEG either
  EXPECT_EQ(sniff("\x89PNG\r\n\x1a"s), "");
  EXPECT_EQ(sniff("GIF89"), "");
  EXPECT_EQ(sniff("RIFF\0\0\0\0WEB"s), "");
  EXPECT_EQ(sniff("\0\0\0\x20"
                  "ftyp"s),
            "");  // no brand: not ISO BMFF (ftyp needs 12 bytes)
  EXPECT_EQ(sniff("\0\0\0\x20"
                  "ftypavi"s),
            "");  // 11 bytes
  EXPECT_EQ(sniff("\0\0\0\x20"
                  "ftyp   \t"s),
            "video/mp4");  // blank brand: trimmed to "", not listed
  EXPECT_EQ(sniff("\0\0\0\x20"
                  "ftyp qt\xa0"s),
            "video/quicktime");                           // trim() takes NBSP too
  EXPECT_EQ(sniff("BM\x36\0\0\0\0\0\0\0\x36\0\0"s), "");  // 13 bytes: not a BMP header
  EXPECT_EQ(sniff("BM"), "");
  EXPECT_EQ(sniff("%PDF"), "");
  EXPECT_EQ(sniff("\xff"s), "");
  std::string t = tar();
  EXPECT_EQ(sniff(std::string_view(t).substr(0, 261)), "");
  EXPECT_EQ(sniff(std::string_view(t).substr(0, 262)), "application/x-tar");
  EXPECT_EQ(sniff("<"), "");
  EXPECT_EQ(sniff("<a"), "application/xml");  // markup without a closed element is XML
}

// The order of the table decides between signatures that can both be present.
TEST(Sniff, TableOrder) {
  EXPECT_EQ(sniff("\xff\xd8\xff\xe0"
                  "ftypheic"s),
            "image/jpeg");
  EXPECT_EQ(sniff("II*\0"
                  "ftypheic"s),
            "image/heic");
  EXPECT_EQ(sniff("RIFF"
                  "ftypWEBP"s),
            "image/webp");
  EXPECT_EQ(sniff("RIFF"
                  "ftypWAVX"s),
            "video/mp4");
  std::string ogg_tar = tar();
  ogg_tar.replace(0, 4, "OggS");
  EXPECT_EQ(sniff(ogg_tar), "application/x-tar");
  EXPECT_EQ(sniff("#!<html>"), "text/x-shellscript");
  EXPECT_EQ(sniff("MZ<html>"), "application/vnd.microsoft.portable-executable");
}

TEST(Sniff, MarkupBomWhitespaceCase) {
  EXPECT_EQ(sniff("<!DOCTYPE html><p>hi"), "text/html");
  EXPECT_EQ(sniff("<!doctype HTML>"), "text/html");
  EXPECT_EQ(sniff("\xef\xbb\xbf \t\r\n\f<HTML>"s), "text/html");
  EXPECT_EQ(sniff("\v<html>"), "");  // VT is not leading whitespace in sniff.ts
  EXPECT_EQ(sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?>\n<!-- x -->\n<SVG>"), "image/svg+xml");
  EXPECT_EQ(sniff("<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\">"), "image/svg+xml");
  EXPECT_EQ(sniff("<!doctype\xa0svg>"s), "image/svg+xml");  // JS \s holds NBSP
  EXPECT_EQ(sniff("<!doctype\vhtml>"), "text/html");        // and VT
  EXPECT_EQ(sniff("<!doctypehtml>"), "application/xml");
  EXPECT_EQ(sniff("<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\">"), "image/svg+xml");
  EXPECT_EQ(sniff("<x:html>"), "text/html");
  EXPECT_EQ(sniff("<a:b:svg>"), "application/xml");  // two prefixes: no element matches
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"), "application/xhtml+xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><root><x:script xmlns:x=\"http://www.w3.org/1999/xhtml\"/></root>"),
            "application/xhtml+xml");
  EXPECT_EQ(sniff("<root xmlns:h=\"http://www.w3.org/1999/xhtml\">"), "text/html");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><note><to>x</to></note>"), "application/xml");
  EXPECT_EQ(sniff("<!-- <svg> --><div>"), "text/html");
  EXPECT_EQ(sniff("<!-- unclosed <svg>"), "application/xml");  // <!...> ate up to the first '>'
  EXPECT_EQ(sniff("<!-- unclosed <svg> <b>"), "text/html");
  EXPECT_EQ(sniff("<?pi <svg> ?><h1 >"), "text/html");
  EXPECT_EQ(sniff("<?pi <svg> <h1 >"), "image/svg+xml");  // unclosed PI: nothing stripped
  EXPECT_EQ(sniff("<IMG SRC=x onerror=alert(1)>"), "text/html");
  EXPECT_EQ(sniff("<h7>"), "application/xml");
  EXPECT_EQ(sniff("<svg"), "application/xml");     // the name must be followed by space, '>' or '/'
  EXPECT_EQ(sniff("<svg\xa0"s), "image/svg+xml");  // NBSP counts as that space
  EXPECT_EQ(sniff("<svg\x85"s), "application/xml");
  // UTF-16LE never reaches the markup rules (as in sniff.ts): FF FE is an MPEG frame sync first.
  EXPECT_EQ(sniff(utf16("  <svg>", true)), "audio/mpeg");
  EXPECT_EQ(sniff(utf16("  <svg>", false)), "image/svg+xml");
  EXPECT_EQ(sniff(utf16("<!DOCTYPE html>", false)), "text/html");
  EXPECT_EQ(sniff(utf16("\xef\xbb\xbf<html>", false)), "text/html");            // a BOM after the BOM
  EXPECT_EQ(sniff(utf16("\xff\xfe<\0s\0v\0g\0>\0"s, false)), "image/svg+xml");  // and UTF-16LE inside
  EXPECT_EQ(sniff("\xff\xfe"s), "audio/mpeg");
  EXPECT_EQ(sniff("\xfe\xff"s), "");
  EXPECT_EQ(sniff("\xfe\xff<"s), "");
}

TEST(Sniff, NotMarkup) {
  EXPECT_EQ(sniff("hello <html>"), "");
  EXPECT_EQ(sniff("<3 you"), "");
  EXPECT_EQ(sniff("< 5"), "");
  EXPECT_EQ(sniff("a,b\n1,2\n"), "");
  EXPECT_EQ(sniff("{\"json\":true}"), "");
  EXPECT_EQ(sniff("<1>"), "");
  EXPECT_EQ(sniff("<!>"), "application/xml");
  EXPECT_EQ(sniff("<?"), "application/xml");
}

// Markup is judged on the bytes up to kSniffBytes of the input, counted from the start.
TEST(Sniff, MarkupWindow) {
  std::string s(1020, ' ');
  s += "<div>";
  EXPECT_EQ(sniff(s), "application/xml");  // "<div" reaches byte 1024 but its '>' does not
  EXPECT_EQ(sniff(std::string(1000, ' ') + "<div>"), "text/html");
  std::string t(1030, ' ');
  t += "<html>";
  EXPECT_EQ(sniff(t), "");  // '<' past the window: empty text, not markup
  std::string u = "<x>" + std::string(1100, 'a') + "<html>";
  EXPECT_EQ(sniff(u), "application/xml");
}

TEST(Sniff, ActiveTypes) {
  for (auto t : {"text/html"sv, "image/svg+xml"sv, "application/xhtml+xml"sv, "application/xml"sv, "text/xml"sv,
                 "text/javascript"sv, "application/javascript"sv, "application/x-javascript"sv, "text/x-shellscript"sv,
                 "application/x-sh"sv, "application/rss+xml"sv, "+xml"sv}) {
    EXPECT_TRUE(vs3::is_active_type(t)) << t;
  }
  for (auto t : {"text/plain"sv, "image/png"sv, "application/json"sv, "xml"sv, "text/HTML"sv, ""sv}) {
    EXPECT_FALSE(vs3::is_active_type(t)) << t;
  }
}

TEST(CheckContent, SignedTypesNeedTheirSignature) {
  EXPECT_TRUE(check("image/png", "\x89PNG\r\n\x1a\n"s).ok);
  auto c = check("image/png", "\xff\xd8\xff\xe0"s);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.detected, "image/jpeg");
  EXPECT_EQ(c.reason, "declared image/png but the bytes are image/jpeg");
  c = check("image/jpeg", "plain text");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.detected, "");
  EXPECT_EQ(c.reason, "declared image/jpeg but the bytes are not that type");
  EXPECT_TRUE(check(" Image/JPG ; q=1", "\xff\xd8\xff"s).ok);
  EXPECT_TRUE(check("image/heif",
                    "\0\0\0\x20"
                    "ftypheic"s)
                  .ok);
  EXPECT_TRUE(check("video/mp4",
                    "\0\0\0\x20"
                    "ftypM4A "s)
                  .ok);
  EXPECT_FALSE(check("audio/mp4",
                     "\0\0\0\x20"
                     "ftypqt  "s)
                   .ok);
  EXPECT_TRUE(check("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\3\4"s).ok);
  c = check("application/epub+zip", "%PDF-");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "declared application/epub+zip but the bytes are application/pdf");
  EXPECT_FALSE(check("application/vnd.oasis.opendocument.text", "text").ok);
  // ".+" stops at a line terminator: not a zip type then, and plain text is fine.
  EXPECT_TRUE(check("application/vnd.oasis.opendocument.a\nb", "text").ok);
  EXPECT_TRUE(check("application/vnd.oasis.opendocument.a\xe2\x80\xa8"
                    "b"s,
                    "text")
                  .ok);
  EXPECT_TRUE(check("application/vnd.oasis.opendocument.", "text").ok);
  EXPECT_FALSE(check("application/vnd.apple.pages", "").ok);
  EXPECT_FALSE(check("application/x-tar", "").ok);
}

TEST(CheckContent, OctetStreamTakesAnything) {
  for (auto bytes : {"<html>"sv,
                     "\x7f"
                     "ELF"sv,
                     "MZ"sv, ""sv, "\xff\xd8\xff"sv}) {
    const auto c = check("application/octet-stream", bytes);
    EXPECT_TRUE(c.ok) << bytes;
    EXPECT_EQ(c.reason, "");
  }
}

TEST(CheckContent, OtherTypesNeverTakeActiveOrExecutableBytes) {
  EXPECT_TRUE(check("text/plain", "hello").ok);
  EXPECT_TRUE(check("text/csv", "a,b").ok);
  EXPECT_TRUE(check("application/json", "{}").ok);
  EXPECT_TRUE(check("text/plain", "\xff\xd8\xff"s).ok);  // sniffed, but not active: the text route's call
  for (auto bytes : {"<html>"sv, "<svg>"sv, "<?xml version='1.0'?><a/>"sv, "#!/bin/sh"sv,
                     "\x7f"
                     "ELF"sv,
                     "MZ"sv, "\xfe\xed\xfa\xce"sv, "\0asm"sv}) {
    const auto c = check("text/plain", bytes);
    EXPECT_FALSE(c.ok) << bytes;
    EXPECT_EQ(c.reason, "declared text/plain but the bytes are " + std::string(c.detected));
  }
  EXPECT_FALSE(check("", "<html>").ok);
  EXPECT_EQ(check("", "<html>").reason, "declared  but the bytes are text/html");
  // Exactly what was declared (or a SAME alias) is fine.
  EXPECT_TRUE(check("text/html", "<html>").ok);
  EXPECT_TRUE(check("image/svg+xml", "<svg>").ok);
  EXPECT_TRUE(check("text/xml", "<svg>").ok);
  EXPECT_TRUE(check("application/xml", "<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>").ok);
  EXPECT_FALSE(check("application/xml", "<html xmlns='http://www.w3.org/1999/xhtml'>").ok);  // text/html
  EXPECT_FALSE(check("application/xml", "<html>").ok);
  EXPECT_TRUE(check("application/x-sharedlib",
                    "\x7f"
                    "ELF"sv)
                  .ok);
  EXPECT_TRUE(check("application/x-msdownload", "MZ").ok);
  EXPECT_TRUE(check("text/x-shellscript", "#!").ok);
  EXPECT_TRUE(check("image/svg+xml", "not markup").ok);  // SVG has no signature: nothing to contradict
  EXPECT_FALSE(check("text/html",
                     "\x7f"
                     "ELF"sv)
                   .ok);
}

TEST(CheckContent, DeclaredTypeIsFoldedSplitAndTrimmed) {
  EXPECT_TRUE(check("IMAGE/PNG", "\x89PNG\r\n\x1a\n"s).ok);
  EXPECT_TRUE(check("\xc2\xa0\xe3\x80\x80image/png\xef\xbb\xbf\xe2\x80\xa9"s, "\x89PNG\r\n\x1a\n"s).ok);
  const auto c = check("\t Image/PNG ; charset=x", "GIF89a");
  EXPECT_EQ(c.reason, "declared image/png but the bytes are image/gif");
  // U+212A KELVIN SIGN lowercases to "k" in JavaScript: this is a zip type there, so here too.
  EXPECT_FALSE(check("application/vnd.apple.\xe2\x84\xaa"
                     "eynote"s,
                     "text")
                   .ok);
  EXPECT_TRUE(check("application/vnd.apple.\xe2\x84\xaa"
                    "eynote"s,
                    "PK\3\4"s)
                  .ok);
  // Not trimmed: U+0085 and U+180E are not whitespace for String.prototype.trim().
  EXPECT_TRUE(check("\xc2\x85image/png"s, "text").ok);
  EXPECT_TRUE(check("image/png\xe1\xa0\x8e"s, "text").ok);
}
