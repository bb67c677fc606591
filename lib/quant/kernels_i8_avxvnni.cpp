// AVX-VNNI int8-activation kernels (the "avxvnni" set: CPUs with 256-bit
// VNNI but without AVX-512, e.g. Intel's hybrid desktop and laptop parts).
// The rows of kernels_i8_avx2_body.inc with vpdpbusd in place of maddubs +
// madd: the same int32 lanes, so the same bits as the "avx2" set.
#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "quant/avx2_common.hpp"
#include "quant/int8_rows_common.hpp"
#include "quant/kernels.hpp"
#include "quant/packed.hpp"

#define SLM_TARGET_AVXVNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

namespace slm::quant {

namespace {

SLM_TARGET_AVXVNNI inline __m256i load32(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// Lane k = sum of w[j] * a[j] over j = 4k .. 4k+3: |w| (unsigned) meets a
// carrying w's sign, as in the AVX2 kernels.
SLM_TARGET_AVXVNNI inline __m256i mul_sum_i8(__m256i w, __m256i a) {
    return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

// Minus the offset lanes, sum of 8 * a[j] over each group of four: a row's
// sum starts there, so no subtraction per row.
SLM_TARGET_AVXVNNI inline __m256i offset_pairs(__m256i a) {
    const __m256i eights = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), a);
    return _mm256_sub_epi32(_mm256_setzero_si256(), eights);
}

// Lane k = sum of (nib[j] - 8) * a[j] over j = 4k .. 4k+3.
SLM_TARGET_AVXVNNI inline __m256i mul_sum_q4(__m256i nib, __m256i a, __m256i minus_eights) {
    return _mm256_dpbusd_avx_epi32(minus_eights, nib, a);
}

// Packed steps (kernels_i8_avx2_body.inc): vpdpbusd on the stored w + 128,
// whose offset term the kernel subtracts once per block; and on the low and
// high nibbles.
constexpr std::int32_t k_packed_q8_offset = 128;

SLM_TARGET_AVXVNNI inline __m256i packed_q8_step(__m256i sum, __m256i stored, __m256i a) {
    return _mm256_dpbusd_avx_epi32(sum, stored, a);
}

SLM_TARGET_AVXVNNI inline __m256i packed_q4_step(__m256i sum, __m256i lo, __m256i hi, __m256i a_lo, __m256i a_hi) {
    return _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(sum, lo, a_lo), hi, a_hi);
}

}  // namespace

#define SLM_TARGET_I8 SLM_TARGET_AVXVNNI
#define SLM_I8_NAME(name) name##_avxvnni
#include "quant/kernels_i8_avx2_body.inc"
#undef SLM_I8_NAME
#undef SLM_TARGET_I8

}  // namespace slm::quant

#endif  // __x86_64__
