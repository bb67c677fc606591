// Scalar reference kernels. They are also the production path where no SIMD
// set applies (WASM, other CPUs), so they keep several independent partial
// sums: that shortens the f32 rounding chain and lets compilers vectorise.
#include <cmath>

#include "quant/f16.hpp"
#include "quant/ggml_compat.hpp"
#include "quant/kernels.hpp"

namespace slm::quant {

float dot_f32_ref(const float* w, const float* x, std::size_t n) {
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (std::size_t k = 0; k < 4; ++k) acc[k] += w[i + k] * x[i + k];
    }
    for (; i < n; ++i) acc[0] += w[i] * x[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

void dots_f32_ref(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                  float* out) {
    for (std::size_t t = 0; t < count; ++t) out[t] = dot_f32_ref(q, v + t * stride, n);
}

void axpys_f32_ref(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* y) {
    for (std::size_t t = 0; t < count; ++t) {
        const float* vt = v + t * stride;
        for (std::size_t i = 0; i < n; ++i) y[i] += a[t] * vt[i];
    }
}

// dot_f32_ref's and axpys_f32_ref's arithmetic on widened f16 values.
void dots_f16_ref(const float* q, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                  float* out) {
    for (std::size_t t = 0; t < count; ++t) {
        const std::uint16_t* vt = v + t * stride;
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            for (std::size_t k = 0; k < 4; ++k) acc[k] += q[i + k] * fp16_to_fp32(vt[i + k]);
        }
        for (; i < n; ++i) acc[0] += q[i] * fp16_to_fp32(vt[i]);
        out[t] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
}

void axpys_f16_ref(const float* a, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* y) {
    for (std::size_t t = 0; t < count; ++t) {
        const std::uint16_t* vt = v + t * stride;
        for (std::size_t i = 0; i < n; ++i) y[i] += a[t] * fp16_to_fp32(vt[i]);
    }
}

void softmax_libm(float* x, std::size_t n, float scale) {
    const float max = ggml::scale_and_max(x, n, scale);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += static_cast<double>(x[i]);
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (std::size_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul_libm(float* gate, const float* up, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float dot_q8_0_ref(const std::int8_t* values, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n) {
    float total = 0.0f;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::int8_t* q = values + b * block_size;
        const float* xb = x + b * block_size;
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        std::size_t j = 0;
        for (; j + 4 <= block_size; j += 4) {
            for (std::size_t k = 0; k < 4; ++k) acc[k] += static_cast<float>(q[j + k]) * xb[j + k];
        }
        for (; j < block_size; ++j) acc[0] += static_cast<float>(q[j]) * xb[j];
        total += ((acc[0] + acc[1]) + (acc[2] + acc[3])) * scales[b];
    }
    return total;
}

float dot_q4_0_ref(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n) {
    const std::size_t half = block_size / 2;
    float total = 0.0f;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::uint8_t* bytes = packed + b * half;
        const float* lo_x = x + b * block_size;
        const float* hi_x = lo_x + half;
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        std::size_t j = 0;
        for (; j + 2 <= half; j += 2) {
            acc[0] += static_cast<float>((bytes[j] & 0x0F) - 8) * lo_x[j];
            acc[1] += static_cast<float>((bytes[j] >> 4) - 8) * hi_x[j];
            acc[2] += static_cast<float>((bytes[j + 1] & 0x0F) - 8) * lo_x[j + 1];
            acc[3] += static_cast<float>((bytes[j + 1] >> 4) - 8) * hi_x[j + 1];
        }
        for (; j < half; ++j) {
            acc[0] += static_cast<float>((bytes[j] & 0x0F) - 8) * lo_x[j];
            acc[1] += static_cast<float>((bytes[j] >> 4) - 8) * hi_x[j];
        }
        total += ((acc[0] + acc[1]) + (acc[2] + acc[3])) * scales[b];
    }
    return total;
}

}  // namespace slm::quant
