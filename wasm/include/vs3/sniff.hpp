// Content sniffing in the core: what a file's first bytes say it is (magic numbers), and whether that
// agrees with the type it was declared as, so a client can refuse an upload before sending it. Pure
// functions over bytes, no I/O, no allocation beyond the markup scan. js/src/sniff.ts is the twin the
// server uses (and runtimes without the WASM core): same table, same rules, same outcomes; a parity
// test (tests/js/sniff-parity.test.mjs) runs both over a generated corpus.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vs3 {

// How many leading bytes a caller should pass (enough for tar's "ustar" at 257 and an HTML/SVG
// prologue); the server reads this many back. Markup is judged on at most this many bytes after
// its leading whitespace, as in sniff.ts.
constexpr std::size_t kSniffBytes = 1024;

// The MIME type the bytes are, from their signature; "" when they have none we know (plain text,
// CSV, JSON, most documents). HTML, SVG and XML are recognised after an optional BOM (UTF-8, or
// UTF-16 either way) and leading whitespace, case-insensitively. The view points at static storage.
// @pre data points to size readable bytes (size may be 0; data may then be null).
std::string_view sniff_type(const std::uint8_t* data, std::size_t size);

// Types a browser runs as a page (or scripts) when served inline, and every XML type ("*+xml").
bool is_active_type(std::string_view type);

struct ContentCheck {
  bool ok = true;
  std::string_view detected;  // sniff_type of the bytes ("" when none)
  std::string reason;         // why not, for the error message ("" when ok)
};

// Whether bytes starting with data may be stored as `declared` (a Content-Type; parameters after
// ';' and surrounding whitespace are ignored, case is folded):
// - a declared type with a known signature (images, PDF, archives, audio, video) needs that signature;
// - application/octet-stream takes anything;
// - any other declared type takes bytes that sniff as nothing, but never HTML, SVG, XML or an
//   executable unless that is exactly what was declared.
// Case folding is ASCII plus U+212A KELVIN SIGN (the one non-ASCII letter JavaScript lowercases to
// ASCII), so the outcome equals sniff.ts for every UTF-8 string; `reason` quotes the folded type and
// may keep other non-ASCII capitals that toLowerCase() would fold (MIME types are ASCII).
ContentCheck check_content(std::string_view declared, const std::uint8_t* data, std::size_t size);

}  // namespace vs3
