// Scalar ggml recipes (ggml_compat.hpp), transcribed from the emulator
// tests/reference/ggml_emu/emu.cpp. Every FMA that ggml's binary executes is
// an explicit std::fmaf; contraction is off so no other a * b + c fuses.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <math.h>  // ::sincosf (glibc)

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "quant/ggml_compat.hpp"

namespace slm::quant::ggml {

namespace {

float from_bits(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

std::uint32_t to_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// GGML_F32x8_REDUCE of 4 accumulators of 8 lanes (acc[8 * j + l]), then two
// hadds: s[l] = (a0 + a2) + (a1 + a3), t[k] = s[k] + s[k+4], (t0 + t1) + (t2 + t3).
float reduce_4x8(const float* acc) {
    float s[8];
    for (int l = 0; l < 8; ++l) s[l] = (acc[l] + acc[16 + l]) + (acc[8 + l] + acc[24 + l]);
    float t[4];
    for (int k = 0; k < 4; ++k) t[k] = s[k] + s[k + 4];
    return (t[0] + t[1]) + (t[2] + t[3]);
}

}  // namespace

float v_expf(float x) {
    const float r = 0x1.8p23f;
    const float z = std::fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = std::fmaf(-n, 0x1.7f7d1cp-20f, std::fmaf(-n, 0x1.62e4p-1f, x));
    const std::uint32_t e = to_bits(z) << 23;
    const float k = from_bits(e + to_bits(1.0f));
    const float u = b * b;
    const float j = std::fmaf(std::fmaf(std::fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                        std::fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                              u, 0x1.ffffecp-1f * b);
    if (!(std::fabs(n) > 126.0f)) return std::fmaf(j, k, k);
    const std::uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
    const float s1 = from_bits(g + 0x7f000000u);
    const float s2 = from_bits(e - g);
    if (std::fabs(n) > 192.0f) return s1 * s1;
    return std::fmaf(s2, j, s2) * s1;
}

float vec_dot_f32(const float* x, const float* y, std::size_t n) {
    const std::size_t np = n & ~std::size_t{31};
    float acc[32] = {};
    for (std::size_t i = 0; i < np; i += 32) {
        for (std::size_t k = 0; k < 32; ++k) acc[k] = std::fmaf(x[i + k], y[i + k], acc[k]);
    }
    float sum = reduce_4x8(acc);
    std::size_t i = np;
    for (; n - i >= 8; i += 8) {  // GCC's vectorised leftovers: vmulps, then in-order vaddss
        for (std::size_t l = 0; l < 8; ++l) sum += x[i + l] * y[i + l];
    }
    if (n - i >= 4) {
        for (std::size_t l = 0; l < 4; ++l) sum += x[i + l] * y[i + l];
        i += 4;
    }
    for (; i < n; ++i) sum = std::fmaf(x[i], y[i], sum);  // scalar epilogue: vfmadd231ss
    return sum;
}

float hsum8(const float* v) {
    float t[4];
    for (int k = 0; k < 4; ++k) t[k] = v[k] + v[k + 4];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

float tinyblas_dot_f32(const float* a, const float* b, std::size_t k) {
    float acc[8] = {};
    for (std::size_t l = 0; l < k; l += 8) {
        for (std::size_t j = 0; j < 8; ++j) acc[j] = std::fmaf(a[l + j], b[l + j], acc[j]);
    }
    return hsum8(acc);
}

void rmsnorm(float* out, const float* x, const float* w, std::size_t n, float eps) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
    const auto mean = static_cast<float>(sum / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (std::size_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void rope_cache(float* cos_t, float* sin_t, std::size_t head_dim, std::uint32_t pos, float freq_base) {
    const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(head_dim));
    auto theta = static_cast<float>(pos);
    for (std::size_t i = 0; i < head_dim / 2; ++i) {
#if defined(__GLIBC__)
        ::sincosf(theta, &sin_t[i], &cos_t[i]);  // what GCC made of ggml's cosf + sinf
#else
        cos_t[i] = std::cos(theta);
        sin_t[i] = std::sin(theta);
#endif
        theta *= theta_scale;
    }
}

void rope(float* v, std::size_t n_heads, std::size_t head_dim, const float* cos_t, const float* sin_t) {
    for (std::size_t h = 0; h < n_heads; ++h) {
        float* head = v + h * head_dim;
        for (std::size_t i = 0; i < head_dim / 2; ++i) {
            const float x0 = head[2 * i], x1 = head[2 * i + 1];
            head[2 * i] = std::fmaf(x0, cos_t[i], -(x1 * sin_t[i]));
            head[2 * i + 1] = std::fmaf(x0, sin_t[i], x1 * cos_t[i]);
        }
    }
}

void rows_f32_ref(const float* w, const float* x, std::size_t n, std::size_t rows, bool tinyblas, float* out) {
    tinyblas = tinyblas && n % 8 == 0;  // else llamafile_sgemm declines and ggml runs vec_dot_f32
    for (std::size_t r = 0; r < rows; ++r) {
        out[r] = tinyblas ? tinyblas_dot_f32(w + r * n, x, n) : vec_dot_f32(w + r * n, x, n);
    }
}

// q8_0 / q4_0 x q8_0 in 8 lanes: lane l of a block holds the exact integer
// sum of its elements 4l .. 4l+3 (q4_0: low nibbles are elements 0..15).
void rows_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a, const float* a_scales,
                   std::size_t /*block_size = 32*/, std::size_t n, std::size_t rows, float* out) {
    const std::size_t nb = n / k_block;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::int8_t* wr = w + r * n;
        float acc[8] = {};
        for (std::size_t b = 0; b < nb; ++b) {
            const float d = w_scales[r * nb + b] * a_scales[b];
            for (std::size_t l = 0; l < 8; ++l) {
                std::int32_t s = 0;
                for (std::size_t j = b * k_block + 4 * l; j < b * k_block + 4 * l + 4; ++j) s += wr[j] * a[j];
                acc[l] = std::fmaf(d, static_cast<float>(s), acc[l]);
            }
        }
        out[r] = hsum8(acc);
    }
}

namespace {

// Element j of a q4_0 block (32 values in 16 bytes) minus the offset 8.
int nibble(const std::uint8_t* block, std::size_t j) {
    return j < 16 ? (block[j] & 0x0F) - 8 : (block[j - 16] >> 4) - 8;
}

}  // namespace

void rows_q4_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a, const float* a_scales,
                   std::size_t /*block_size = 32*/, std::size_t n, std::size_t rows, float* out) {
    const std::size_t nb = n / k_block;
    for (std::size_t r = 0; r < rows; ++r) {
        float acc[8] = {};
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* wb = w + (r * nb + b) * (k_block / 2);
            const float d = w_scales[r * nb + b] * a_scales[b];
            for (std::size_t l = 0; l < 8; ++l) {
                std::int32_t s = 0;
                for (std::size_t j = 4 * l; j < 4 * l + 4; ++j) s += nibble(wb, j) * a[b * k_block + j];
                acc[l] = std::fmaf(d, static_cast<float>(s), acc[l]);
            }
        }
        out[r] = hsum8(acc);
    }
}

void rows_q4_0_8x8_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                       const float* a_scales, std::size_t /*block_size = 32*/, std::size_t n, std::size_t rows,
                       float* out) {
    const std::size_t nb = n / k_block;
    for (std::size_t r = 0; r < rows; ++r) {
        float acc = 0.0f;
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* wb = w + (r * nb + b) * (k_block / 2);
            std::int32_t s = 0;
            for (std::size_t j = 0; j < k_block; ++j) s += nibble(wb, j) * a[b * k_block + j];
            acc = std::fmaf(static_cast<float>(s), w_scales[r * nb + b] * a_scales[b], acc);
        }
        out[r] = acc;
    }
}

void kq_ref(const float* q, const float* keys, std::size_t stride, std::size_t n, std::size_t count, float* out) {
    for (std::size_t t = 0; t < count; ++t) out[t] = vec_dot_f32(keys + t * stride, q, n);
}

void kqv_ref(const float* p, const float* values, std::size_t stride, std::size_t n, std::size_t count,
             bool tinyblas, float* out) {
    const std::size_t lanes = tinyblas ? 8 : 32;
    for (std::size_t d = 0; d < n; ++d) {
        float acc[32] = {};
        for (std::size_t t = 0; t < count; ++t) {
            acc[t % lanes] = std::fmaf(values[t * stride + d], p[t], acc[t % lanes]);
        }
        out[d] = tinyblas ? hsum8(acc) : reduce_4x8(acc);
    }
}

float scale_and_max(float* x, std::size_t n, float scale) {
    float max = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        x[i] *= scale;
        max = std::max(max, x[i]);
    }
    return max;
}

void softmax_ref(float* x, std::size_t n, float scale) {
    const float max = scale_and_max(x, n, scale);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; i += 8) {
        float v[8] = {};  // masked cells: v_expf(-inf) = 0
        for (std::size_t l = 0; l < 8 && i + l < n; ++l) v[l] = x[i + l] = v_expf(x[i + l] - max);
        sum += static_cast<double>(hsum8(v));
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (std::size_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu_ref(float* gate, const float* up, std::size_t n) {
    const std::size_t n8 = n - n % 8;  // ggml's 8-wide loop
    std::size_t i = 0;
    for (; i < n8; ++i) gate[i] = (gate[i] / (1.0f + v_expf(0.0f - gate[i]))) * up[i];
    for (; i < n; ++i) gate[i] = (gate[i] / (1.0f + std::exp(-gate[i]))) * up[i];  // ggml_silu_f32: libm expf
}

void silu_mul_ref(float* gate, const float* up, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) gate[i] = (gate[i] / (1.0f + v_expf(0.0f - gate[i]))) * up[i];
}

const Kernels& scalar_kernels() {
    static constexpr Kernels k{"scalar", rows_f32_ref, rows_q8_0_ref, rows_q4_0_ref, rows_q4_0_8x8_ref,
                               kq_ref,   kqv_ref,      softmax_ref,   swiglu_ref};
    return k;
}

const Kernels& kernels() {
    if (active_kernels().name != "scalar") {
        if (const Kernels* k = avx2_kernels()) return *k;
    }
    return scalar_kernels();
}

}  // namespace slm::quant::ggml
