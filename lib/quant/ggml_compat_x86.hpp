// AVX2 kernels of the ggml recipes (internal to quant/; use ggml_compat.hpp,
// whose Kernels table documents them). Compiled with target attributes: call
// only after avx2_kernels() returned non-null.
#pragma once

#if defined(__x86_64__)

#include <cstddef>
#include <cstdint>

namespace slm::quant::ggml {

float vec_dot_f32_avx2(const float* x, const float* y, std::size_t n);
void kq_avx2(const float* q, const float* keys, std::size_t stride, std::size_t n, std::size_t count, float* out);
void kqv_avx2(const float* p, const float* values, std::size_t stride, std::size_t n, std::size_t count,
              bool tinyblas, float* out);
void softmax_avx2(float* x, std::size_t n, float scale);
void silu_mul_avx2(float* gate, const float* up, std::size_t n);

}  // namespace slm::quant::ggml

#endif
