// One row per tensor dtype: what it is called, how it is blocked, how many
// bytes it takes, and how to convert a row to and from f32. Code that handles
// several dtypes looks them up here instead of switching on DType.
//
// Row storage (ARCHITECTURE.md §3): a tensor is rows of n = dims[0] elements;
// values and scales are separate arrays, one f32 scale per block of
// block_size consecutive elements (block_size divides n, blocks never
// straddle rows). f32 has no scales and block_size 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "format/layout.hpp"

namespace slm::quant {

using format::DType;

inline constexpr std::uint32_t k_default_block_size = 32;

struct DTypeTraits {
    DType dtype;
    std::string_view name;  // "f32", "q8_0", "q4_0"
    bool quantized;
    std::uint32_t default_block_size;  // 0 for f32
    // Value bytes for n elements, scales excluded (q4_0 needs n even).
    std::uint64_t (*value_bytes)(std::uint64_t n);
    // Legal block_size for rows of n elements: "quant.bad_block_size" if not
    // (f32 requires 0; q8_0 any divisor of n; q4_0 an even divisor of n).
    Status (*check_block_size)(std::uint64_t n, std::uint32_t block_size);
    // out[0, n) = the f32 values of one row (or of rows back to back).
    void (*dequantize_row)(const void* values, const float* scales, std::uint32_t block_size,
                           float* out, std::size_t n);
    // The reference quantizer (ggml's algorithm for q8_0/q4_0; a copy for
    // f32). Rejects NaN/inf ("quant.non_finite", naming the element) and
    // blocks whose fp16 scale would overflow ("quant.scale_overflow").
    // `scales` receives n / block_size floats (nothing for f32).
    Status (*quantize_row_ref)(const float* x, std::size_t n, std::uint32_t block_size,
                               void* values, float* scales);
    // The same bytes and errors, through the active kernel set's SIMD
    // quantizer when it has one (kernels.hpp).
    Status (*quantize_row)(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                           float* scales);

    // Scales for n elements (0 for f32).
    std::uint64_t scale_count(std::uint64_t n, std::uint32_t block_size) const {
        return quantized ? n / block_size : 0;
    }
    // Bytes one block of block_size elements occupies: values plus its f32
    // scale (for f32, block_size plain floats).
    std::uint64_t bytes_per_block(std::uint32_t block_size) const {
        return value_bytes(block_size) + (quantized ? sizeof(float) : 0);
    }
};

// The traits of a valid DType (asserts on values outside the enum).
const DTypeTraits& dtype_traits(DType dtype);
// nullptr for an unknown raw directory value or name.
const DTypeTraits* find_dtype_traits(std::uint32_t raw);
const DTypeTraits* find_dtype_traits(std::string_view name);
std::span<const DTypeTraits> all_dtype_traits();

}  // namespace slm::quant
