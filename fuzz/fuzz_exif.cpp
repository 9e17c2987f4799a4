// fuzz/fuzz_exif.cpp: libFuzzer harness for the pipeline's own EXIF reader,
// vs3::image::exif_orientation (a TIFF block: byte order, IFD0 offset, entry count, the Orientation
// tag's type and count, offsets past the end; a leading "Exif\0\0" is skipped). The answer must
// always be an orientation 1..8 and the same when asked twice. Built and run by scripts/fuzz.sh (seed
// corpus from make_seeds.cpp in build/fuzz/corpus/exif/: little- and big-endian blocks for every
// orientation, with and without GPS and the Exif prefix). Reproduce a crash with
//   build/fuzz/bin/fuzz_exif build/fuzz/crashes/exif-crash-<sha1>
#include <cstdio>
#include <cstdlib>

#include "vs3/image/pixels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint16_t o = vs3::image::exif_orientation(data, size);
  if (o < 1 || o > 8 || vs3::image::exif_orientation(data, size) != o) {
    std::fprintf(stderr, "vs3 fuzz: exif_orientation returned %u\n", unsigned(o));
    std::abort();
  }
  return 0;
}
