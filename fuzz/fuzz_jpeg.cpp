// fuzz/fuzz_jpeg.cpp: libFuzzer harness for the pipeline's JPEG path (libjpeg-turbo decode with DCT
// scaling, APP1 EXIF orientation, APP2 ICC, CMYK/YCCK, progressive and arithmetic coding, then
// resize, orient and both encoders). Inputs that do not open like a JPEG (FF D8 FF) are skipped so
// the run stays on this decoder. Built and run by scripts/fuzz.sh (seed corpus from make_seeds.cpp
// in build/fuzz/corpus/jpeg/); see fuzz/image_fuzz.hpp for what is checked. Reproduce a crash with
//   build/fuzz/bin/fuzz_jpeg build/fuzz/crashes/jpeg-crash-<sha1>
#include "image_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!vs3_fuzz::starts_with(data, size, "\xFF\xD8\xFF", 3)) return 0;
  return vs3_fuzz::fuzz_image(data, size);
}
