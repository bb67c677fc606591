// Checks shared by the row quantizers: shape (block size against row length)
// and the finiteness of inputs and stored scales. Errors name the element or
// block so that a tool can point at the offending weight.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.hpp"

namespace slm::quant {

// block_size must be > 0 and divide n; `even_block` additionally requires an
// even block size (q4_0 packs element j and j + block_size/2 into one byte).
Status check_block_shape(std::string_view dtype, std::size_t n, std::size_t block_size,
                         bool even_block);

// Index of the first NaN or +-inf in x[0, n), or n when all are finite.
std::size_t find_non_finite(const float* x, std::size_t n);

// "quant.non_finite": element `index` (relative to the start of the row) is
// NaN or infinite; such values are never quantized silently.
Error non_finite_error(std::string_view dtype, std::size_t index, float value);

// "quant.scale_overflow": the block's scale does not fit in fp16 (ggml would
// store inf and every dequantized value would be inf or NaN). `max_abs` is
// the block's largest magnitude, `limit` the magnitude the dtype can carry.
Error scale_overflow_error(std::string_view dtype, std::size_t block, std::size_t block_size,
                           float max_abs, float limit);

// Largest |x[i]| over x[0, n).
float max_abs(const float* x, std::size_t n);

}  // namespace slm::quant
