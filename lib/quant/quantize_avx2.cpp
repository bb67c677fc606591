// AVX2 versions of the reference weight quantizers (q8_0.hpp, q4_0.hpp),
// bit-identical to them: the same f32 operations in the same order, only
// eight elements at a time. FMA contraction is off (x * id + 8.5f must stay
// two roundings), as in the reference. Blocks whose 1 / d overflows take the
// reference block function. They return false, having written garbage, for
// input the reference rejects (non-finite values, fp16 scale overflow), so
// that the caller can rerun the reference for its error.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cmath>
#include <limits>

#include "quant/f16.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"

#include "quant/avx2_common.hpp"

namespace slm::quant {

namespace {

SLM_TARGET_AVX2 inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

SLM_TARGET_AVX2 inline __m256 abs8(const float* x) {
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(x));
}

// max |x| over a block, or -1 if it holds NaN or inf.
SLM_TARGET_AVX2 inline float block_amax(const float* x, std::size_t block_size) {
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    __m256 amax = _mm256_setzero_ps();
    __m256 bad = _mm256_setzero_ps();
    for (std::size_t j = 0; j < block_size; j += 8) {
        const __m256 a = abs8(x + j);
        amax = _mm256_max_ps(amax, a);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));
    }
    return _mm256_movemask_ps(bad) != 0 ? -1.0f : hmax(amax);
}

// 8 int32 values to 8 bytes.
SLM_TARGET_AVX2 inline void store8(__m256i v, void* out, bool is_unsigned) {
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i b = is_unsigned ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
    _mm_storel_epi64(static_cast<__m128i*>(out), b);
}

// round_to_int8_like_x86 on 8 lanes with |v| < 2^31: truncate, then step
// away from zero when the (exact) fraction reaches one half.
SLM_TARGET_AVX2 inline __m256i round_half_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 fraction = _mm256_sub_ps(v, t);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(fraction, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one);
    const __m256 down = _mm256_and_ps(_mm256_cmp_ps(fraction, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), one);
    return _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_sub_ps(up, down)));
}

}  // namespace

SLM_TARGET_AVX2 bool quantize_q8_0_avx2(const float* x, std::size_t n, std::size_t block_size, void* values,
                                        float* scales) {
    auto* q = static_cast<std::int8_t*>(values);
    if (block_size == 0 || block_size % 8 != 0 || n % block_size != 0) {
        return quantize_row_q8_0_ref(x, n, block_size, q, scales).ok();  // its checks
    }
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float* xb = x + b * block_size;
        std::int8_t* qb = q + b * block_size;
        const float amax = block_amax(xb, block_size);
        if (amax < 0.0f) return false;
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (!std::isfinite(id)) {
            scales[b] = quantize_block_q8_0(xb, block_size, qb);
        } else {
            const __m256 vid = _mm256_set1_ps(id);
            for (std::size_t j = 0; j < block_size; j += 8) {
                store8(round_half_away(_mm256_mul_ps(_mm256_loadu_ps(xb + j), vid)), qb + j, false);
            }
            scales[b] = round_to_fp16(d);
        }
        if (std::isinf(scales[b])) return false;
    }
    return true;
}

SLM_TARGET_AVX2 bool quantize_q4_0_avx2(const float* x, std::size_t n, std::size_t block_size, void* values,
                                        float* scales) {
    auto* packed = static_cast<std::uint8_t*>(values);
    if (block_size == 0 || block_size % 16 != 0 || n % block_size != 0) {
        return quantize_row_q4_0_ref(x, n, block_size, packed, scales).ok();  // its checks
    }
    const std::size_t half = block_size / 2;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float* xb = x + b * block_size;
        std::uint8_t* pb = packed + b * half;
        const float amax = block_amax(xb, block_size);
        if (amax < 0.0f) return false;
        // The first element reaching amax, with its sign (+0 for a zero block).
        float max = 0.0f;
        for (std::size_t j = 0; amax != 0.0f; j += 8) {
            const int hits = _mm256_movemask_ps(_mm256_cmp_ps(abs8(xb + j), _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hits != 0) {
                max = xb[j + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)))];
                break;
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (!std::isfinite(id)) {
            scales[b] = quantize_block_q4_0(xb, block_size, pb);
        } else {
            const __m256 vid = _mm256_set1_ps(id);
            const __m256 offset = _mm256_set1_ps(8.5f);
            const __m256i fifteen = _mm256_set1_epi32(15);
            for (std::size_t j = 0; j < half; j += 8) {
                // MIN(15, (int8_t)(x * id + 8.5f)): two roundings, then truncation.
                const __m256i lo = _mm256_min_epi32(
                    _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + j), vid), offset)),
                    fifteen);
                const __m256i hi = _mm256_min_epi32(
                    _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + half + j), vid), offset)),
                    fifteen);
                store8(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), pb + j, true);
            }
            scales[b] = round_to_fp16(d);
        }
        if (std::isinf(scales[b])) return false;
    }
    return true;
}

}  // namespace slm::quant

#endif  // __x86_64__
