// Scalar reference of the int8-activation path (kernels.hpp). Also the
// production path where no SIMD set applies (WASM). FMA contraction is off so
// every target computes the same bits.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "quant/f16.hpp"
#include "quant/kernels.hpp"
#include "quant/packed.hpp"

namespace slm::quant {

namespace {

// v rounded to nearest, ties to even (as _mm256_round_ps), then saturated to
// int8 as cvtps_epi32 + packs do: NaN and values outside int32 give -128.
// Independent of the FP environment: v - trunc(v) is exact.
std::int8_t round_even_to_int8(float v) {
    if (!(v >= -2147483648.0f && v < 2147483648.0f)) return INT8_MIN;
    std::int32_t i = static_cast<std::int32_t>(v);
    const float fraction = v - static_cast<float>(i);
    const bool odd = (i & 1) != 0;
    if (fraction > 0.5f || (fraction == 0.5f && odd)) ++i;
    if (fraction < -0.5f || (fraction == -0.5f && odd)) --i;
    return static_cast<std::int8_t>(std::clamp(i, -128, 127));
}

}  // namespace

void quantize_act_q8_0_ref(const float* x, std::size_t n, std::size_t block_size, std::int8_t* q,
                           float* scales) {
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float* xb = x + b * block_size;
        std::int8_t* qb = q + b * block_size;
        float amax = 0.0f;
        bool finite = true;
        for (std::size_t j = 0; j < block_size; ++j) {
            finite = finite && std::isfinite(xb[j]);
            amax = std::max(amax, std::fabs(xb[j]));
        }
        if (!finite) {  // NaN scale: the products become NaN, as with f32 activations
            std::fill(qb, qb + block_size, std::int8_t{0});
            scales[b] = std::numeric_limits<float>::quiet_NaN();
            continue;
        }
        scales[b] = round_to_fp16(amax / 127.0f);
        if (scales[b] == 0.0f) {  // contributes nothing; keeps |a| <= 127 when 127 / amax overflows
            std::fill(qb, qb + block_size, std::int8_t{0});
            continue;
        }
        const float id = 127.0f / amax;  // ggml x86: 127 / amax, not 1 / d
        for (std::size_t j = 0; j < block_size; ++j) qb[j] = round_even_to_int8(xb[j] * id);
    }
}

float dot_q8_0_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n) {
    float total = 0.0f;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::int8_t* wb = w + b * block_size;
        const std::int8_t* ab = a + b * block_size;
        std::int32_t sum = 0;
        for (std::size_t j = 0; j < block_size; ++j) sum += std::int32_t{wb[j]} * std::int32_t{ab[j]};
        total += static_cast<float>(sum) * (w_scales[b] * a_scales[b]);
    }
    return total;
}

float dot_q4_0_q8_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n) {
    const std::size_t half = block_size / 2;
    float total = 0.0f;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::uint8_t* wb = w + b * half;
        const std::int8_t* ab = a + b * block_size;
        std::int32_t sum = 0;
        for (std::size_t j = 0; j < half; ++j) {
            sum += ((wb[j] & 0x0F) - 8) * std::int32_t{ab[j]};
            sum += ((wb[j] >> 4) - 8) * std::int32_t{ab[j + half]};
        }
        total += static_cast<float>(sum) * (w_scales[b] * a_scales[b]);
    }
    return total;
}

void rows_q8_0_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n,
                        std::size_t rows, float* out) {
    const std::size_t nb = n / block_size;
    for (std::size_t r = 0; r < rows; ++r) {
        out[r] = dot_q8_0_q8_0_ref(w + r * n, w_scales + r * nb, a, a_scales, block_size, n);
    }
}

void rows_q4_0_q8_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n,
                        std::size_t rows, float* out) {
    const std::size_t nb = n / block_size;
    for (std::size_t r = 0; r < rows; ++r) {
        out[r] = dot_q4_0_q8_0_ref(w + r * (n / 2), w_scales + r * nb, a, a_scales, block_size, n);
    }
}

namespace {

// The packed layout read directly (packed.hpp), with each row's arithmetic
// that of dot_q8_0_q8_0_ref / dot_q4_0_q8_0_ref.
// A block's exact integer sum from .slm-order bytes (q8_0 stored as w + 128;
// q4_0 nibbles, `half` bytes).
std::int32_t q8_block_sum(const std::uint8_t* w, const std::int8_t* a) {
    std::int32_t sum = 0;
    for (std::size_t j = 0; j < k_packed_block; ++j) sum += (std::int32_t{w[j]} - 128) * std::int32_t{a[j]};
    return sum;
}

// Not inlined: with `half` a constant, GCC unrolls the loop into scalar code
// instead of vectorising it (measured 2x slower).
__attribute__((noinline)) std::int32_t q4_block_sum(const std::uint8_t* w, const std::int8_t* a, std::size_t half) {
    std::int32_t sum = 0;
    for (std::size_t j = 0; j < half; ++j) {
        sum += ((w[j] & 0x0F) - 8) * std::int32_t{a[j]};
        sum += ((w[j] >> 4) - 8) * std::int32_t{a[j + half]};
    }
    return sum;
}

template <bool Q4>
void rows_packed_ref(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                     const float* a_scales, std::size_t n, float* out) {
    constexpr std::size_t G = k_packed_rows;
    constexpr std::size_t row_bytes = Q4 ? k_packed_block / 2 : k_packed_block;  // one row's block
    const PackedLayout layout = packed_layout(Q4 ? format::DType::q4_0 : format::DType::q8_0, n);
    for (std::size_t g = 0; g < groups; ++g) {
        const std::uint8_t* group = packed + g * layout.group_bytes();
        float total[G] = {};
        for (std::size_t b = 0; b < layout.blocks; ++b) {
            const std::uint8_t* values = layout.values(group, b);
            const std::int8_t* ab = a + b * k_packed_block;
            // The block's rows back in .slm order (4-byte words), so that each
            // row's sum is a contiguous loop compilers vectorise, as in
            // dot_*_q8_0_ref.
            std::uint8_t rows[G][row_bytes];
            for (std::size_t k = 0; k < row_bytes / 4; ++k) {
                for (std::size_t i = 0; i < G; ++i) std::memcpy(&rows[i][k * 4], values + (k * G + i) * 4, 4);
            }
            for (std::size_t i = 0; i < G; ++i) {
                const std::int32_t sum = Q4 ? q4_block_sum(rows[i], ab, row_bytes) : q8_block_sum(rows[i], ab);
                const float scale = fp16_to_fp32(layout.scales(group)[b * G + i]);
                total[i] += static_cast<float>(sum) * (scale * a_scales[b]);
            }
        }
        for (std::size_t i = 0; i < G; ++i) out[g * G + i] = total[i];
    }
}

}  // namespace

void rows_q8_0_packed_ref(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                          const float* a_scales, std::size_t n, float* out) {
    rows_packed_ref<false>(packed, groups, a, a_scales, n, out);
}

void rows_q4_0_packed_ref(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                          const float* a_scales, std::size_t n, float* out) {
    rows_packed_ref<true>(packed, groups, a, a_scales, n, out);
}

}  // namespace slm::quant
