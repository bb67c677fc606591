// q4_0: blocks of `block_size` (even) consecutive elements share one scale d;
// each element is a 4-bit q in -8..7 stored as q + 8, with value q * d.
// Storage in a .slm row of n elements (ggml's nibble order inside a block):
//
//   values := (n / block_size) x block
//   block  := (block_size / 2) x byte, byte j = (q[j] + 8) | (q[j + block_size/2] + 8) << 4
//   scales := (n / block_size) x f32        (fp16-representable, see below)
//
// The quantizer is a transcription of ggml's `quantize_row_q4_0_ref`: per
// block, max = the element of largest magnitude with its sign (the first one
// on ties), d = max / -8 (f32), id = d ? 1/d : 0,
// nibble = MIN(15, (int8_t)(x * id + 8.5f)). Values are computed with the f32
// d; the stored scale is d rounded to fp16 and widened back to f32, so with
// block_size 32 values and scales are exactly what GGUF holds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.hpp"

namespace slm::quant {

// ggml's reference algorithm for one block, without checks: writes
// block_size / 2 bytes to packed and returns the stored scale. For finite
// input the result is exactly ggml's; when 1/d overflows (all |x| < ~2^-125)
// the nibbles are 0, as x86-64 builds of ggml produce, and the stored scale
// is +-0 anyway. Large blocks (|max| > ~5.2e5) give an inf scale.
float quantize_block_q4_0(const float* x, std::size_t block_size, std::uint8_t* packed);

// Quantizes a row (or rows back to back). Fails, leaving the outputs
// unspecified, with "quant.bad_block_size" (0, odd, or not dividing n),
// "quant.non_finite" naming the first NaN/inf element, or
// "quant.scale_overflow" when a block's scale does not fit in fp16.
Status quantize_row_q4_0_ref(const float* x, std::size_t n, std::size_t block_size,
                             std::uint8_t* packed, float* scales);

// y[i] = (nibble(i) - 8) * scales[i / block_size] (f32 product, as ggml).
void dequantize_row_q4_0(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                         float* y, std::size_t n);

}  // namespace slm::quant
