// x86-64 SIMD kernel sets (internal to quant/; use kernels.hpp). Each
// function is compiled for its ISA with a target attribute and must only be
// called after a CPU check (kernels.cpp does this).
#pragma once

#if defined(__x86_64__)

#include <cstddef>
#include <cstdint>

namespace slm::quant {

// AVX2 + FMA. Block sizes that are not a multiple of 8 (q8_0) or 16 (q4_0)
// fall back to the scalar reference.
float dot_f32_avx2(const float* w, const float* x, std::size_t n);
float dot_q8_0_avx2(const std::int8_t* values, const float* scales, std::size_t block_size,
                    const float* x, std::size_t n);
float dot_q4_0_avx2(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                    const float* x, std::size_t n);

// AVX-512F. Block sizes that are not a multiple of 16 (q8_0) or 32 (q4_0)
// fall back to the AVX2 kernels (every AVX-512F CPU has AVX2 and FMA).
float dot_f32_avx512(const float* w, const float* x, std::size_t n);
float dot_q8_0_avx512(const std::int8_t* values, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n);
float dot_q4_0_avx512(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n);

}  // namespace slm::quant

#endif
