// AVX-512 VNNI int8-activation kernels: the native build of
// kernels_i8_avx512vnni_body.inc (tests/unit/test_quant_avx512_emulated.cpp
// builds the same text against SIMDe).
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
#include <cstring>

#include "quant/int8_rows_common.hpp"
#include "quant/kernels.hpp"
#include "quant/packed.hpp"

#define SLM_TARGET_AVX512VNNI __attribute__((target("avx512f,avx512vnni,avx2,fma")))

namespace slm::quant {

#include "quant/kernels_i8_avx512vnni_body.inc"

}  // namespace slm::quant

#endif  // __x86_64__
