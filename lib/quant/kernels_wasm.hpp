// WebAssembly SIMD128 kernels (kernels_simd128.cpp); declared only where the
// compiler targets SIMD128. Each one falls back to the reference kernel for
// block sizes its vectors do not tile.
#pragma once

#include "quant/kernels.hpp"

#if defined(__wasm_simd128__)

namespace slm::quant {

float dot_f32_simd128(const float* w, const float* x, std::size_t n);
void dots_f32_simd128(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                      float* out);
void axpys_f32_simd128(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                       float* y);
float dot_q8_0_simd128(const std::int8_t* values, const float* scales, std::size_t block_size, const float* x,
                       std::size_t n);
float dot_q4_0_simd128(const std::uint8_t* packed, const float* scales, std::size_t block_size, const float* x,
                       std::size_t n);
void rows_q8_0_q8_0_simd128(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n, std::size_t rows,
                            float* out);
void rows_q4_0_q8_0_simd128(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n, std::size_t rows,
                            float* out);

}  // namespace slm::quant

#endif
