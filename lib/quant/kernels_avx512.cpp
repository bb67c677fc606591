// AVX-512F dot kernels: the AVX2 scheme with 16 lanes. A 32-element block is
// two widen-and-FMA steps (_mm512_cvtepi8_epi32 widens 16 int8 at once), and
// row tails use masked loads instead of scalar loops. VNNI/BW do not help
// here: activations stay f32, so there is no int8 x int8 product to fuse.
#include "quant/kernels_x86.hpp"

#if defined(__x86_64__)

// GCC 12's avx512fintrin.h initialises "undefined" vectors with themselves
// (`__m512 __Y = __Y;`), which -Wuninitialized reports in every caller.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#define SLM_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))

namespace slm::quant {

namespace {

SLM_TARGET_AVX512 inline __m512 load16_i8_ps(const void* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p))));
}

// 16 packed q4_0 bytes: 16 values from the low nibbles (for lo_x) and 16 from
// the high nibbles (for hi_x); returns the products summed into 16 lanes.
SLM_TARGET_AVX512 inline __m512 chunk16_q4(const std::uint8_t* p, const float* lo_x,
                                           const float* hi_x) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    const __m128i eight = _mm_set1_epi8(8);
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(bytes, mask), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), eight);
    const __m512 s = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)),
                                   _mm512_loadu_ps(lo_x));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), _mm512_loadu_ps(hi_x),
                           s);
}

}  // namespace

SLM_TARGET_AVX512 float dot_f32_avx512(const float* w, const float* x, std::size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    }
    if (i < n) {
        // Masked-off lanes are neither read (no fault) nor summed (zero).
        const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, x + i), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

SLM_TARGET_AVX512 float dot_q8_0_avx512(const std::int8_t* values, const float* scales,
                                        std::size_t block_size, const float* x, std::size_t n) {
    if (block_size % 16 != 0) return dot_q8_0_avx2(values, scales, block_size, x, n);
    const std::size_t nb = n / block_size;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    if (block_size == 32) {
        std::size_t b = 0;
        for (; b + 2 <= nb; b += 2) {
            const std::size_t o = b * 32;
            __m512 s0 = _mm512_mul_ps(load16_i8_ps(values + o), _mm512_loadu_ps(x + o));
            __m512 s1 = _mm512_mul_ps(load16_i8_ps(values + o + 32), _mm512_loadu_ps(x + o + 32));
            s0 = _mm512_fmadd_ps(load16_i8_ps(values + o + 16), _mm512_loadu_ps(x + o + 16), s0);
            s1 = _mm512_fmadd_ps(load16_i8_ps(values + o + 48), _mm512_loadu_ps(x + o + 48), s1);
            acc0 = _mm512_fmadd_ps(s0, _mm512_set1_ps(scales[b]), acc0);
            acc1 = _mm512_fmadd_ps(s1, _mm512_set1_ps(scales[b + 1]), acc1);
        }
        if (b < nb) {
            const std::size_t o = b * 32;
            __m512 s0 = _mm512_mul_ps(load16_i8_ps(values + o), _mm512_loadu_ps(x + o));
            s0 = _mm512_fmadd_ps(load16_i8_ps(values + o + 16), _mm512_loadu_ps(x + o + 16), s0);
            acc0 = _mm512_fmadd_ps(s0, _mm512_set1_ps(scales[b]), acc0);
        }
    } else {
        for (std::size_t b = 0; b < nb; ++b) {
            const std::int8_t* q = values + b * block_size;
            const float* xb = x + b * block_size;
            __m512 s = _mm512_setzero_ps();
            for (std::size_t j = 0; j < block_size; j += 16) {
                s = _mm512_fmadd_ps(load16_i8_ps(q + j), _mm512_loadu_ps(xb + j), s);
            }
            acc0 = _mm512_fmadd_ps(s, _mm512_set1_ps(scales[b]), acc0);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

SLM_TARGET_AVX512 float dot_q4_0_avx512(const std::uint8_t* packed, const float* scales,
                                        std::size_t block_size, const float* x, std::size_t n) {
    if (block_size % 32 != 0) return dot_q4_0_avx2(packed, scales, block_size, x, n);
    const std::size_t nb = n / block_size;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    if (block_size == 32) {
        std::size_t b = 0;
        for (; b + 2 <= nb; b += 2) {
            const std::uint8_t* p = packed + b * 16;
            const float* xb = x + b * 32;
            acc0 = _mm512_fmadd_ps(chunk16_q4(p, xb, xb + 16), _mm512_set1_ps(scales[b]), acc0);
            acc1 = _mm512_fmadd_ps(chunk16_q4(p + 16, xb + 32, xb + 48),
                                   _mm512_set1_ps(scales[b + 1]), acc1);
        }
        if (b < nb) {
            const float* xb = x + b * 32;
            acc0 = _mm512_fmadd_ps(chunk16_q4(packed + b * 16, xb, xb + 16),
                                   _mm512_set1_ps(scales[b]), acc0);
        }
    } else {
        const std::size_t half = block_size / 2;
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* p = packed + b * half;
            const float* lo_x = x + b * block_size;
            const float* hi_x = lo_x + half;
            __m512 s = _mm512_setzero_ps();
            for (std::size_t j = 0; j < half; j += 16) {
                s = _mm512_add_ps(s, chunk16_q4(p + j, lo_x + j, hi_x + j));
            }
            acc0 = _mm512_fmadd_ps(s, _mm512_set1_ps(scales[b]), acc0);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace slm::quant

#endif  // __x86_64__
