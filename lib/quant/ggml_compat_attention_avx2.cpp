// AVX2 attention kernels of the ggml recipes: KQ (one ggml_vec_dot_f32 per
// cell) and KQV (a dot over cells per output column). Same bits as kq_ref /
// kqv_ref; only the work is laid out for speed.
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

#include "quant/avx2_common.hpp"
#include "quant/ggml_compat_x86.hpp"

namespace slm::quant::ggml {

namespace {

// r[l] lane k <- r[k] lane l.
SLM_TARGET_AVX2 inline void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

// Eight cells at once: each cell's vec_dot_f32 up to its leftovers of 4 and
// 1, with the serial parts (reduction, in-order leftover sums) running
// across the 8 cells in one vector. Returns the index where the 4-chunk
// starts; sums[k] is cell k's sum so far.
SLM_TARGET_AVX2 std::size_t kq8(const float* q, const float* k0, std::size_t stride, std::size_t n, float* sums) {
    const std::size_t np = n & ~std::size_t{31};
    __m256 s[8];
    for (std::size_t c = 0; c < 8; ++c) {
        const float* k = k0 + c * stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (std::size_t i = 0; i < np; i += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(k + i), _mm256_loadu_ps(q + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(k + i + 8), _mm256_loadu_ps(q + i + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(k + i + 16), _mm256_loadu_ps(q + i + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(k + i + 24), _mm256_loadu_ps(q + i + 24), a3);
        }
        s[c] = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));
    }
    transpose8(s);  // s[l] = lane l of every cell
    const __m256 t0 = _mm256_add_ps(s[0], s[4]), t1 = _mm256_add_ps(s[1], s[5]);
    const __m256 t2 = _mm256_add_ps(s[2], s[6]), t3 = _mm256_add_ps(s[3], s[7]);
    __m256 sum = _mm256_add_ps(_mm256_add_ps(t0, t1), _mm256_add_ps(t2, t3));  // the two hadds
    std::size_t i = np;
    for (; n - i >= 8; i += 8) {
        __m256 p[8];
        for (std::size_t c = 0; c < 8; ++c) p[c] = _mm256_mul_ps(_mm256_loadu_ps(k0 + c * stride + i), _mm256_loadu_ps(q + i));
        transpose8(p);
        for (const __m256& v : p) sum = _mm256_add_ps(sum, v);  // products in order
    }
    _mm256_storeu_ps(sums, sum);
    return i;
}

}  // namespace

SLM_TARGET_AVX2 void kq_avx2(const float* q, const float* keys, std::size_t stride, std::size_t n, std::size_t count,
                             float* out) {
    std::size_t t = 0;
    for (; t + 8 <= count; t += 8) {
        const float* k0 = keys + t * stride;
        const std::size_t i = kq8(q, k0, stride, n, out + t);
        for (std::size_t c = 0; c < 8; ++c) {  // vec_dot_f32's leftovers of 4, then 1
            const float* k = k0 + c * stride;
            float sum = out[t + c];
            std::size_t j = i;
            if (n - j >= 4) {
                for (std::size_t l = 0; l < 4; ++l) sum += k[j + l] * q[j + l];
                j += 4;
            }
            for (; j < n; ++j) sum = std::fmaf(k[j], q[j], sum);
            out[t + c] = sum;
        }
    }
    for (; t < count; ++t) out[t] = vec_dot_f32_avx2(keys + t * stride, q, n);
}

// Cells in order, each row of V read once: acc[(t & lanes-1) * cols + d]
// holds lane (t & lanes-1) of column d, for up to k_cols columns at a time.
SLM_TARGET_AVX2 void kqv_avx2(const float* p, const float* values, std::size_t stride, std::size_t n,
                              std::size_t count, bool tinyblas, float* out) {
    constexpr std::size_t k_cols = 128;
    const std::size_t lanes = tinyblas ? 8 : 32;
    alignas(32) float acc[32 * k_cols];
    std::size_t d0 = 0;
    while (n - d0 >= 8) {
        const std::size_t cols = std::min(k_cols, (n - d0) & ~std::size_t{7});
        std::fill(acc, acc + lanes * cols, 0.0f);
        for (std::size_t t = 0; t < count; ++t) {
            const float* v = values + t * stride + d0;
            float* a = acc + (t & (lanes - 1)) * cols;
            const __m256 pt = _mm256_set1_ps(p[t]);
            for (std::size_t d = 0; d < cols; d += 8) {
                _mm256_store_ps(a + d, _mm256_fmadd_ps(_mm256_loadu_ps(v + d), pt, _mm256_load_ps(a + d)));
            }
        }
        auto lane = [&](std::size_t l, std::size_t d) { return _mm256_load_ps(acc + l * cols + d); };
        for (std::size_t d = 0; d < cols; d += 8) {
            __m256 r;
            if (tinyblas) {  // hsum8 over the lanes
                __m256 t4[4];
                for (std::size_t k = 0; k < 4; ++k) t4[k] = _mm256_add_ps(lane(k, d), lane(k + 4, d));
                r = _mm256_add_ps(_mm256_add_ps(t4[0], t4[2]), _mm256_add_ps(t4[1], t4[3]));
            } else {  // vec_dot_f32's reduction of 4 x 8 lanes
                __m256 s[8];
                for (std::size_t l = 0; l < 8; ++l) {
                    s[l] = _mm256_add_ps(_mm256_add_ps(lane(l, d), lane(16 + l, d)),
                                         _mm256_add_ps(lane(8 + l, d), lane(24 + l, d)));
                }
                __m256 t4[4];
                for (std::size_t k = 0; k < 4; ++k) t4[k] = _mm256_add_ps(s[k], s[k + 4]);
                r = _mm256_add_ps(_mm256_add_ps(t4[0], t4[1]), _mm256_add_ps(t4[2], t4[3]));
            }
            _mm256_storeu_ps(out + d0 + d, r);
        }
        d0 += cols;
    }
    if (d0 < n) kqv_ref(p, values + d0, stride, n - d0, count, tinyblas, out + d0);
}

}  // namespace slm::quant::ggml

#endif  // __x86_64__
