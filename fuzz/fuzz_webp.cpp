// fuzz/fuzz_webp.cpp: libFuzzer harness for the pipeline's WebP path (libwebp and libwebpdemux:
// lossy, lossless, alpha, animation (first frame), EXIF and ICCP chunks, then resize, orient and
// both encoders, WebPMux for ICC output). Inputs that are not RIFF....WEBP are skipped so the run
// stays on this decoder. Built and run by scripts/fuzz.sh (seed corpus from make_seeds.cpp in
// build/fuzz/corpus/webp/); see fuzz/image_fuzz.hpp for what is checked. Reproduce a crash with
//   build/fuzz/bin/fuzz_webp build/fuzz/crashes/webp-crash-<sha1>
#include "image_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!vs3_fuzz::starts_with(data, size, "RIFF", 4) || !vs3_fuzz::starts_with(data, size, "WEBP", 4, 8)) return 0;
  return vs3_fuzz::fuzz_image(data, size);
}
