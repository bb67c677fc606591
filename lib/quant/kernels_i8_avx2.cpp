// AVX2 int8-activation kernels, laid out like ggml's x86 quantize_row_q8_0
// and ggml_vec_dot_{q8_0,q4_0}_q8_0: per 32 elements, 8 int32 lanes of
// 4-product sums (maddubs + madd), converted to f32 and accumulated with
// acc = fma(d_w * d_x, lanes, acc). Integer sums are exact; only the f32
// summation order differs from the scalar reference.
#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cmath>
#include <limits>

#include "quant/f16.hpp"
#include "quant/kernels.hpp"

#include "quant/avx2_common.hpp"
#include "quant/int8_rows_common.hpp"

namespace slm::quant {

namespace {

using int8_rows::fast_block;
using int8_rows::k_rows;
using int8_rows::prefetch_group;

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

// 16 packed q4_0 bytes as 32 unsigned nibbles 0..15: low nibbles, then high.
SLM_TARGET_AVX2 inline __m256i nibbles32(const std::uint8_t* p) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m256i both =
        _mm256_inserti128_si256(_mm256_castsi128_si256(bytes), _mm_srli_epi16(bytes, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
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

// Activations matching nibbles32 at byte offset j of a block: a[j..j+16) and
// a[half+j..half+j+16).
SLM_TARGET_AVX2 inline __m256i act_for_nibbles(const std::int8_t* a, std::size_t half, std::size_t j) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + half + j));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// R consecutive rows at once: the activation loads are shared and the R
// accumulator chains are independent; each row's arithmetic is that of R = 1.
template <std::size_t R>
SLM_TARGET_AVX2 void q8_rows(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                             const float* a_scales, std::size_t block_size, std::size_t n, float* out) {
    const std::size_t nb = n / block_size;
    __m256 acc[R];
    for (std::size_t r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (std::size_t b = 0, o = 0; b < nb; ++b, o += block_size) {
        __m256i sum[R];
        const __m256i a0 = load32(a + o);
        for (std::size_t r = 0; r < R; ++r) sum[r] = mul_sum_i8(load32(w + r * n + o), a0);
        for (std::size_t j = 32; j < block_size; j += 32) {
            const __m256i aj = load32(a + o + j);
            for (std::size_t r = 0; r < R; ++r) {
                sum[r] = _mm256_add_epi32(sum[r], mul_sum_i8(load32(w + r * n + o + j), aj));
            }
        }
        const __m256 da = _mm256_broadcast_ss(a_scales + b);
        for (std::size_t r = 0; r < R; ++r) {
            const __m256 d = _mm256_mul_ps(_mm256_broadcast_ss(w_scales + r * nb + b), da);  // d_w * d_x
            acc[r] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum[r]), acc[r]);
        }
    }
    for (std::size_t r = 0; r < R; ++r) out[r] = hsum(acc[r]);
}

// As q8_rows, for packed nibbles.
template <std::size_t R>
SLM_TARGET_AVX2 void q4_rows(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                             const float* a_scales, std::size_t block_size, std::size_t n, float* out) {
    const std::size_t nb = n / block_size;
    const std::size_t half = block_size / 2;
    const std::size_t row_bytes = n / 2;
    __m256 acc[R];
    for (std::size_t r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
        const std::uint8_t* wb = w + b * half;
        const std::int8_t* ab = a + b * block_size;
        __m256i sum[R];
        const __m256i a0 = block_size == 32 ? load32(ab) : act_for_nibbles(ab, half, 0);
        const __m256i e0 = offset_pairs(a0);
        for (std::size_t r = 0; r < R; ++r) sum[r] = mul_sum_q4(nibbles32(wb + r * row_bytes), a0, e0);
        for (std::size_t j = 16; j < half; j += 16) {
            const __m256i aj = act_for_nibbles(ab, half, j);
            const __m256i ej = offset_pairs(aj);
            for (std::size_t r = 0; r < R; ++r) {
                sum[r] = _mm256_add_epi32(sum[r], mul_sum_q4(nibbles32(wb + r * row_bytes + j), aj, ej));
            }
        }
        const __m256 da = _mm256_broadcast_ss(a_scales + b);
        for (std::size_t r = 0; r < R; ++r) {
            const __m256 d = _mm256_mul_ps(_mm256_broadcast_ss(w_scales + r * nb + b), da);  // d_w * d_x
            acc[r] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum[r]), acc[r]);
        }
    }
    for (std::size_t r = 0; r < R; ++r) out[r] = hsum(acc[r]);
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

SLM_TARGET_AVX2 void rows_q8_0_q8_0_avx2(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                                         const float* a_scales, std::size_t block_size, std::size_t n,
                                         std::size_t rows, float* out) {
    if (!fast_block(block_size)) return rows_q8_0_q8_0_ref(w, w_scales, a, a_scales, block_size, n, rows, out);
    const std::size_t nb = n / block_size;
    std::size_t r = 0;
    for (; r + k_rows <= rows; r += k_rows) {
        prefetch_group(w, n, w_scales, nb, r, rows);
        q8_rows<k_rows>(w + r * n, w_scales + r * nb, a, a_scales, block_size, n, out + r);
    }
    for (; r < rows; ++r) q8_rows<1>(w + r * n, w_scales + r * nb, a, a_scales, block_size, n, out + r);
}

SLM_TARGET_AVX2 void rows_q4_0_q8_0_avx2(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                                         const float* a_scales, std::size_t block_size, std::size_t n,
                                         std::size_t rows, float* out) {
    if (!fast_block(block_size)) return rows_q4_0_q8_0_ref(w, w_scales, a, a_scales, block_size, n, rows, out);
    const std::size_t nb = n / block_size;
    std::size_t r = 0;
    for (; r + k_rows <= rows; r += k_rows) {
        prefetch_group(w, n / 2, w_scales, nb, r, rows);
        q4_rows<k_rows>(w + r * (n / 2), w_scales + r * nb, a, a_scales, block_size, n, out + r);
    }
    for (; r < rows; ++r) q4_rows<1>(w + r * (n / 2), w_scales + r * nb, a, a_scales, block_size, n, out + r);
}

}  // namespace slm::quant

#endif  // __x86_64__
