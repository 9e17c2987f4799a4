// fuzz/fuzz_require.hpp: VS3_FUZZ_REQUIRE, how every harness states what the code under test
// promises. A broken promise is a finding: print it and abort (libFuzzer saves the input).
#pragma once
#include <cstdio>
#include <cstdlib>

#define VS3_FUZZ_REQUIRE(cond)                                                                      \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      std::fprintf(stderr, "vs3 fuzz: %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (0)
