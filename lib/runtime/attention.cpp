#include "runtime/attention.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/forward.hpp"

namespace slm::runtime {

void rope(float* v, std::size_t n_heads, std::size_t head_dim, const float* cos_t, const float* sin_t) {
    for (std::size_t h = 0; h < n_heads; ++h) {
        float* head = v + h * head_dim;
        for (std::size_t i = 0; i < head_dim / 2; ++i) {
            const float x0 = head[2 * i];
            const float x1 = head[2 * i + 1];
            head[2 * i] = x0 * cos_t[i] - x1 * sin_t[i];
            head[2 * i + 1] = x0 * sin_t[i] + x1 * cos_t[i];
        }
    }
}

void rope_angles(const double* freqs, std::size_t count, std::size_t pos, float* cos_t, float* sin_t) {
    for (std::size_t i = 0; i < count; ++i) {
        const double angle = static_cast<double>(pos) * freqs[i];
        cos_t[i] = static_cast<float>(std::cos(angle));
        sin_t[i] = static_cast<float>(std::sin(angle));
    }
}

void attend_head(const format::ModelConfig& c, const quant::KernelSet& kernels, const float* q, std::size_t h,
                 const KvLayer& kv, std::size_t pos, float* att, float* out) {
    const std::size_t hd = c.head_dim;
    const std::size_t kv_dim = c.kv_dim();
    const std::size_t kv_offset = (h / (c.n_heads / c.n_kv_heads)) * hd;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const bool f16 = kv.type == KvType::f16;
    if (f16) {
        kernels.dots_f16(q, static_cast<const std::uint16_t*>(kv.keys) + kv_offset, kv_dim, hd, pos + 1, att);
    } else {
        kernels.dots_f32(q, static_cast<const float*>(kv.keys) + kv_offset, kv_dim, hd, pos + 1, att);
    }
    kernels.softmax(att, pos + 1, scale);
    std::fill(out, out + hd, 0.0f);
    if (f16) {
        kernels.axpys_f16(att, static_cast<const std::uint16_t*>(kv.values) + kv_offset, kv_dim, hd, pos + 1, out);
    } else {
        kernels.axpys_f32(att, static_cast<const float*>(kv.values) + kv_offset, kv_dim, hd, pos + 1, out);
    }
}

}  // namespace slm::runtime
