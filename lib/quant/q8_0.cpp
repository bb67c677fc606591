// Reference q8_0 quantizer (see q8_0.hpp). Kept free of FMA contraction so the
// output is bit-identical on every compiler and target.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "quant/q8_0.hpp"

#include <cmath>

#include "quant/c_conversion.hpp"
#include "quant/f16.hpp"
#include "quant/row_checks.hpp"

namespace slm::quant {

namespace {

// fp16 overflows from 65520 on, and d = amax / 127.
constexpr float k_max_abs = 65520.0f * 127.0f;

}  // namespace

float quantize_block_q8_0(const float* x, std::size_t block_size, std::int8_t* q) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < block_size; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;  // ggml's MAX(amax, fabsf(v))
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (std::size_t j = 0; j < block_size; ++j) {
        const float scaled = x[j] * id;
        q[j] = round_to_int8_like_x86(scaled);  // (int8_t)roundf(scaled)
    }
    return round_to_fp16(d);
}

Status quantize_row_q8_0_ref(const float* x, std::size_t n, std::size_t block_size,
                             std::int8_t* values, float* scales) {
    SLM_TRY(check_block_shape("q8_0", n, block_size, false));
    const std::size_t bad = find_non_finite(x, n);
    if (bad != n) return non_finite_error("q8_0", bad, x[bad]);
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::size_t first = b * block_size;
        scales[b] = quantize_block_q8_0(x + first, block_size, values + first);
        if (std::isinf(scales[b])) {
            return scale_overflow_error("q8_0", b, block_size,
                                        max_abs(x + b * block_size, block_size), k_max_abs);
        }
    }
    return {};
}

void dequantize_row_q8_0(const std::int8_t* values, const float* scales, std::size_t block_size,
                         float* y, std::size_t n) {
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float d = scales[b];
        for (std::size_t j = b * block_size; j < (b + 1) * block_size; ++j) {
            y[j] = static_cast<float>(values[j]) * d;
        }
    }
}

}  // namespace slm::quant
