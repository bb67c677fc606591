// AVX2 versions of the ggml recipes (ggml_compat.hpp): the same bits as the
// scalar ones, in ggml's own vector layout where that is the fast way anyway.
// Attention (KQ, KQV) is in ggml_compat_attention_avx2.cpp.
// Contraction is off: inside target("avx2,fma") GCC would otherwise fuse the
// products and sums that ggml rounds separately (vec_dot_f32's leftovers).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "quant/ggml_compat.hpp"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/avx2_common.hpp"
#include "quant/ggml_compat_x86.hpp"
#include "quant/kernels_x86.hpp"

namespace slm::quant::ggml {

SLM_TARGET_AVX2 float vec_dot_f32_avx2(const float* x, const float* y, std::size_t n) {
    const std::size_t np = n & ~std::size_t{31};
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (std::size_t i = 0; i < np; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));  // GGML_F32x8_REDUCE
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    t = _mm_hadd_ps(t, t);
    float sum = _mm_cvtss_f32(_mm_hadd_ps(t, t));
    std::size_t i = np;
    alignas(32) float p[8];
    for (; n - i >= 8; i += 8) {  // rounded products, added in order
        _mm256_store_ps(p, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
        for (float v : p) sum += v;
    }
    if (n - i >= 4) {
        _mm_store_ps(p, _mm_mul_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(y + i)));
        sum = ((sum + p[0]) + p[1]) + p[2] + p[3];
        i += 4;
    }
    for (; i < n; ++i) sum = std::fmaf(x[i], y[i], sum);
    return sum;
}

namespace {

// ggml_v_expf (vec.h), verbatim.
SLM_TARGET_AVX2 __m256 v_expf8(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1))));
    const __m256i c = _mm256_castps_si256(
        _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), n), _mm256_set1_ps(126), _CMP_GT_OQ));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    if (!_mm256_movemask_ps(_mm256_castsi256_ps(c))) return _mm256_fmadd_ps(j, k, k);
    const __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                       _mm256_set1_epi32(static_cast<int>(0x82000000u)));
    const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
    const __m256i d = _mm256_castps_si256(
        _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), n), _mm256_set1_ps(192), _CMP_GT_OQ));
    return _mm256_or_ps(
        _mm256_and_ps(_mm256_castsi256_ps(d), _mm256_mul_ps(s1, s1)),
        _mm256_andnot_ps(_mm256_castsi256_ps(d),
                         _mm256_or_ps(_mm256_and_ps(_mm256_castsi256_ps(c), _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1)),
                                      _mm256_andnot_ps(_mm256_castsi256_ps(c), _mm256_fmadd_ps(k, j, k)))));
}

SLM_TARGET_AVX2 void rows_f32_avx2(const float* w, const float* x, std::size_t n, std::size_t rows, bool tinyblas,
                                   float* out) {
    if (!tinyblas || n % 8 != 0) {  // llamafile_sgemm declines n % 8 != 0: vec_dot_f32
        for (std::size_t r = 0; r < rows; ++r) out[r] = vec_dot_f32_avx2(w + r * n, x, n);
        return;
    }
    // tinyBLAS: one 8-lane chain per row, then hsum; 4 rows interleaved so
    // that their chains overlap.
    std::size_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float* w0 = w + r * n;
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t l = 0; l < n; l += 8) {
            const __m256 xl = _mm256_loadu_ps(x + l);
            for (std::size_t k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k * n + l), xl, acc[k]);
        }
        for (std::size_t k = 0; k < 4; ++k) out[r + k] = hsum(acc[k]);
    }
    for (; r < rows; ++r) {
        __m256 acc = _mm256_setzero_ps();
        for (std::size_t l = 0; l < n; l += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + r * n + l), _mm256_loadu_ps(x + l), acc);
        out[r] = hsum(acc);
    }
}

// 8 int32 lanes of (nibble - 8) * a, 4 elements each, for one 32-element
// q4_0 block (low nibbles = elements 0..15). Exact.
SLM_TARGET_AVX2 inline __m256i q4_block_lanes(const std::uint8_t* packed, __m256i a, __m256i eights) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
    const __m256i nib = _mm256_and_si256(
        _mm256_inserti128_si256(_mm256_castsi128_si256(bytes), _mm_srli_epi16(bytes, 4), 1), _mm256_set1_epi8(0x0F));
    const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(nib, a), eights);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// q4_0_8x8: 8 rows per vector, lane r = row r's chain (as ggml's gemv).
SLM_TARGET_AVX2 void rows_q4_0_8x8_avx2(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                                        const float* a_scales, std::size_t block_size, std::size_t n,
                                        std::size_t rows, float* out) {
    const std::size_t nb = n / k_block;
    const std::size_t row_bytes = n / 2;
    std::size_t r = 0;
    for (; r + 8 <= rows; r += 8) {
        const std::uint8_t* wg = w + r * row_bytes;
        const float* sg = w_scales + r * nb;
        __m256 acc = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + b * k_block));
            const __m256i eights = _mm256_maddubs_epi16(_mm256_set1_epi8(8), av);
            __m256i s[8];
            for (std::size_t k = 0; k < 8; ++k) s[k] = q4_block_lanes(wg + k * row_bytes + b * 16, av, eights);
            const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
            const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
            const __m256i sums = _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20),
                                                  _mm256_permute2x128_si256(h0, h1, 0x31));  // lane k = row k
            const __m256 dw = _mm256_setr_ps(sg[b], sg[nb + b], sg[2 * nb + b], sg[3 * nb + b], sg[4 * nb + b],
                                             sg[5 * nb + b], sg[6 * nb + b], sg[7 * nb + b]);
            const __m256 d = _mm256_mul_ps(dw, _mm256_broadcast_ss(a_scales + b));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), d, acc);
        }
        _mm256_storeu_ps(out + r, acc);
    }
    if (r < rows) rows_q4_0_8x8_ref(w + r * row_bytes, w_scales + r * nb, a, a_scales, block_size, n, rows - r, out + r);
}

// gate[i] = silu(gate[i]) * up[i] for the first n - n % 8 elements (ggml_v_silu,
// then the product); returns where the tail starts.
SLM_TARGET_AVX2 std::size_t silu_mul8(float* gate, const float* up, std::size_t n) {
    const std::size_t n8 = n - n % 8;
    for (std::size_t i = 0; i < n8; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = v_expf8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    return n8;
}

SLM_TARGET_AVX2 void swiglu_avx2(float* gate, const float* up, std::size_t n) {
    const std::size_t n8 = silu_mul8(gate, up, n);
    if (n8 < n) swiglu_ref(gate + n8, up + n8, n - n8);  // < 8 left: the libm tail
}

bool cpu_has_avx2_fma() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace

SLM_TARGET_AVX2 void softmax_avx2(float* x, std::size_t n, float scale) {
    const float max = scale_and_max(x, n, scale);
    const __m256 vmax = _mm256_set1_ps(max);
    double sum = 0.0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = v_expf8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
        _mm256_storeu_ps(x + i, v);
        sum += static_cast<double>(hsum(v));
    }
    if (i < n) {  // the block holding the last cells; the masked rest gives 0
        alignas(32) float tail[8] = {};
        std::copy(x + i, x + n, tail);
        _mm256_store_ps(tail, v_expf8(_mm256_sub_ps(_mm256_load_ps(tail), vmax)));
        std::fill(tail + (n - i), tail + 8, 0.0f);
        std::copy(tail, tail + (n - i), x + i);
        sum += static_cast<double>(hsum(_mm256_load_ps(tail)));
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (std::size_t k = 0; k < n; ++k) x[k] *= inv;
}

SLM_TARGET_AVX2 void silu_mul_avx2(float* gate, const float* up, std::size_t n) {
    const std::size_t n8 = silu_mul8(gate, up, n);
    if (n8 < n) silu_mul_ref(gate + n8, up + n8, n - n8);  // v_expf's scalar twin: the same bits
}

const Kernels* avx2_kernels() {
    // q8_0 and non-repacked q4_0 reuse the int8 row kernels: they are laid
    // out like ggml's vec_dot_q8_0_q8_0 / vec_dot_q4_0_q8_0 already.
    static constexpr Kernels k{"avx2",  rows_f32_avx2, rows_q8_0_q8_0_avx2, rows_q4_0_q8_0_avx2, rows_q4_0_8x8_avx2,
                               kq_avx2, kqv_avx2,      softmax_avx2,        swiglu_avx2};
    static const bool ok = cpu_has_avx2_fma();
    return ok ? &k : nullptr;
}

bool host_runs_haswell_build() {
    return cpu_has_avx2_fma() && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2") &&
           !__builtin_cpu_supports("avx512f") && !__builtin_cpu_supports("avxvnni");
}

}  // namespace slm::quant::ggml

#else  // !__x86_64__

namespace slm::quant::ggml {
const Kernels* avx2_kernels() { return nullptr; }
bool host_runs_haswell_build() { return false; }
}  // namespace slm::quant::ggml

#endif
