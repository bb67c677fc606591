// AVX-512F kernels with f32 activations: the native build of
// kernels_avx512_body.inc (tests/unit/test_quant_avx512_emulated.cpp builds
// the same text against SIMDe). VNNI/BW do not help here: activations stay
// f32, so there is no int8 x int8 product to fuse (kernels_i8_avx512vnni.cpp
// has the int8-activation kernels).
#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

// GCC 12's avx512fintrin.h initialises "undefined" vectors with themselves
// (`__m512 __Y = __Y;`), which -Wuninitialized reports in every caller.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#define SLM_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))

namespace slm::quant {

#include "quant/kernels_avx512_body.inc"

}  // namespace slm::quant

#endif  // __x86_64__
