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

#define SLM_TARGET_I8 SLM_TARGET_AVX2
#define SLM_I8_NAME(name) name##_avx2
#include "quant/kernels_i8_avx2_body.inc"
#undef SLM_I8_NAME
#undef SLM_TARGET_I8

namespace {

// A 4-byte group of activations in every int32 lane.
SLM_TARGET_AVX2 inline __m256i broadcast4(const std::int8_t* a) {
    std::int32_t v;
    std::memcpy(&v, a, sizeof v);
    return _mm256_set1_epi32(v);
}

// Packed layout (packed.hpp) without VNNI: a 16-row group in two 256-bit
// halves, each int32 lane one row, built from maddubs + madd as the row
// kernels do. q8_0 turns the stored w + 128 back into w and uses the sign
// trick (pair sums within +-32512); q4_0 shifts the high nibbles down (kept
// in place, 16 times their value, they would saturate maddubs's int16 pairs)
// and adds the low and high pairs (within +-7620). Each lane ends with the
// reference's arithmetic: the scalar reference's bits, not llama.cpp's order
// that the row kernels keep (run --no-repack keeps those).
template <bool Q4>
SLM_TARGET_AVX2 void rows_packed_avx2(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                      const float* a_scales, std::size_t n, float* out) {
    const std::size_t nb = n / k_packed_block;
    std::int32_t sums[k_packed_max_n / k_packed_block];
    if constexpr (Q4) packed_block_sums(a, n, sums);
    const std::size_t block_bytes = packed_block_bytes(Q4 ? format::DType::q4_0 : format::DType::q8_0);
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i flip = _mm256_set1_epi8(-128);
    for (std::size_t g = 0; g < groups; ++g) {
        __m256 total[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* blk = packed + (g * nb + b) * block_bytes;
            const std::uint8_t* wv = blk + k_packed_rows * sizeof(float);
            const std::int8_t* ab = a + b * k_packed_block;
            const __m256 da = _mm256_set1_ps(a_scales[b]);
            for (std::size_t h = 0; h < 2; ++h) {  // rows 8h .. 8h + 7
                __m256i sum;
                if constexpr (Q4) {
                    sum = _mm256_set1_epi32(-8 * sums[b]);  // minus the offset term
                    for (std::size_t k = 0; k < 4; ++k) {
                        const __m256i v = load32(wv + 64 * k + 32 * h);
                        const __m256i lo = _mm256_and_si256(v, low);
                        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
                        const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, broadcast4(ab + 4 * k)),
                                                               _mm256_maddubs_epi16(hi, broadcast4(ab + 16 + 4 * k)));
                        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
                    }
                } else {
                    sum = _mm256_setzero_si256();
                    for (std::size_t k = 0; k < 8; ++k) {
                        const __m256i w = _mm256_xor_si256(load32(wv + 64 * k + 32 * h), flip);
                        const __m256i pairs =
                            _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(broadcast4(ab + 4 * k), w));
                        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
                    }
                }
                const __m256 d = _mm256_mul_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(blk) + 8 * h), da);
                total[h] = _mm256_add_ps(total[h], _mm256_mul_ps(_mm256_cvtepi32_ps(sum), d));
            }
        }
        _mm256_storeu_ps(out + g * k_packed_rows, total[0]);
        _mm256_storeu_ps(out + g * k_packed_rows + 8, total[1]);
    }
}

}  // namespace

SLM_TARGET_AVX2 void rows_q8_0_packed_avx2(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                           const float* a_scales, std::size_t n, float* out) {
    rows_packed_avx2<false>(packed, groups, a, a_scales, n, out);
}

SLM_TARGET_AVX2 void rows_q4_0_packed_avx2(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                           const float* a_scales, std::size_t n, float* out) {
    rows_packed_avx2<true>(packed, groups, a, a_scales, n, out);
}

}  // namespace slm::quant

#endif  // __x86_64__
