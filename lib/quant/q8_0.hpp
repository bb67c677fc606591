// q8_0: blocks of `block_size` consecutive elements share one scale d; each
// element is an int8 q with value q * d. Storage in a .slm row of n elements:
//
//   values := n x int8                      (element order)
//   scales := (n / block_size) x f32        (fp16-representable, see below)
//
// The quantizer is a transcription of ggml's `quantize_row_q8_0_ref`: per
// block, amax = max |x|, d = amax / 127 (f32), id = d ? 1/d : 0, q = roundf(x * id).
// The values are computed with the f32 d, while the stored scale is d rounded
// to fp16 (as in GGUF) and widened back to f32, so with block_size 32 values
// and scales are exactly what GGUF holds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.hpp"

namespace slm::quant {

// ggml's reference algorithm for one block, without checks: writes
// block_size values to q and returns the stored scale. For finite input the
// result is exactly ggml's; when d is so small that 1/d overflows (all
// |x| < ~2^-121) the values are 0, as x86-64 builds of ggml produce, and the
// stored scale is 0 anyway. Large blocks (amax > ~8.3e6) give an inf scale.
float quantize_block_q8_0(const float* x, std::size_t block_size, std::int8_t* q);

// Quantizes a row (or several rows back to back: blocks never straddle rows
// because block_size divides the row length). Fails, leaving the outputs
// unspecified, with "quant.bad_block_size" when block_size is 0 or does not
// divide n, "quant.non_finite" naming the first NaN/inf element, and
// "quant.scale_overflow" when a block's scale does not fit in fp16.
Status quantize_row_q8_0_ref(const float* x, std::size_t n, std::size_t block_size,
                             std::int8_t* values, float* scales);

// y[i] = values[i] * scales[i / block_size] (f32 product, as ggml).
void dequantize_row_q8_0(const std::int8_t* values, const float* scales, std::size_t block_size,
                         float* y, std::size_t n);

}  // namespace slm::quant
