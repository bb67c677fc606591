// AVX-VNNI int8-activation kernels (the "avxvnni" set: CPUs with 256-bit
// VNNI but without AVX-512, e.g. Intel's hybrid desktop and laptop parts).
// The rows of kernels_i8_avx2_body.inc with vpdpbusd in place of maddubs +
// madd: the same int32 lanes, so the same bits as the "avx2" set; and
// packed-layout kernels (packed.hpp), which AVX2 without VNNI has not.
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

#define SLM_TARGET_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))

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

}  // namespace

#define SLM_TARGET_I8 SLM_TARGET_AVXVNNI
#define SLM_I8_NAME(name) name##_avxvnni
#include "quant/kernels_i8_avx2_body.inc"
#undef SLM_I8_NAME
#undef SLM_TARGET_I8

namespace {

// A 4-byte group of activations in every int32 lane.
SLM_TARGET_AVXVNNI inline __m256i broadcast4(const std::int8_t* a) {
    std::int32_t v;
    std::memcpy(&v, a, sizeof v);
    return _mm256_set1_epi32(v);
}

// Packed layout (packed.hpp), as kernels_i8_avx512vnni_body.inc does it with
// one 512-bit vector per group: here rows 0-7 and 8-15 of a group are two
// 256-bit halves, each with its own pair of sum chains. Each lane ends with
// the reference's arithmetic, so the bits are the scalar reference's (and
// not the "avx2" set's, whose row kernels keep llama.cpp's order).
template <bool Q4>
SLM_TARGET_AVXVNNI void rows_packed_avxvnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                            const float* a_scales, std::size_t n, float* out) {
    const std::size_t nb = n / k_packed_block;
    std::int32_t sums[k_packed_max_n / k_packed_block];
    packed_block_sums(a, n, sums);
    const std::size_t block_bytes = packed_block_bytes(Q4 ? format::DType::q4_0 : format::DType::q8_0);
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (std::size_t g = 0; g < groups; ++g) {
        __m256 total[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* blk = packed + (g * nb + b) * block_bytes;
            const std::uint8_t* wv = blk + k_packed_rows * sizeof(float);
            const std::int8_t* ab = a + b * k_packed_block;
            const __m256 da = _mm256_set1_ps(a_scales[b]);
            for (std::size_t h = 0; h < 2; ++h) {  // rows 8h .. 8h + 7
                // Starts at minus the offset term (128 or 8 times the activations' sum).
                __m256i s0 = _mm256_set1_epi32(-(Q4 ? 8 : 128) * sums[b]);
                __m256i s1 = _mm256_setzero_si256();
                __m256i sum;
                if constexpr (Q4) {
                    for (std::size_t k = 0; k < 4; ++k) {
                        const __m256i v = load32(wv + 64 * k + 32 * h);
                        s0 = _mm256_dpbusd_avx_epi32(s0, _mm256_and_si256(v, low), broadcast4(ab + 4 * k));
                        s1 = _mm256_dpbusd_avx_epi32(s1, _mm256_andnot_si256(low, v), broadcast4(ab + 16 + 4 * k));
                    }
                    sum = _mm256_add_epi32(s0, _mm256_srai_epi32(s1, 4));
                } else {
                    for (std::size_t k = 0; k < 8; k += 2) {
                        s0 = _mm256_dpbusd_avx_epi32(s0, load32(wv + 64 * k + 32 * h), broadcast4(ab + 4 * k));
                        s1 = _mm256_dpbusd_avx_epi32(s1, load32(wv + 64 * (k + 1) + 32 * h), broadcast4(ab + 4 * k + 4));
                    }
                    sum = _mm256_add_epi32(s0, s1);
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

SLM_TARGET_AVXVNNI void rows_q8_0_packed_avxvnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                                 const float* a_scales, std::size_t n, float* out) {
    rows_packed_avxvnni<false>(packed, groups, a, a_scales, n, out);
}

SLM_TARGET_AVXVNNI void rows_q4_0_packed_avxvnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                                 const float* a_scales, std::size_t n, float* out) {
    rows_packed_avxvnni<true>(packed, groups, a, a_scales, n, out);
}

}  // namespace slm::quant

#endif  // __x86_64__
