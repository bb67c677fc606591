// AVX2 int8-activation kernels, laid out like ggml's x86 quantize_row_q8_0
// and ggml_vec_dot_{q8_0,q4_0}_q8_0: per 32 elements, 8 int32 lanes of
// 4-product sums (maddubs + madd), converted to f32 and accumulated with
// acc = fma(d_w * d_x, lanes, acc). Integer sums are exact; only the f32
// summation order differs from the scalar reference.
#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "quant/f16.hpp"
#include "quant/kernels.hpp"
#include "quant/packed.hpp"

#include "quant/avx2_common.hpp"
#include "quant/int8_rows_common.hpp"

namespace slm::quant {

namespace {

SLM_TARGET_AVX2 inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

SLM_TARGET_AVX2 inline __m256i load32(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// 8 int32 lanes, lane k = sum of w[j] * a[j] over j = 4k .. 4k+3. maddubs
// wants an unsigned operand, so |w| meets a carrying w's sign (ggml's trick).
// Exact: |w| <= 128 and |a| <= 127 keep each pair sum below 2^15.
SLM_TARGET_AVX2 inline __m256i mul_sum_i8(__m256i w, __m256i a) {
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// 8 int32 lanes, lane k = sum of (nib[j] - 8) * a[j] over j = 4k .. 4k+3,
// the same lanes as mul_sum_i8 on nib - 8. The nibbles are unsigned, so
// maddubs takes them directly; `eights` = maddubs(8, a) removes the offset.
// Exact: every intermediate stays within +-3810.
SLM_TARGET_AVX2 inline __m256i mul_sum_q4(__m256i nib, __m256i a, __m256i eights) {
    const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(nib, a), eights);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

SLM_TARGET_AVX2 inline __m256i offset_pairs(__m256i a) {
    return _mm256_maddubs_epi16(_mm256_set1_epi8(8), a);
}

// Packed steps (kernels_i8_avx2_body.inc). q8_0: the stored w + 128 turned
// back into w, then the sign trick (pair sums within +-32512; w + 128 itself
// would saturate maddubs), so no offset term. q4_0: nibbles 0..15 against a,
// low and high pairs added (within +-7620).
constexpr std::int32_t k_packed_q8_offset = 0;

SLM_TARGET_AVX2 inline __m256i packed_q8_step(__m256i sum, __m256i stored, __m256i a) {
    return _mm256_add_epi32(sum, mul_sum_i8(_mm256_xor_si256(stored, _mm256_set1_epi8(-128)), a));
}

SLM_TARGET_AVX2 inline __m256i packed_q4_step(__m256i sum, __m256i lo, __m256i hi, __m256i a_lo, __m256i a_hi) {
    const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, a_lo), _mm256_maddubs_epi16(hi, a_hi));
    return _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

}  // namespace

SLM_TARGET_AVX2 void quantize_act_q8_0_avx2(const float* x, std::size_t n, std::size_t block_size,
                                            std::int8_t* q, float* scales) {
    if (block_size % 8 != 0) return quantize_act_q8_0_ref(x, n, block_size, q, scales);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float* xb = x + b * block_size;
        std::int8_t* qb = q + b * block_size;
        __m256 amax = _mm256_setzero_ps();
        __m256 bad = _mm256_setzero_ps();  // lanes that saw NaN or inf
        for (std::size_t j = 0; j < block_size; j += 8) {
            const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + j));
            amax = _mm256_max_ps(amax, a);
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));
        }
        if (_mm256_movemask_ps(bad) != 0) {  // as the reference: zeros and a NaN scale
            for (std::size_t j = 0; j < block_size; ++j) qb[j] = 0;
            scales[b] = std::numeric_limits<float>::quiet_NaN();
            continue;
        }
        const float max = hmax(amax);
        scales[b] = round_to_fp16(max / 127.0f);
        if (scales[b] == 0.0f) {  // as the reference
            for (std::size_t j = 0; j < block_size; ++j) qb[j] = 0;
            continue;
        }
        const __m256 id = _mm256_set1_ps(127.0f / max);
        for (std::size_t j = 0; j < block_size; j += 8) {
            const __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + j), id),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            const __m256i i32 = _mm256_cvtps_epi32(v);
            const __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(qb + j), _mm_packs_epi16(i16, i16));
        }
    }
}

#define SLM_TARGET_I8 SLM_TARGET_AVX2_F16C
#define SLM_I8_NAME(name) name##_avx2
#include "quant/kernels_i8_avx2_body.inc"
#undef SLM_I8_NAME
#undef SLM_TARGET_I8

}  // namespace slm::quant

#endif  // __x86_64__
