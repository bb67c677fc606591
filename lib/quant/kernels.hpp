// Row dot products between a stored weight row and f32 activations:
//
//   dot_f32 (w, x, n)                               = sum w[i] * x[i]
//   dot_q8_0(values, scales, block_size, x, n)      = sum q[i] * d[i / bs] * x[i]
//   dot_q4_0(packed, scales, block_size, x, n)      = same, nibbles as in q4_0.hpp
//
// Each has a scalar reference (`*_ref`, portable, also the WASM path) and, on
// x86-64, AVX2+FMA and AVX-512F versions compiled with per-function target
// attributes, so the binary runs on any x86-64 and picks the best set at run
// time. All versions agree with "dequantize, then dot in exact arithmetic"
// within 1e-5 * sum |w[i] * x[i]|; they differ from each other only in f32
// summation order. The same set is used for every row, so results do not
// depend on which thread computes a row.
//
// Selection: the best set the CPU supports, unless the environment variable
// SLM_KERNEL names another one ("scalar", "avx2", "avx512"; an unknown or
// unsupported name falls back to the best). select_kernels() overrides both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace slm::quant {

using DotF32Fn = float (*)(const float* w, const float* x, std::size_t n);
using DotQ8Fn = float (*)(const std::int8_t* values, const float* scales,
                          std::size_t block_size, const float* x, std::size_t n);
using DotQ4Fn = float (*)(const std::uint8_t* packed, const float* scales,
                          std::size_t block_size, const float* x, std::size_t n);

struct KernelSet {
    std::string_view name;  // "scalar", "avx2", "avx512"
    DotF32Fn dot_f32;
    DotQ8Fn dot_q8_0;
    DotQ4Fn dot_q4_0;
};

// Scalar reference kernels.
float dot_f32_ref(const float* w, const float* x, std::size_t n);
float dot_q8_0_ref(const std::int8_t* values, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n);
float dot_q4_0_ref(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n);

// The active set (chosen on first use, see above) and its name.
const KernelSet& active_kernels();
std::string_view kernel_name();

// Every set this build has and this CPU can run, scalar first.
std::vector<const KernelSet*> supported_kernel_sets();
// The supported set called `name` ("auto" = the best); nullptr if none.
const KernelSet* find_kernel_set(std::string_view name);

// Makes `name` ("scalar", "avx2", "avx512" or "auto") the active set for the
// whole process; "quant.kernel_unavailable" (usage) when this build or CPU
// lacks it. Meant for start-up, tests and benchmarks: concurrent dot calls
// keep working but may use either set while it changes.
Status select_kernels(std::string_view name);
inline void force_scalar_kernels() { (void)select_kernels("scalar"); }

// The active set's kernels.
inline float dot_f32(const float* w, const float* x, std::size_t n) {
    return active_kernels().dot_f32(w, x, n);
}
inline float dot_q8_0(const std::int8_t* values, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n) {
    return active_kernels().dot_q8_0(values, scales, block_size, x, n);
}
inline float dot_q4_0(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n) {
    return active_kernels().dot_q4_0(packed, scales, block_size, x, n);
}

}  // namespace slm::quant
