// Reference q4_0 quantizer (see q4_0.hpp). Kept free of FMA contraction so the
// output is bit-identical on every compiler and target: x * id + 8.5f must be
// two roundings, as in ggml's reference C.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "quant/q4_0.hpp"

#include <algorithm>
#include <cmath>

#include "quant/c_conversion.hpp"
#include "quant/f16.hpp"
#include "quant/row_checks.hpp"

namespace slm::quant {

namespace {

// fp16 overflows from 65520 on, and |d| = |max| / 8.
constexpr float k_max_abs = 65520.0f * 8.0f;

std::uint8_t quantize_nibble(float x, float id) {
    const float scaled = x * id;
    const float shifted = scaled + 8.5f;
    return static_cast<std::uint8_t>(std::min(15, int{float_to_int8_like_x86(shifted)}));
}

}  // namespace

float quantize_block_q4_0(const float* x, std::size_t block_size, std::uint8_t* packed) {
    // The element of largest magnitude keeps its sign; a later element only
    // replaces it when strictly larger, so the first one wins ties.
    float amax = 0.0f;
    float max = 0.0f;
    for (std::size_t j = 0; j < block_size; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::size_t half = block_size / 2;
    for (std::size_t j = 0; j < half; ++j) {
        const std::uint8_t lo = quantize_nibble(x[j], id);
        const std::uint8_t hi = quantize_nibble(x[j + half], id);
        packed[j] = static_cast<std::uint8_t>(lo | (hi << 4));
    }
    return round_to_fp16(d);
}

Status quantize_row_q4_0_ref(const float* x, std::size_t n, std::size_t block_size,
                             std::uint8_t* packed, float* scales) {
    SLM_TRY(check_block_shape("q4_0", n, block_size, true));
    const std::size_t bad = find_non_finite(x, n);
    if (bad != n) return non_finite_error("q4_0", bad, x[bad]);
    for (std::size_t b = 0; b < n / block_size; ++b) {
        scales[b] = quantize_block_q4_0(x + b * block_size, block_size,
                                        packed + b * (block_size / 2));
        if (std::isinf(scales[b])) {
            return scale_overflow_error("q4_0", b, block_size,
                                        max_abs(x + b * block_size, block_size), k_max_abs);
        }
    }
    return {};
}

void dequantize_row_q4_0(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                         float* y, std::size_t n) {
    const std::size_t half = block_size / 2;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float d = scales[b];
        const std::uint8_t* bytes = packed + b * half;
        float* out = y + b * block_size;
        for (std::size_t j = 0; j < half; ++j) {
            out[j] = static_cast<float>((bytes[j] & 0x0F) - 8) * d;
            out[j + half] = static_cast<float>((bytes[j] >> 4) - 8) * d;
        }
    }
}

}  // namespace slm::quant
