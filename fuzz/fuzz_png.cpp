// fuzz/fuzz_png.cpp: libFuzzer harness for the pipeline's PNG path (libpng: 1-16 bit, gray, palette
// and tRNS, alpha, Adam7 interlacing, eXIf orientation, iCCP, then resize, orient and both
// encoders). Inputs without the PNG signature are skipped so the run stays on this decoder. Built
// and run by scripts/fuzz.sh (seed corpus from make_seeds.cpp in build/fuzz/corpus/png/); see
// fuzz/image_fuzz.hpp for what is checked. Reproduce a crash with
//   build/fuzz/bin/fuzz_png build/fuzz/crashes/png-crash-<sha1>
#include "image_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!vs3_fuzz::starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return 0;
  return vs3_fuzz::fuzz_image(data, size);
}
