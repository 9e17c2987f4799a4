// fuzz/fuzz_sniff.cpp: libFuzzer harness for the core's content sniffing (wasm/src/sniff.cpp:
// vs3::sniff_type, check_content, is_active_type), which runs in every browser on the first KiB of
// every file. The first byte gives the length (0..63) of a declared type taken from the next bytes;
// the rest is the file's head. Besides "no crash", it checks the rules' invariants: check_content
// reports what sniff_type sees; bytes are always acceptable as the type they sniff as and as
// application/octet-stream; a refusal says why. Built and run by scripts/fuzz.sh (seed corpus in
// build/fuzz/corpus/sniff/: every signature, markup openings, the image seeds). Reproduce with
//   build/fuzz/bin/fuzz_sniff build/fuzz/crashes/sniff-crash-<sha1>
#include <algorithm>
#include <string>

#include "fuzz_require.hpp"
#include "vs3/sniff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t n = 0;
  std::string declared;
  if (size > 0) {
    n = std::min<std::size_t>(data[0] % 64, size - 1);
    declared.assign(reinterpret_cast<const char*>(data) + 1, n);
    data += 1 + n;
    size -= 1 + n;
  }
  const std::string_view sniffed = vs3::sniff_type(data, size);
  VS3_FUZZ_REQUIRE(vs3::sniff_type(data, size) == sniffed);

  const vs3::ContentCheck c = vs3::check_content(declared, data, size);
  VS3_FUZZ_REQUIRE(c.detected == sniffed);
  VS3_FUZZ_REQUIRE(c.ok == c.reason.empty());
  VS3_FUZZ_REQUIRE(c.ok || c.reason.compare(0, 9, "declared ") == 0);
  VS3_FUZZ_REQUIRE(vs3::check_content("application/octet-stream", data, size).ok);
  if (!sniffed.empty()) {
    VS3_FUZZ_REQUIRE(vs3::check_content(sniffed, data, size).ok);
    // Markup is always active; nothing else sniff_type names is, but for the shell script.
    const bool markup = sniffed == "text/html" || sniffed == "image/svg+xml" || sniffed == "application/xhtml+xml" ||
                        sniffed == "application/xml";
    VS3_FUZZ_REQUIRE(vs3::is_active_type(sniffed) == (markup || sniffed == "text/x-shellscript"));
  }
  return 0;
}
